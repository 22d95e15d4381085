package bindings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func versioned(v int) string {
	return fmt.Sprintf(`module { name = "echo", permissions = { "twitch.chat" } }
local VERSION = %d
on_event("load.test", function(event) emit("load.ack", { n = event.data.n, v = VERSION }) end)
command("!ver", function(event) twitch.reply(event, "version " .. VERSION) end)
`, v)
}

func (te *testEngine) write(name, code string) {
	te.t.Helper()
	if err := os.WriteFile(filepath.Join(te.dir, name), []byte(code), 0o644); err != nil {
		te.t.Fatal(err)
	}
}

func TestBrokenSaveKeepsTheOldVersionAnswering(t *testing.T) {
	te := newTestEngine(t, map[string]string{"echo.lua": versioned(1)})
	ctx := context.Background()
	te.write("echo.lua", versioned(1)+"\nthis is not lua\n")
	if err := te.reg.Load(ctx, "echo"); err == nil {
		t.Fatal("broken save loaded")
	}
	st := te.module("echo")
	if st.Status != "running" || st.LastReload == nil || st.LastReload.OK || !strings.Contains(st.LastError, "echo.lua:6:") {
		t.Fatalf("state after a broken save: status=%s last=%+v err=%q", st.Status, st.LastReload, st.LastError)
	}
	te.chatLine("!ver")
	te.waitChat("version 1")
	te.write("echo.lua", versioned(2))
	if err := te.reg.Load(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	if st := te.module("echo"); st.LastError != "" || !st.LastReload.OK || st.ReloadsFailed != 1 || st.ReloadsSucceeded != 2 {
		t.Fatalf("after the fix: %+v", st)
	}
	te.chatLine("!ver")
	te.waitChat("version 2")
}

func TestUnchangedFileDoesNotReload(t *testing.T) {
	te := newTestEngine(t, map[string]string{"echo.lua": versioned(1)})
	before := te.module("echo").ReloadsSucceeded
	if err := te.reg.Load(context.Background(), "echo"); err != nil {
		t.Fatal(err)
	}
	if after := te.module("echo").ReloadsSucceeded; after != before {
		t.Fatalf("reloads %d -> %d", before, after)
	}
}

// While events stream in, the module is reloaded again and again: every event
// must be handled exactly once, by one version or the other.
func TestReloadUnderLoadDropsAndDoublesNothing(t *testing.T) {
	te := newTestEngine(t, map[string]string{"echo.lua": versioned(0)})
	var mu sync.Mutex
	seen := map[int64]int{}
	if _, err := te.bus.Subscribe(&engine.Subscription{Patterns: []string{"load.ack"}, Handler: func(e *engine.Event) error {
		mu.Lock()
		seen[e.Data["n"].(int64)]++
		mu.Unlock()
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	const events = 5000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < events; i++ {
			te.emit("load.test", map[string]any{"n": i})
			if i%50 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for v := 1; v <= 20; v++ {
		te.write("echo.lua", versioned(v))
		if err := te.reg.Load(context.Background(), "echo"); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	waitFor(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == events
	})
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for n, c := range seen {
		if c != 1 {
			t.Fatalf("event %d handled %d times", n, c)
		}
	}
	if len(seen) != events {
		t.Fatalf("handled %d of %d events", len(seen), events)
	}
}

func TestHotReloadThroughTheWatcher(t *testing.T) {
	te := newTestEngine(t, map[string]string{"echo.lua": versioned(1)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := engine.NewWatcher(te.dir, 20*time.Millisecond, nil, func(m string) { te.reg.FileChanged(ctx, m) })
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(ctx)
	// an editor's write-then-rename save
	tmp := filepath.Join(te.dir, ".echo.lua.swp")
	if err := os.WriteFile(tmp, []byte(versioned(7)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(te.dir, "echo.lua")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, func() bool {
		te.chatLine("!ver")
		time.Sleep(5 * time.Millisecond)
		for _, m := range te.chat.Recent() {
			if m.Text == "version 7" {
				return true
			}
		}
		return false
	})
	// a new module file loads, a deleted one unloads
	te.write("fresh.lua", `module { name = "fresh", permissions = { "twitch.chat" } }
command("!fresh", function(e) twitch.reply(e, "fresh here") end)`)
	waitFor(t, 3*time.Second, func() bool { st, ok := te.reg.Module("fresh"); return ok && st.Status == "running" })
	te.chatLine("!fresh")
	te.waitChat("fresh here")
	os.Remove(filepath.Join(te.dir, "fresh.lua"))
	waitFor(t, 3*time.Second, func() bool { _, ok := te.reg.Module("fresh"); return !ok })
}

func TestCooldownsSurviveReloads(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	code := `module { name = "cd", permissions = { "twitch.chat" } }
command("!work", { user_cooldown = 300, cooldown_reply = "wait {remaining}" }, function(e) twitch.reply(e, "worked") end)`
	te := newTestEngine(t, map[string]string{"cd.lua": code}, func(c *Config) { c.Now = clock })
	te.chatLine("!work")
	te.waitChat("worked")
	te.write("cd.lua", code+"\n-- edited")
	if err := te.reg.Load(context.Background(), "cd"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(299 * time.Second)
	mu.Unlock()
	te.chatLine("!work")
	te.waitChat("wait 1s")
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	before := len(te.chat.Recent())
	te.chatLine("!work")
	waitFor(t, 2*time.Second, func() bool { return len(te.chat.Recent()) > before })
	if last := te.chat.Recent()[len(te.chat.Recent())-1]; last.Text != "worked" {
		t.Fatalf("at 300 s: %q", last.Text)
	}
}

func TestUndoingABrokenSaveClearsTheError(t *testing.T) {
	te := newTestEngine(t, map[string]string{"echo.lua": versioned(1)})
	ctx := context.Background()
	te.write("echo.lua", versioned(1)+"\nbroken(\n")
	te.reg.Load(ctx, "echo")
	if st := te.module("echo"); st.LastError == "" {
		t.Fatal("no error after a broken save")
	}
	te.write("echo.lua", versioned(1))
	if err := te.reg.Load(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	if st := te.module("echo"); st.LastError != "" || !st.LastReload.OK || st.Status != "running" {
		t.Fatalf("after undoing the broken save: %+v", st)
	}
}

func TestPastedScriptWaitsForApprovalEvenWithoutPermissions(t *testing.T) {
	te := newTestEngine(t, nil)
	ctx := context.Background()
	info, err := te.reg.Install(ctx, []byte(`module { name = "pasted" }
on_event("x", function() end)`), false)
	if err != nil || info.Name != "pasted" {
		t.Fatalf("install: %v %+v", err, info)
	}
	if err := te.reg.Enable(ctx, "pasted"); err == nil {
		t.Fatal("enabled without approval")
	}
	if st := te.module("pasted"); st.Status != "awaiting_approval" {
		t.Fatalf("status %s", st.Status)
	}
	if _, err := te.reg.Approve(ctx, "pasted", ""); err != nil {
		t.Fatal(err)
	}
	if st := te.module("pasted"); st.Status != "running" {
		t.Fatalf("after approval: %s %s", st.Status, st.LastError)
	}
}
