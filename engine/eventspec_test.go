package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

type dataTarget struct {
	mu  sync.Mutex
	got []*engine.Event
}

func (d *dataTarget) Deliver(e *engine.Event, _ []*engine.Subscription) {
	d.mu.Lock()
	d.got = append(d.got, e)
	d.mu.Unlock()
}

// TestEngineEventsAreAsSpecified drives the registry and the chat sink
// through every event they emit and checks each against EventSpecs.
func TestEngineEventsAreAsSpecified(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	rec := &dataTarget{}
	mustSubscribe(t, e.bus, &engine.Subscription{Patterns: []string{"engine.*"}, Target: rec})
	e.script("chat", "v: 1\non: twitch.*")
	e.script("broken", "v: 1\nfail: init")
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	e.script("chat", "v: 2\nfail: init")
	_ = r.Load(ctx, "chat")
	e.script("chat", "v: 3\non: twitch.*")
	if err := r.Load(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	if err := r.Unload(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Install(ctx, []byte("name: pasted\nv: 1\non: twitch.*"), false); err != nil {
		t.Fatal(err)
	}
	engine.NewChatSink(10, e.bus).Add(engine.ChatMessage{Module: "chat", Text: "hi", ReplyTo: "m1"})

	specs := map[string]engine.EventSpec{}
	for _, s := range engine.EventSpecs {
		specs[s.Type] = s
		if err := s.Check(s.Example); err != nil {
			t.Errorf("example: %v", err)
		}
	}
	seen := map[string]bool{}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ev := range rec.got {
		s, ok := specs[ev.Type]
		if !ok {
			t.Errorf("%s has no EventSpecs entry", ev.Type)
			continue
		}
		seen[ev.Type] = true
		if err := s.Check(ev.Data); err != nil {
			t.Errorf("off its spec: %v", err)
		}
	}
	for typ := range specs {
		if !seen[typ] {
			t.Errorf("%s is specified but the test did not see it (seen: %v)", typ, slices.Sorted(mapKeys(seen)))
		}
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// The chat messages the project builds itself (panel, templates, script
// tests) have the documented shape; the badges follow the roles, and
// data.badges is a copy of user.badges, not the same list.
func TestChatMessageDataIsAsSpecified(t *testing.T) {
	var spec engine.EventSpec
	for _, s := range engine.TwitchEventSpecs {
		if s.Type == "twitch.chat.message" {
			spec = s
		}
	}
	for _, u := range []engine.ChatUser{
		{ID: "1", Login: "viewer", DisplayName: "Viewer"},
		{ID: "2", Login: "boss", DisplayName: "Boss", Broadcaster: true, Moderator: true, VIP: true, Subscriber: true},
	} {
		user := u.Data()
		data := engine.ChatMessageData(user, "hi", "m-1")
		if err := spec.Check(data); err != nil {
			t.Errorf("%+v: %v", u, err)
		}
		badges := data["badges"].([]any)
		want := 0
		for _, on := range []bool{u.Broadcaster, u.Moderator, u.VIP, u.Subscriber} {
			if on {
				want++
			}
		}
		if len(badges) != want || len(user["badges"].([]any)) != want {
			t.Errorf("%+v: %d badges, %d in user, want %d", u, len(badges), len(user["badges"].([]any)), want)
		}
		if want > 0 {
			badges[0].(map[string]any)["set_id"] = "changed"
			if user["badges"].([]any)[0].(map[string]any)["set_id"] == "changed" {
				t.Errorf("%+v: data.badges shares its maps with user.badges", u)
			}
		}
	}
}
