package bindings

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/starstreamer/starstreamer/engine"
)

// freshNames are the names of a fresh module VM.
func freshNames(t *testing.T) *knownNames {
	t.Helper()
	rt := NewRuntime(Config{Bus: engine.NewBus(engine.BusOptions{})})
	in := newInstance(rt, nil, engine.Source{Name: "lint"})
	defer in.Stop(context.Background())
	var k *knownNames
	if err := in.do(context.Background(), func() { k = vmNames(in.L) }); err != nil {
		t.Fatal(err)
	}
	return k
}

func lintSource(t *testing.T, k *knownNames, files map[string]string) []string {
	t.Helper()
	var protos []*lua.FunctionProto
	for name, src := range files {
		p, err := compileLua([]byte(src), name)
		if err != nil {
			t.Fatal(err)
		}
		protos = append(protos, p)
	}
	return lintProtos(k, protos, nil)
}

func TestStaticPassWarnsAboutNamesNobodyDefines(t *testing.T) {
	k := freshNames(t)
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"misspelt global call", "module { name = \"x\" }\ncomand(\"!hi\", function(e) end)\n",
			[]string{"x.lua:2: comand is not defined anywhere — did you mean command?"}},
		{"camelCase API field", "module { name = \"x\" }\non_event(\"twitch.follow\", function(e)\n  twitch.sendMessage(\"hi\")\nend)\n",
			[]string{"x.lua:3: twitch.sendMessage does not exist — did you mean twitch.send_message?"}},
		{"API field without a near name", "obs.teleport()\n", []string{"x.lua:1: obs.teleport does not exist"}},
		{"global without a near name", "local x = zzqqy\n", []string{"x.lua:1: zzqqy is not defined anywhere (a global nobody sets is nil)"}},
		{"method call on an API table", "store:gett(\"k\")\n", []string{"x.lua:1: store:gett does not exist — did you mean store.get?"}},
		{"Lua library field", "local s = string.uper(\"a\")\n", []string{"x.lua:1: string.uper does not exist — did you mean string.upper?"}},
		{"sandboxed-away function", "local v = os.getenv(\"HOME\")\n", []string{"x.lua:1: os.getenv does not exist"}},
		{"each name once", "comand()\ncomand()\n", []string{"x.lua:1: comand is not defined anywhere — did you mean command?"}},
		{"inside a nested function", "every(5, function()\n  local function inner()\n    log.inof(\"x\")\n  end\nend)\n",
			[]string{"x.lua:3: log.inof does not exist — did you mean log.info?"}},

		{"globals the script sets, anywhere", "function init() counter = 0 end\non_event(\"x\", function() counter = counter + 1; helper() end)\nfunction helper() end\n", nil},
		{"fields the script adds to an API table", "function string.shout(s) return s:upper() .. \"!\" end\nlocal x = string.shout(\"hi\")\n", nil},
		{"a global API table replaced by the script", "twitch = { sendMessage = function() end }\ntwitch.sendMessage()\n", nil},
		{"a local of an API name", "local twitch = { sendMessage = print }\ntwitch.sendMessage(\"x\")\n", nil},
		{"dynamic globals switch the global check off", "_G.greet = print\ngreet(\"hi\")\n", nil},
		{"init and shutdown are read by the engine", "function init() end\nfunction shutdown() end\nif init then init() end\n", nil},
		{"config and the bindings", "module { name = \"x\", config = { n = 1 } }\nlocal n = config.n\nlocal ok = pcall(print)\nlocal t = try(print)\n", nil},
		{"non-constant keys are not guessed", "local k = \"send_message\"\nlocal f = twitch[k]\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lintSource(t, k, map[string]string{"x.lua": tc.src})
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStaticPassSeesGlobalsOfTheModulesOtherFiles(t *testing.T) {
	k := freshNames(t)
	got := lintSource(t, k, map[string]string{
		"scripts/m/init.lua": "require(\"util\")\nshout(\"x\")\n",
		"scripts/m/util.lua": "function shout(s) return s end\n",
	})
	if len(got) != 0 {
		t.Errorf("false warnings: %q", got)
	}
}

// TestStaticPassIsQuietOnWorkingCode: no warning for the shipped scripts, the
// standard library or any Lua example of the docs that compiles.
func TestStaticPassIsQuietOnWorkingCode(t *testing.T) {
	k := freshNames(t)
	root := filepath.Join("..")
	check := func(what string, files map[string]string) {
		t.Helper()
		for _, w := range lintSource(t, k, files) {
			t.Errorf("%s: false warning: %s", what, w)
		}
	}
	mods, _ := filepath.Glob(filepath.Join(root, "scripts", "*.lua"))
	dirs, _ := filepath.Glob(filepath.Join(root, "scripts", "*", "*.lua"))
	libs, _ := filepath.Glob(filepath.Join(root, "stdlib", "lua", "*.lua"))
	if len(mods) == 0 || len(dirs) == 0 || len(libs) == 0 {
		t.Fatal("scripts or stdlib not found")
	}
	folders := map[string]map[string]string{}
	for _, f := range append(append(mods, dirs...), libs...) {
		if strings.HasSuffix(f, "_test.lua") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		group := f
		if filepath.Base(filepath.Dir(filepath.Dir(f))) == "scripts" {
			group = filepath.Dir(f)
		}
		if folders[group] == nil {
			folders[group] = map[string]string{}
		}
		folders[group][f] = string(b)
	}
	for group, files := range folders {
		check(group, files)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	block := regexp.MustCompile("(?s)```lua\n(.*?)```")
	examples := 0
	for _, f := range append(docs, filepath.Join(root, "README.md")) {
		if filepath.Base(f) == "lua-api.md" {
			continue // generated syntax lines with placeholder names, not scripts
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range block.FindAllStringSubmatch(string(b), -1) {
			code := m[1]
			if _, err := compileLua([]byte(code), "example.lua"); err != nil {
				continue // a syntax summary, not a script
			}
			if strings.Contains(code, "test(\"") {
				continue // a script test (test files run with their own globals and are not linted)
			}
			examples++
			check(filepath.Base(f)+" example "+strconv.Itoa(i), map[string]string{"example.lua": code})
		}
	}
	t.Logf("%d module groups, %d doc examples", len(folders), examples)
}

func TestCallingANilNameSaysWhichAndSuggests(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"API field", "on_event(\"go\", function(e)\n  twitch.sendMessage(\"hi\")\nend)\n",
			"x.lua:2: twitch.sendMessage is nil — did you mean twitch.send_message?"},
		{"global", "on_event(\"go\", function(e)\n  comand(\"!x\", function() end)\nend)\n",
			"x.lua:2: comand is nil — did you mean command?"},
		{"method", "on_event(\"go\", function(e)\n  local s = string:uper()\nend)\n",
			"x.lua:2: string:uper is nil — did you mean string.upper?"},
		{"not a function", "limit = 3\non_event(\"go\", function(e)\n  limit()\nend)\n",
			"x.lua:3: limit is a number, not a function"},
		{"the nil one of two calls on a line", "on_event(\"go\", function(e)\n  log.info(\"a\"); log.inof(\"b\")\nend)\n",
			"x.lua:2: log.inof is nil — did you mean log.info?"},
		{"a local", "on_event(\"go\", function(e)\n  local t = {}\n  t.run()\nend)\n",
			"x.lua:3: t.run is not a function (nil or another value)"},
		{"nested field", "helpers = { text = {} }\non_event(\"go\", function(e)\n  helpers.text.shout()\nend)\n",
			"x.lua:3: helpers.text.shout is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"x.lua": "module { name = \"x\" }\n" + tc.src})
			te.emit("go", nil)
			var last string
			waitFor(t, 2*time.Second, func() bool { last = te.module("x").LastError; return last != "" })
			// the module header is line 1 of the file
			want := bumpLine(tc.want)
			if !strings.Contains(last, "/"+want+" (handler ") {
				t.Errorf("got  %s\nwant %s", last, want)
			}
		})
	}
}

