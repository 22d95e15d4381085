package scripttest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHarnessReportsPassesAndFailuresWithLines(t *testing.T) {
	res := RunFile(filepath.Join("testdata", "scripts", "echo_test.lua"), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Tests) != 3 {
		t.Fatalf("ran %d tests, want 3", len(res.Tests))
	}
	if f := res.Tests[0].Failures; len(f) != 0 {
		t.Errorf("passing test failed: %v", f)
	}
	want := `echo_test.lua:15: got {"> hi"}, want {"something else"}`
	if f := res.Tests[1].Failures; len(f) == 0 || !strings.HasSuffix(f[0], want) {
		t.Errorf("failure = %q, want one ending in %q", f, want)
	}
	if f := res.Tests[2].Failures; len(f) == 0 || !strings.Contains(f[0], "echo_test.lua:21") || !strings.Contains(f[0], "field") {
		t.Errorf("script error = %q, want the line and the error", f)
	}
	if res.Failed() != 2 {
		t.Errorf("Failed() = %d, want 2", res.Failed())
	}
}

func TestRunWalksAFolder(t *testing.T) {
	var out bytes.Buffer
	failed, err := Run(filepath.Join("testdata", "scripts"), &out)
	if err != nil {
		t.Fatal(err)
	}
	// echo: 2 failing tests; orphan: tests no module (1); folder: passes
	if failed != 3 {
		t.Errorf("failed = %d, want 3\n%s", failed, out.String())
	}
	for _, want := range []string{"--- FAIL: fails with the line", "ok\ttestdata/scripts/folder/folder_test.lua\t1 tests, 0 failed", "orphan_test.lua tests no module"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := Run(filepath.Join("testdata", "missing"), &out); err == nil {
		t.Error("a missing path is not an error")
	}
}

func TestTarget(t *testing.T) {
	for _, tc := range []struct{ file, root, module string }{
		{"testdata/scripts/echo_test.lua", "testdata/scripts", "echo"},
		{"testdata/scripts/folder/folder_test.lua", "testdata/scripts", "folder"},
	} {
		root, module, err := target(filepath.FromSlash(tc.file))
		if err != nil || filepath.ToSlash(root) != tc.root || module != tc.module {
			t.Errorf("target(%s) = %s, %s, %v", tc.file, root, module, err)
		}
	}
}

// BenchmarkChatStep measures one t.chat step: emit, the handler replies, the
// engine settles. Most of it is the settle protocol's two quiet rounds.
func BenchmarkChatStep(b *testing.B) {
	e, err := newEnv(filepath.Join("testdata", "scripts"), discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer e.close()
	if err := e.load("echo"); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := e.emit("custom.ping", map[string]any{"n": 1}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func TestFilesOfAPath(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"lonely.lua", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "bare"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bare", "init.lua"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := filepath.Join("testdata", "scripts")
	tests := []struct {
		name, path string
		want       []string
		wantErr    string
	}{
		{"a test file is itself", filepath.Join(s, "echo_test.lua"), []string{filepath.Join(s, "echo_test.lua")}, ""},
		{"a module file means its tests", filepath.Join(s, "echo.lua"), []string{filepath.Join(s, "echo_test.lua")}, ""},
		{"a folder module's init.lua means the folder's tests", filepath.Join(s, "folder", "init.lua"), []string{filepath.Join(s, "folder", "folder_test.lua")}, ""},
		{"a folder module means its tests", filepath.Join(s, "folder"), []string{filepath.Join(s, "folder", "folder_test.lua")}, ""},
		{"a module without tests says where they go", filepath.Join(dir, "lonely.lua"), nil, "write them in " + filepath.Join(dir, "lonely_test.lua")},
		{"a folder module without tests says where they go", filepath.Join(dir, "bare", "init.lua"), nil, "write them in " + filepath.Join(dir, "bare", "bare_test.lua")},
		{"not a Lua file", filepath.Join(dir, "notes.txt"), nil, "not a Lua file"},
		{"missing", filepath.Join(dir, "nope.lua"), nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Files(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Files(%s) = %v, %v; want an error with %q", tt.path, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Files(%s) = %v, %v; want %v", tt.path, got, err, tt.want)
			}
		})
	}
}

// A handler error of the module under test (here a missing permission)
// fails the test at the step that caused it, unless the test says it
// expects it; an expected error that never comes fails too.
func TestHandlerErrorsFailTheTestUnlessExpected(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"np.lua": `module { name = "np" }
command("!say", function(e) twitch.send_message("hi") end)
command("!ok", function(e) end)`,
		"np_test.lua": `test("unexpected", function(t)
  t.chat("alice", "!say")
  t.fail("not reached")
end)
test("expected", function(t)
  t.expect_error("permission")
  t.chat("alice", "!say")
  t.chat("alice", "!ok")
end)
test("expected but absent", function(t)
  t.expect_error("permission")
  t.chat("alice", "!ok")
end)
test("expected another", function(t)
  t.expect_error("budget")
  t.chat("alice", "!say")
end)`,
	}
	for name, code := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := RunFile(filepath.Join(dir, "np_test.lua"), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := map[string]string{
		"unexpected":          `np_test.lua:2: module np raised a handler error: `,
		"expected":            "",
		"expected but absent": `t.expect_error("permission"): module np raised no handler error containing it`,
		"expected another":    `np_test.lua:16: module np raised a handler error`,
	}
	for _, tr := range res.Tests {
		w, ok := want[tr.Name]
		if !ok {
			t.Fatalf("unknown test %q", tr.Name)
		}
		switch {
		case w == "" && len(tr.Failures) > 0:
			t.Errorf("%s failed: %v", tr.Name, tr.Failures)
		case w != "" && (len(tr.Failures) == 0 || !strings.Contains(tr.Failures[0], w)):
			t.Errorf("%s: failures %q, want one containing %q", tr.Name, tr.Failures, w)
		}
		if tr.Name == "unexpected" && len(tr.Failures) > 0 && (!strings.Contains(tr.Failures[0], `"twitch.chat" permission`) || !strings.Contains(tr.Failures[0], "t.expect_error")) {
			t.Errorf("the failure does not name the error and the way out: %q", tr.Failures[0])
		}
	}
}

func TestDiscordCallsAreRecorded(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"dc.lua": `module { name = "dc", permissions = { "discord" } }
command("!hi", { platforms = { "discord" }, permission = "moderator" }, function(e)
  discord.reply(e, "hello " .. e.data.author.display_name)
  discord.react(e, "👋")
  local id, err = discord.send(e.data.channel, { title = "T", colour = 1 })
  discord.send(e.data.channel, "embed: " .. tostring(err))
end)`,
		"dc_test.lua": `local function line(text, mod)
  return { channel = "c1", message_id = "m1", content = text, guild = "g",
    author = { id = "7", username = "ada", display_name = "Ada", roles = {}, moderator = mod } }
end
test("replies on Discord to moderators", function(t)
  t.emit("discord.message", line("!hi", false))
  t.eq(#t.discord(), 0, "a member without a moderator role")
  t.emit("discord.message", line("!hi", true))
  local calls = t.discord()
  t.eq(#calls, 3)
  t.eq(calls[1].kind, "reply") t.eq(calls[1].text, "hello Ada") t.eq(calls[1].message_id, "m1")
  t.eq(calls[2].emoji, "👋")
  t.contains(calls[3].text, "embed.colour is not an embed field")
end)`,
	}
	for name, code := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := RunFile(filepath.Join(dir, "dc_test.lua"), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Failed() > 0 || len(res.Tests) != 1 {
		var out strings.Builder
		res.Report(&out)
		t.Fatalf("script test failed:\n%s", out.String())
	}
}
