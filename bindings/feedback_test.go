package bindings

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// TestCooldownReplyDefault: a module turns on one answer for all its commands
// still cooling down; a command's own text or false wins over it.
func TestCooldownReplyDefault(t *testing.T) {
	te := newTestEngine(t, map[string]string{"cd.lua": `module { name = "cd", permissions = { "twitch.chat" }, cooldown_reply = true }
command("!roll", { user_cooldown = 60 }, function(e) twitch.reply(e, "rolled") end)
command("!hug", { user_cooldown = 60, cooldown_reply = "no more hugs for {remaining}" }, function(e) twitch.reply(e, "hugged") end)
command("!quiet", { user_cooldown = 60, cooldown_reply = false }, function(e) twitch.reply(e, "quiet ok") end)`})
	for _, cmd := range []string{"!roll", "!hug", "!quiet"} {
		te.chatLine(cmd)
	}
	te.waitChat("rolled")
	te.waitChat("hugged")
	te.waitChat("quiet ok")
	for _, cmd := range []string{"!roll", "!hug", "!quiet"} {
		te.chatLine(cmd)
	}
	te.waitChat("Viewer, !roll is cooling down: try again in 1m")
	te.waitChat("no more hugs for 1m")
	te.noChat("!quiet is cooling down", 50*time.Millisecond)
}

func TestCooldownReplyMustBeTextOrBoolean(t *testing.T) {
	te := newTestEngine(t, map[string]string{"bad.lua": `module { name = "bad", cooldown_reply = 5 }`})
	if st := te.module("bad"); st.Status != "failed" {
		t.Fatalf("status %s", st.Status)
	}
}

type eventsSeen struct {
	mu  sync.Mutex
	got []*engine.Event
}

func (s *eventsSeen) Deliver(e *engine.Event, _ []*engine.Subscription) {
	s.mu.Lock()
	s.got = append(s.got, e)
	s.mu.Unlock()
}

func (s *eventsSeen) all() []*engine.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*engine.Event(nil), s.got...)
}

// TestHandlerErrorIsAnnounced: a handler's error on a chat line is an
// engine.script.error event (the chat console shows it), as EventSpecs
// documents it; a failing handler of that event raises no other.
func TestHandlerErrorIsAnnounced(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"crash.lua": `module { name = "crash" }
command("!boom", function(e) error("kaboom") end)`,
		"echo.lua": `module { name = "echo" }
on_event("engine.script.error", function(e) error("handler of errors fails too") end)`,
	})
	seen := &eventsSeen{}
	if _, err := te.bus.Subscribe(&engine.Subscription{Patterns: []string{ScriptErrorType}, Target: seen}); err != nil {
		t.Fatal(err)
	}
	te.chatLine("!boom")
	waitFor(t, 3*time.Second, func() bool { return te.module("echo").Errors > 0 })
	time.Sleep(50 * time.Millisecond)
	got := seen.all()
	if len(got) != 1 {
		t.Fatalf("%d engine.script.error events, want 1 (the echo's failure must not raise another): %v", len(got), got)
	}
	e := got[0]
	if err := EventSpecs[0].Check(e.Data); err != nil {
		t.Error(err)
	}
	if e.Data["module"] != "crash" || e.Data["event_type"] != "twitch.chat.message" || e.Data["event_id"] == "" ||
		!strings.Contains(e.Data["error"].(string), "kaboom") || e.Source != engine.SourceEngine {
		t.Errorf("event %+v", e)
	}
}
