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
	st, err := engine.OpenStore(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	bus := engine.NewBus(engine.BusOptions{})
	chat := engine.NewChatSink(100, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	cfg := Config{Bus: bus, Store: st, Chat: chat, HandlerBudget: 200 * time.Millisecond, Logger: log}
	for _, o := range opts {
		o(&cfg)
	}
	rt := NewRuntime(cfg)
	reg := engine.NewRegistry(engine.RegistryConfig{Dir: dir, Bus: bus, Store: st, Loader: rt, LoadTimeout: 2 * time.Second, Logger: log})
	te := &testEngine{t: t, dir: dir, bus: bus, store: st, reg: reg, rt: rt, chat: chat}
	t.Cleanup(func() {
		reg.StopAll(context.Background())
		st.Close()
	})
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
