package bindings

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// TestCore is what the tests of this package need of an assembled engine.
// The engine is built by the app package, which imports this one, so an
// external test file (assemble_test.go, package bindings_test) sets Assemble.
type TestCore struct {
	// in
	Dir, Data string
	Log       *slog.Logger
	Chat      *engine.ChatSink
	Config    func(*Config)
	// out
	Runtime  *Runtime
	Registry *engine.Registry
	Bus      *engine.Bus
	Store    *engine.Store
	Close    func()
}

// Assemble builds the engine of a test (set by assemble_test.go).
var Assemble func(TestCore) (TestCore, error)

// testEngine is a whole engine core on a temporary folder and store.
type testEngine struct {
	t     *testing.T
	dir   string
	bus   *engine.Bus
	store *engine.Store
	reg   *engine.Registry
	rt    *Runtime
	chat  *engine.ChatSink
}

func newTestEngine(t *testing.T, scripts map[string]string, opts ...func(*Config)) *testEngine {
	t.Helper()
	dir := t.TempDir()
	for name, code := range scripts {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	chat := engine.NewChatSink(100, nil)
	core, err := Assemble(TestCore{Dir: dir, Data: filepath.Join(t.TempDir(), "test.db"), Log: log, Chat: chat, Config: func(c *Config) {
		c.HandlerBudget = 200 * time.Millisecond
		for _, o := range opts {
			o(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	te := &testEngine{t: t, dir: dir, bus: core.Bus, store: core.Store, reg: core.Registry, rt: core.Runtime, chat: chat}
	reg := core.Registry
	t.Cleanup(core.Close)
	if _, err := reg.LoadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	return te
}

func (te *testEngine) emit(typ string, data map[string]any) {
	te.t.Helper()
	if err := te.bus.Emit(&engine.Event{Type: typ, Data: data, Source: "test"}); err != nil {
		te.t.Fatal(err)
	}
}

// chatLine emits a chat message from a plain viewer (or with flags).
func (te *testEngine) chatLine(text string, flags ...string) {
	u := map[string]any{"id": "1001", "username": "viewer", "display_name": "Viewer"}
	for _, f := range flags {
		u[f] = true
	}
	te.emit("twitch.chat.message", map[string]any{"user": u, "message": text, "message_id": "m-" + text})
}

// waitChat waits until the chat sink holds a message containing want.
func (te *testEngine) waitChat(want string) engine.ChatMessage {
	te.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range te.chat.Recent() {
			if strings.Contains(m.Text, want) {
				return m
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	te.t.Fatalf("no chat message containing %q; have %v", want, te.chat.Recent())
	return engine.ChatMessage{}
}

func (te *testEngine) noChat(unwanted string, wait time.Duration) {
	te.t.Helper()
	time.Sleep(wait)
	for _, m := range te.chat.Recent() {
		if strings.Contains(m.Text, unwanted) {
			te.t.Fatalf("unexpected chat message %q", m.Text)
		}
	}
}

func (te *testEngine) module(name string) engine.ModuleState {
	te.t.Helper()
	st, ok := te.reg.Module(name)
	if !ok {
		te.t.Fatalf("module %s unknown", name)
	}
	return st
}
