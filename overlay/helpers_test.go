package overlay

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/starstreamer/starstreamer/engine"
)

type testEnv struct {
	t      testing.TB
	root   string // holds overlays/, media/ and secret.txt (outside both)
	m      *Manager
	bus    *engine.Bus
	srv    *httptest.Server
	events chan *engine.Event

	lastShown *engine.Event // the last overlay.alert.shown event() returned
}

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func newTestEnv(t testing.TB, mut ...func(*Config)) *testEnv {
	t.Helper()
	root := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	bus := engine.NewBus(engine.BusOptions{Logger: log})
	st, err := engine.OpenStore(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Dir: filepath.Join(root, "overlays"), Bus: bus, Store: st, Logger: log,
		AckWait: time.Second, Gap: 20 * time.Millisecond, Debounce: 20 * time.Millisecond}
	for _, f := range mut {
		f(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "secret.txt"), "TOP SECRET")
	write(t, filepath.Join(root, "media", "follow.png"), string(pngBytes))
	write(t, filepath.Join(root, "media", "sub", "tier2.png"), string(pngBytes))
	write(t, filepath.Join(root, "media", "fake.png"), "not a png at all")
	write(t, filepath.Join(root, "media", "ding.ogg"), "OggS\x00\x02rest-of-an-ogg-file")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	e := &testEnv{t: t, root: root, m: m, bus: bus, events: make(chan *engine.Event, 256)}
	e.srv = httptest.NewServer(m)
	sub, err := bus.Subscribe(&engine.Subscription{Patterns: []string{"overlay.*"}, Handler: func(ev *engine.Event) error {
		e.events <- ev
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bus.Unsubscribe(sub)
		cancel()
		<-done
		e.srv.Close()
	})
	return e
}

func write(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) key(name string) string {
	e.t.Helper()
	k, err := e.m.Key(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func (e *testEnv) get(path string) (int, string) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// page is a test's fake browser source: a WebSocket that records messages.
type fakePage struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan map[string]any
}

func (e *testEnv) open(name string, preview bool) *fakePage {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/overlay/" + name + "/ws?key=" + e.key(name)
	if preview {
		u += "&preview=1"
	}
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	p := &fakePage{t: e.t, conn: conn, msgs: make(chan map[string]any, 256)}
	go func() {
		defer close(p.msgs)
		for {
			var m map[string]any
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			p.msgs <- m
		}
	}()
	if m := p.next("hello"); m["overlay"] != name {
		e.t.Fatalf("hello: %v", m)
	}
	e.t.Cleanup(func() { conn.Close() })
	return p
}

// next returns the next message of type typ, skipping others.
func (p *fakePage) next(typ string) map[string]any {
	p.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				p.t.Fatalf("page closed while waiting for %q", typ)
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			p.t.Fatalf("no %q message", typ)
		}
	}
}

// nextAlert waits for an alert and says it is on screen.
func (p *fakePage) nextAlert() map[string]any {
	p.t.Helper()
	a := p.next("alert")["alert"].(map[string]any)
	if err := p.conn.WriteJSON(map[string]string{"type": "shown", "id": a["id"].(string)}); err != nil {
		p.t.Fatal(err)
	}
	return a
}

func (p *fakePage) none(typ string, wait time.Duration) {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-p.msgs:
			if m["type"] == typ {
				p.t.Fatalf("unexpected %q message: %v", typ, m)
			}
		case <-deadline:
			return
		}
	}
}

func (e *testEnv) event(typ string) *engine.Event {
	e.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-e.events:
			if ev.Type == typ {
				if typ == EventShown {
					e.lastShown = ev
				}
				return ev
			}
		case <-deadline:
			e.t.Fatalf("no %s event", typ)
			return nil
		}
	}
}

func (e *testEnv) alert(fields map[string]any) string {
	e.t.Helper()
	id, err := e.m.Alert(context.Background(), "test", fields)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