// bumpLine adds one to the line of "x.lua:N: ..." (the tests prepend a line).
func bumpLine(s string) string {
	var n int
	rest := strings.TrimPrefix(s, "x.lua:")
	i := strings.Index(rest, ":")
	for _, c := range rest[:i] {
		n = n*10 + int(c-'0')
	}
	return "x.lua:" + strconv.Itoa(n+1) + rest[i:]
}

func TestTopLevelNilCallFailsTheLoadWithTheName(t *testing.T) {
	te := newTestEngine(t, map[string]string{"x.lua": "module { name = \"x\" }\ncomand(\"!hi\", function() end)\n"})
	st := te.module("x")
	if st.Status != "failed" || !strings.Contains(st.LastError, "/x.lua:2: comand is nil — did you mean command?") {
		t.Fatalf("status %s, error %q", st.Status, st.LastError)
	}
}

func TestLoadTimeWarningsAreOnTheModuleState(t *testing.T) {
	te := newTestEngine(t, map[string]string{"x.lua": "module { name = \"x\", permissions = { \"twitch.chat\" } }\n" +
		"command(\"!hi\", function(e)\n  twitch.sendMessage(\"hi\")\nend)\n"})
	st := te.module("x")
	if st.Status != "running" {
		t.Fatalf("a script with warnings must still run: %s %s", st.Status, st.LastError)
	}
	if len(st.Warnings) != 1 || !strings.HasSuffix(st.Warnings[0], "/x.lua:3: twitch.sendMessage does not exist — did you mean twitch.send_message?") {
		t.Fatalf("warnings %q", st.Warnings)
	}
}

func TestEndlessLoopIsReportedAtTheLoop(t *testing.T) {
	te := newTestEngine(t, map[string]string{"x.lua": "module { name = \"x\" }\non_event(\"go\", function(e)\n  local n = 0\n  log.info(\"start\")\n" +
		"  while true do\n    n = n + 1\n  end\nend)\n"})
	te.emit("go", nil)
	var last string
	waitFor(t, 3*time.Second, func() bool { last = te.module("x").LastError; return last != "" })
	if !regexp.MustCompile(`/x\.lua:[567]: CPU budget of .* exceeded`).MatchString(last) {
		t.Fatalf("want the loop's line (5-7) first: %s", last)
	}
}

func TestIndexingANilNameSaysWhichAndSuggests(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"misspelt API table", "on_event(\"go\", function(e)\n  twitc.send_message(\"hi\")\nend)\n",
			"x.lua:2: twitc is nil (indexed with 'send_message') — did you mean twitch?"},
		{"nil field of a table", "state = {}\non_event(\"go\", function(e)\n  state.user.name = \"x\"\nend)\n",
			"x.lua:3: state.user is nil (indexed with 'name')"},
		{"a local", "on_event(\"go\", function(e)\n  local cfg\n  print(cfg.limit)\nend)\n",
			"x.lua:3: cfg is nil (indexed with 'limit')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"x.lua": "module { name = \"x\" }\n" + tc.src})
			te.emit("go", nil)
			var last string
			waitFor(t, 2*time.Second, func() bool { last = te.module("x").LastError; return last != "" })
			if want := bumpLine(tc.want); !strings.Contains(last, "/"+want+" (handler ") {
				t.Errorf("got  %s\nwant %s", last, want)
			}
		})
	}
}
