package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func TestModuleForPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	cases := []struct {
		name   string
		path   string
		module string // "" means not a module's file
	}{
		{"one-file module", "chat.lua", "chat"},
		{"folder module's init", "rpg/init.lua", "rpg"},
		{"folder module's other file", "rpg/shop.lua", "rpg"},
		{"file in a sub-folder of a module", "rpg/sub/items.lua", "rpg"},
		{"the module folder itself", "rpg", "rpg"},
		{"dashes and underscores", "my_mod-2.lua", "my_mod-2"},
		{"hidden file", ".chat.lua", ""},
		{"hidden folder", ".git/config.lua", ""},
		{"hidden file in a module", "rpg/.shop.lua", ""},
		{"script test", "chat_test.lua", ""},
		{"vim swap file", ".chat.lua.swp", ""},
		{"vim swap file in a module", "rpg/.init.lua.swp", ""},
		{"backup file", "chat.lua~", ""},
		{"backup file in a module", "rpg/init.lua~", ""},
		{"vim write probe", "4913", ""},
		{"vim write probe in a module", "rpg/4913", ""},
		{"VS Code style temporary", ".chat.lua.tmp", ""},
		{"not Lua", "notes.txt", ""},
		{"not Lua in a module", "rpg/readme.md", ""},
		{"bad module name", "my mod.lua", ""},
		{"bad folder name", "my mod/init.lua", ""},
		{"the scripts folder", ".", ""},
		{"escapes the folder", "../escape.lua", ""},
		{"escapes and comes back", "../scripts2/x.lua", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := engine.ModuleForPath(dir, filepath.Join(dir, c.path))
			if ok != (c.module != "") || got != c.module {
				t.Errorf("ModuleForPath(%s) = %q, %v; want %q", c.path, got, ok, c.module)
			}
		})
	}
	// a folder named with digits only is a module; a file so named is vim's probe
	if err := os.MkdirAll(filepath.Join(dir, "2024"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, ok := engine.ModuleForPath(dir, filepath.Join(dir, "2024")); !ok || got != "2024" {
		t.Errorf("ModuleForPath(2024/) = %q, %v; want the folder module 2024", got, ok)
	}
	if got, ok := engine.ModuleForPath(dir, "/elsewhere/chat.lua"); ok {
		t.Errorf("a path outside the folder maps to %q", got)
	}
}

const debounce = 20 * time.Millisecond

// watch starts a Watcher on dir; module names arrive on the returned channel.
func watch(t *testing.T, dir string, debounce time.Duration) <-chan string {
	t.Helper()
	ch := make(chan string, 64)
	w, err := engine.NewWatcher(dir, debounce, quiet, func(m string) { ch <- m })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// expectChange waits (bounded) for the next callback and checks its module.
func expectChange(t *testing.T, ch <-chan string, module string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != module {
			t.Fatalf("callback for %q, want %q", got, module)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no callback for %q", module)
	}
}

// expectQuiet checks that no further callback comes within 10 debounce periods
// (at most 2 debounce periods past 500 ms).
func expectQuiet(t *testing.T, ch <-chan string, debounce time.Duration) {
	t.Helper()
	wait := min(10*debounce, max(500*time.Millisecond, 2*debounce))
	select {
	case got := <-ch:
		t.Fatalf("unexpected extra callback for %q", got)
	case <-time.After(wait):
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatcherCallsBackOncePerChange(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(dir string) // before the watcher starts
		change   func(dir string)
		module   string
		debounce time.Duration // 0: the short default
	}{
		{"write in place",
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v1") },
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v2") },
			"chat", 0},
		{"write a temporary file, rename it over the script",
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v1") },
			func(dir string) {
				tmp := filepath.Join(dir, ".chat.lua.tmp")
				write(t, tmp, "v2")
				if err := os.Rename(tmp, filepath.Join(dir, "chat.lua")); err != nil {
					t.Fatal(err)
				}
			},
			"chat", 0},
		{"vim: backup, probe file, write",
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v1") },
			func(dir string) {
				p := filepath.Join(dir, "chat.lua")
				write(t, filepath.Join(dir, "4913"), "")
				os.Remove(filepath.Join(dir, "4913"))
				if err := os.Rename(p, p+"~"); err != nil {
					t.Fatal(err)
				}
				write(t, p, "v2")
				os.Remove(p + "~")
			},
			"chat", 0},
		{"delete",
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v1") },
			func(dir string) { os.Remove(filepath.Join(dir, "chat.lua")) },
			"chat", 0},
		{"new folder module",
			func(string) {},
			func(dir string) {
				if err := os.Mkdir(filepath.Join(dir, "rpg"), 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, "rpg", "init.lua"), "v1")
			},
			"rpg", 0},
		{"write in an existing sub-folder of a module",
			func(dir string) {
				os.MkdirAll(filepath.Join(dir, "rpg", "lib"), 0o755)
				write(t, filepath.Join(dir, "rpg", "init.lua"), "v1")
			},
			func(dir string) { write(t, filepath.Join(dir, "rpg", "lib", "shop.lua"), "v1") },
			"rpg", 0},
		{"several quick writes",
			func(dir string) { write(t, filepath.Join(dir, "chat.lua"), "v1") },
			func(dir string) {
				// one open file, several write(2)s: each is an fsnotify Write, and
				// none waits for the disk (closing after O_TRUNC may flush on ext4,
				// which made separate os.WriteFile calls anything but quick)
				f, err := os.OpenFile(filepath.Join(dir, "chat.lua"), os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for _, v := range []string{"v2", "v3", "v4", "v5", "v6"} {
					if _, err := f.WriteString(v); err != nil {
						t.Fatal(err)
					}
				}
			},
			// The writes take microseconds, but under -race on two busy cores the
			// writing goroutine was seen to stall past 20 ms about once in 200
			// runs, which splits the burst for any debouncer: give it room.
			"chat", 250 * time.Millisecond},
		{"hidden and test files only",
			func(string) {},
			func(dir string) {
				write(t, filepath.Join(dir, ".hidden.lua"), "x")
				write(t, filepath.Join(dir, "chat_test.lua"), "x")
				write(t, filepath.Join(dir, "notes.txt"), "x")
			},
			"", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := c.debounce
			if d == 0 {
				d = debounce
			}
			dir := t.TempDir()
			c.setup(dir)
			ch := watch(t, dir, d)
			c.change(dir)
			if c.module != "" {
				expectChange(t, ch, c.module)
			}
			expectQuiet(t, ch, d)
		})
	}
}

func TestWatcherFollowsNewFolders(t *testing.T) {
	dir := t.TempDir()
	ch := watch(t, dir, debounce)
	if err := os.MkdirAll(filepath.Join(dir, "rpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "rpg", "init.lua"), "v1")
	expectChange(t, ch, "rpg")
	// the new folder is watched: later writes inside it, and in a folder made
	// inside it, are seen
	write(t, filepath.Join(dir, "rpg", "init.lua"), "v2")
	expectChange(t, ch, "rpg")
	if err := os.Mkdir(filepath.Join(dir, "rpg", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, ch, debounce) // a bare sub-folder is not a change of Lua code
	write(t, filepath.Join(dir, "rpg", "sub", "x.lua"), "v1")
	expectChange(t, ch, "rpg")
	// two modules changing at once get one callback each
	write(t, filepath.Join(dir, "a.lua"), "v1")
	write(t, filepath.Join(dir, "rpg", "init.lua"), "v3")
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		select {
		case m := <-ch:
			got[m] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("callbacks so far %v, want a and rpg", got)
		}
	}
	if !got["a"] || !got["rpg"] {
		t.Errorf("callbacks %v, want a and rpg", got)
	}
	expectQuiet(t, ch, debounce)
}

func TestWatcherStopsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	ch := make(chan string, 4)
	w, err := engine.NewWatcher(dir, debounce, quiet, func(m string) { ch <- m })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	write(t, filepath.Join(dir, "chat.lua"), "v1")
	expectQuiet(t, ch, debounce)

	if _, err := engine.NewWatcher(filepath.Join(dir, "missing"), time.Millisecond, quiet, func(string) {}); err == nil {
		t.Error("NewWatcher on a missing folder succeeded")
	}
}

func TestWatcherLogsALuaFileItCannotLoad(t *testing.T) {
	dir := t.TempDir()
	var logged lockedBuffer
	w, err := engine.NewWatcher(dir, debounce, slog.New(slog.NewTextHandler(&logged, nil)), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	write(t, filepath.Join(dir, "my script.lua"), "module{}")
	write(t, filepath.Join(dir, "my script.lua"), "module{} -- again")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logged.String(), "rename it to my_script.lua") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning for my script.lua:\n%s", logged.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := strings.Count(logged.String(), "file in the scripts folder ignored"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logged.String())
	}
}
