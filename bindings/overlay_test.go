package bindings

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// recOverlay records what overlay.* calls hand to the overlay server.
type recOverlay struct {
	mu     sync.Mutex
	alerts []map[string]any
	sent   []string
	fail   error
}

func (r *recOverlay) Alert(ctx context.Context, module string, fields map[string]any) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return "", r.fail
	}
	if ModuleFrom(ctx) != module {
		return "", fmt.Errorf("context names module %q, argument %q", ModuleFrom(ctx), module)
	}
	r.alerts = append(r.alerts, fields)
	return fmt.Sprintf("a%d", len(r.alerts)), nil
}

func (r *recOverlay) Send(ctx context.Context, module, name string, data any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, fmt.Sprintf("%s %s %v", module, name, data))
	return r.fail
}

const overlayScript = `module { name = "shows", permissions = { "overlay", "twitch.chat" } }
on_event("go", function(e)
  local id, err = overlay.alert{ kind = "follow", title = "New follower", text = e.data.who, duration = 2 }
  twitch.send_message("alert " .. tostring(id) .. " " .. tostring(err))
  local ok, err2 = overlay.send("alerts", { id = "goal", value = 3 })
  twitch.send_message("send " .. tostring(ok) .. " " .. tostring(err2))
end)
`

func TestOverlayAlertHandsTheFieldsToTheOverlayServer(t *testing.T) {
	rec := &recOverlay{}
	te := newTestEngine(t, map[string]string{"shows.lua": overlayScript}, func(c *Config) { c.Overlay = rec })
	te.emit("go", map[string]any{"who": "Alice"})
	te.waitChat("alert a1 nil")
	te.waitChat("send true nil")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	a := rec.alerts[0]
	if a["kind"] != "follow" || a["title"] != "New follower" || a["text"] != "Alice" || a["duration"] != int64(2) {
		t.Fatalf("fields %v", a)
	}
	if rec.sent[0] != "shows alerts map[id:goal value:3]" {
		t.Fatalf("sent %v", rec.sent)
	}
}

func TestOverlayErrorsAreReturnedNotRaised(t *testing.T) {
	rec := &recOverlay{fail: errors.New("the alerts overlay has 50 alerts waiting")}
	te := newTestEngine(t, map[string]string{"shows.lua": overlayScript}, func(c *Config) { c.Overlay = rec })
	te.emit("go", map[string]any{"who": "Alice"})
	te.waitChat("alert nil overlay: the alerts overlay has 50 alerts waiting")
	// without an overlay server
	te2 := newTestEngine(t, map[string]string{"shows.lua": overlayScript})
	te2.emit("go", map[string]any{"who": "Bob"})
	te2.waitChat("alert nil overlay: overlays are off")
}

func TestOverlayNeedsItsPermissionAndAHandler(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		{"no permission", `module { name = "m", permissions = { "twitch.chat" } }
on_event("go", function() local ok, err = pcall(overlay.alert, { text = "x" }) twitch.send_message(tostring(err)) end)`, `needs the "overlay" permission`},
		{"top level", `module { name = "m", permissions = { "overlay", "twitch.chat" } }
local ok, err = pcall(overlay.send, "alerts", {})
on_event("go", function() twitch.send_message(tostring(err)) end)`, "cannot be used in top-level code"},
		{"no table", `module { name = "m", permissions = { "overlay", "twitch.chat" } }
on_event("go", function() local ok, err = pcall(overlay.alert, "text") twitch.send_message(tostring(err)) end)`, "table expected"},
		{"emit of an overlay event", `module { name = "m", permissions = { "overlay", "twitch.chat" } }
on_event("go", function() local ok, err = pcall(emit, "overlay.alert.done", { id = "x" }) twitch.send_message(tostring(err)) end)`, "a module may not emit them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"m.lua": tc.code}, func(c *Config) { c.Overlay = &recOverlay{} })
			te.emit("go", nil)
			te.waitChat(tc.want)
		})
	}
}
