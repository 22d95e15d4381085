package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/overlay"
)

const testAddr = "127.0.0.1:8888"

// helloScript answers !hello in chat; the browser test pastes a copy of it.
const helloScript = `module { name = "hello", description = "Says hello", version = "1.0.0", author = "tests",
  permissions = { "twitch.chat" }, config = { greeting = "Hello", shout = false, times = 1 } }
command("!hello", { usage = "!hello" }, function(event, cmd)
  local text = config.greeting .. " " .. event.data.user.display_name
  if config.shout then text = string.upper(text) end
  twitch.reply(event, text)
end)
`

const counterScript = `module { name = "counter", description = "Counts follows", version = "0.2.0", author = "tests",
  permissions = { "store" }, config = { step = 1 } }
on_event("twitch.follow", function(event) store.incr("follows", config.step) end)
`

const brokenScript = `module { name = "broken" }
this is not lua
`

// TestCore is what the tests of this package need of an assembled engine.
// The engine (with its Lua runtime) is built by the app package; web may not
// import the runtime, tests included, so an external test file
// (assemble_test.go, package web_test) sets Assemble.
type TestCore struct {
	// in
	Dir, Data string
	Overlays  string // the overlays folder ("" for none)
	Log       *slog.Logger
	Config    func(*Config)
	// out
	Server   *Server
	Registry *engine.Registry
	Bus      *engine.Bus
	Store    *engine.Store
	Chat     *engine.ChatSink
	Overlay  *overlay.Manager
	Close    func()
}

// Assemble builds the engine of a test (set by assemble_test.go).
var Assemble func(TestCore) (TestCore, error)

// testEnv is a whole engine (real Lua runtime) behind a Server.
type testEnv struct {
	t     *testing.T
	dir   string
	bus   *engine.Bus
	store *engine.Store
	chat  *engine.ChatSink
	reg   *engine.Registry
	srv   *Server
	ov    *overlay.Manager // with newOverlayEnv
	token string
	ctx   context.Context
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t testing.TB, scripts map[string]string, mut ...func(*Config)) *testEnv {
	t.Helper()
	return newEnvIn(t, t.TempDir(), "", quietLogger(), scripts, mut...)
}

// newEnvLog is newEnv with every component logging to log.
func newEnvLog(t testing.TB, scripts map[string]string, log *slog.Logger, mut ...func(*Config)) *testEnv {
	t.Helper()
	return newEnvIn(t, t.TempDir(), "", log, scripts, mut...)
}

// newOverlayEnv is newEnv with overlays: root/scripts, root/overlays and root/media.
func newOverlayEnv(t testing.TB, root string, scripts map[string]string, mut ...func(*Config)) *testEnv {
	t.Helper()
	return newEnvIn(t, filepath.Join(root, "scripts"), filepath.Join(root, "overlays"), quietLogger(), scripts, mut...)
}

func newEnvIn(t testing.TB, dir, overlays string, log *slog.Logger, scripts map[string]string, mut ...func(*Config)) *testEnv {
	t.Helper()
	for name, code := range scripts {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	core, err := Assemble(TestCore{Dir: dir, Overlays: overlays, Data: filepath.Join(t.TempDir(), "t.db"), Log: log, Config: func(c *Config) {
		c.Addr = testAddr
		c.Platforms = func() map[string]string { return map[string]string{"twitch": "offline", "obs": "connected"} }
		for _, m := range mut {
			m(c)
		}
	}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		core.Close()
	})
	st, reg, bus, chat, srv := core.Store, core.Registry, core.Bus, core.Chat, core.Server
	if _, err := reg.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := Token(st)
	if err != nil {
		t.Fatal(err)
	}
	var tt *testing.T
	if x, ok := t.(*testing.T); ok {
		tt = x
	}
	return &testEnv{t: tt, dir: dir, bus: bus, store: st, chat: chat, reg: reg, srv: srv, ov: core.Overlay, token: tok, ctx: ctx}
}

// req describes one request; zero values mean: Host 127.0.0.1:8888, the token, no Origin.
type req struct {
	method, path string
	body         any // string, []byte or a value to encode as JSON
	host         string
	origin       string
	auth         string // "" = Bearer token; "none" = no header; anything else is sent as is
	cookie       string
	remote       string
	header       map[string]string
}

func (e *testEnv) do(r req) *httptest.ResponseRecorder {
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			panic(err)
		}
		body = bytes.NewReader(data)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	hr.Host = testAddr
	if r.host != "" {
		hr.Host = r.host
	}
	hr.RemoteAddr = "127.0.0.1:50000"
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch r.auth {
	case "":
		hr.Header.Set("Authorization", "Bearer "+e.token)
	case "none":
	default:
		hr.Header.Set("Authorization", r.auth)
	}
	if r.origin != "" {
		hr.Header.Set("Origin", r.origin)
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: SessionCookie, Value: r.cookie})
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, hr)
	return w
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %d is not the expected JSON: %v\n%s", w.Code, err, w.Body.String())
	}
	return v
}

// collect subscribes to pattern and returns a channel of the events.
func (e *testEnv) collect(pattern string) <-chan *engine.Event {
	ch := make(chan *engine.Event, 256)
	sub, err := e.bus.Subscribe(&engine.Subscription{Patterns: []string{pattern}, Handler: func(ev *engine.Event) error {
		select {
		case ch <- ev:
		default:
		}
		return nil
	}})
	if err != nil {
		panic(err)
	}
	if e.t != nil {
		e.t.Cleanup(func() { e.bus.Unsubscribe(sub) })
	}
	return ch
}

func waitEvent(t testing.TB, ch <-chan *engine.Event, match func(*engine.Event) bool) *engine.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ch:
			if match == nil || match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("timed out waiting for an event")
			return nil
		}
	}
}

// waitFor polls cond until it holds (a bounded wait, not a timing assertion).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve runs the server on a real loopback listener and returns its address.
func (e *testEnv) serve(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
