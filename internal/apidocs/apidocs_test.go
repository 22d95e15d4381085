package apidocs

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/bindings"
)

var update = flag.Bool("update", false, "rewrite the generated files")

const root = "../.."

// TestGeneratedFilesAreFresh fails when docs/lua-api.md or stdlib/types/*.lua
// differ from what the bindings and stdlib say now.
func TestGeneratedFilesAreFresh(t *testing.T) {
	for path, want := range Files() {
		full := filepath.Join(root, filepath.FromSlash(path))
		if *update {
			if err := os.WriteFile(full, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/apidocs -update)", path, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./internal/apidocs -update", path)
		}
	}
}

func TestEveryBindingIsDocumented(t *testing.T) {
	md := string(Markdown(bindings.Docs(), Libs()))
	stubs := string(Stubs(bindings.Docs(), EventSpecs()))
	for _, d := range bindings.Docs() {
		if !strings.Contains(md, "### `"+d.Name+"`") {
			t.Errorf("lua-api.md lacks %s", d.Name)
		}
		if !strings.Contains(stubs, d.Name) {
			t.Errorf("stubs lack %s", d.Name)
		}
	}
	for _, want := range []string{"function twitch.send_message(text) end", "function log.warn(msg, fields) end", "function obs.stop_stream() end", "---@param fn fun(event: Event, cmd?: Command)"} {
		if !strings.Contains(stubs, want) {
			t.Errorf("stubs lack %q", want)
		}
	}
}

func TestParseLibReadsCommentsAndSignatures(t *testing.T) {
	src := "-- lib: intro\n\nlocal M = {}\n\n-- add(a, b) -> a + b\nfunction M.add(a, b)\n  return a + b\nend\n\nlocal function hidden() end\n\n-- roll\nfunction Gen:roll()\nend\nreturn M\n"
	l := ParseLib("lib", []byte(src))
	if l.Intro != "lib: intro" {
		t.Errorf("intro %q", l.Intro)
	}
	if len(l.Funcs) != 2 || l.Funcs[0].Name != "add" || l.Funcs[0].Doc != "add(a, b) -> a + b" || strings.Join(l.Funcs[0].Params, ",") != "a,b" || !l.Funcs[1].Method {
		t.Errorf("funcs %+v", l.Funcs)
	}
}

func TestParseParams(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"types, [opts,] fn", "types opts? fn"},
		{"key [, n]", "key n?"},
		{"\"module.function\", ...", "name ..."},
		{"", ""},
	} {
		var got []string
		for _, p := range parseParams(tc.in) {
			s := p.name
			if p.optional {
				s += "?"
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("parseParams(%q) = %v, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEventReferenceListsEveryType: every type the Twitch client, the OBS
// client and the engine emit is in docs/events.md and has a stub class.
func TestEventReferenceListsEveryType(t *testing.T) {
	md := string(EventsMarkdown(EventSpecs()))
	stubs := string(EventStubs(EventSpecs()))
	all := string(Stubs(bindings.Docs(), EventSpecs()))
	seen := map[string]bool{}
	for _, s := range EventSpecs() {
		if seen[s.Type] {
			t.Errorf("%s is specified twice", s.Type)
		}
		seen[s.Type] = true
		if !strings.Contains(md, "### "+s.Type+"\n") {
			t.Errorf("events.md lacks %s", s.Type)
		}
		for _, f := range s.Fields {
			if !strings.Contains(md, "| `"+f.Name+"` |") {
				t.Errorf("events.md lacks %s's field %s", s.Type, f.Name)
			}
		}
		if !strings.Contains(stubs, "---@class "+className(s.Type)+"Event: Event") {
			t.Errorf("events.lua lacks the class of %s", s.Type)
		}
		if !strings.Contains(all, "---@overload fun(types: \""+s.Type+"\"") {
			t.Errorf("on_event has no overload for %s", s.Type)
		}
	}
	for _, want := range []string{"twitch.chat.message", "twitch.follow", "obs.scene_changed", "engine.module.reloaded"} {
		if !seen[want] {
			t.Errorf("%s is not specified", want)
		}
	}
}
