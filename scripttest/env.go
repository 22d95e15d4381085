package scripttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
)

// env is one test's engine: bus, registry and Lua runtime on a temporary
// store, with fake Twitch, OBS and clock.
type env struct {
	root    string // the scripts folder
	modules []string
	dbDir   string
	store   *engine.Store
	bus     *engine.Bus
	reg     *engine.Registry
	loader  *loader
	clock   *clock
	twitch  *fakeTwitch
	obs     *fakeOBS
	overlay *fakeOverlay
	discord *fakeDiscord
	web     *fakeWeb
	log     *slog.Logger
	mark    int // index into twitch.sent of the current step
}

// loader wraps the Lua runtime to keep each module's newest instance, whose
// Status tells whether handlers are still running.
type loader struct {
	rt    engine.Loader
	mu    sync.Mutex
	insts map[string]engine.Instance
}

func (l *loader) Load(ctx context.Context, src engine.Source, reg engine.Host) (engine.Instance, error) {
	in, err := l.rt.Load(ctx, src, reg)
	if err == nil {
		l.mu.Lock()
		l.insts[src.Name] = in
		l.mu.Unlock()
	}
	return in, err
}

// instance is module name's newest instance (nil before it loaded).
func (l *loader) instance(name string) engine.Instance {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.insts[name]
}

func (l *loader) instances() []engine.Instance {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]engine.Instance, 0, len(l.insts))
	for _, in := range l.insts {
		out = append(out, in)
	}
	return out
}

func newEnv(root string, log *slog.Logger) (*env, error) {
	dbDir, err := os.MkdirTemp("", "starstreamer-test-*")
	if err != nil {
		return nil, fmt.Errorf("temporary store: %w", err)
	}
	st, err := engine.OpenStore(filepath.Join(dbDir, "test.db"))
	if err != nil {
		os.RemoveAll(dbDir)
		return nil, fmt.Errorf("temporary store: %w", err)
	}
	e := &env{root: root, dbDir: dbDir, store: st, clock: &clock{now: Start},
		twitch: newFakeTwitch(), obs: &fakeOBS{scene: "Main"}, log: log}
	e.overlay = &fakeOverlay{bus: func() *engine.Bus { return e.bus }}
	e.web = &fakeWeb{}
	e.discord = &fakeDiscord{}
	if err := e.start(); err != nil {
		st.Close()
		os.RemoveAll(dbDir)
		return nil, err
	}
	return e, nil
}

// start builds the bus, runtime and registry (again after restart) on the
// test's store, with the fake platforms and clock.
func (e *env) start() error {
	eng, err := app.New(app.Config{
		Scripts: e.root, Store: e.store, Logger: e.log, LoadTimeout: 5 * time.Second, NoWeb: true,
		TwitchAPI: e.twitch, OBSAPI: e.obs, Chat: engine.NewChatSink(200, nil),
		Runtime: func(c *bindings.Config) {
			c.Now = e.clock.Now
			c.BotNames = []string{"starstreamer"}
			c.Overlay = e.overlay
			c.Discord = e.discord
			c.Web = e.web.client
		},
		Loader: func(rt engine.Loader) engine.Loader {
			e.loader = &loader{rt: rt, insts: map[string]engine.Instance{}}
			return e.loader
		},
	})
	if err != nil {
		return err
	}
	e.bus, e.reg = eng.Bus, eng.Registry
	return nil
}

// load loads a module of the scripts folder; an error says why it failed.
func (e *env) load(name string) error {
	if err := e.reg.Load(context.Background(), name); err != nil {
		return err
	}
	st, ok := e.reg.Module(name)
	if !ok || st.Status != engine.StatusRunning {
		return fmt.Errorf("module %s is %s: %s", name, st.Status, st.LastError)
	}
	for _, m := range e.modules {
		if m == name {
			return nil
		}
	}
	e.modules = append(e.modules, name)
	return nil
}

// restart stops the engine and starts a new one on the same store, as a
// process restart would.
func (e *env) restart() error {
	e.reg.StopAll(context.Background())
	if err := e.start(); err != nil {
		return err
	}
	mods := e.modules
	e.modules = nil
	for _, m := range mods {
		if err := e.load(m); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) close() {
	e.reg.StopAll(context.Background())
	e.store.Close()
	os.RemoveAll(e.dbDir)
}

func (e *env) emit(typ string, data map[string]any) error {
	if err := e.bus.Emit(&engine.Event{Type: typ, Data: data, Source: "test"}); err != nil {
		return err
	}
	return e.settle()
}

// settle waits until the engine is quiet: every module has handled what was
// delivered to it (a call through its mailbox comes back), no handler is
// running or waiting, and no platform call is in flight — twice in a row with
// nothing new in between.
func (e *env) settle() error {
	deadline := time.Now().Add(20 * time.Second)
	prev, quiet := -1, 0
	for quiet < 2 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the engine did not become quiet in 20 s (a handler sleeping or waiting?)")
		}
		for _, m := range e.reg.Modules() {
			if m.Status == engine.StatusRunning {
				// an unknown export: the answer comes back after everything queued before it
				_, _ = e.reg.Call(context.Background(), m.Name+".\x00barrier", nil)
			}
		}
		busy := e.twitch.inflight.Load() > 0 || e.web.inflight.Load() > 0
		sig := e.twitch.count() + len(e.obs.list()) + len(e.web.list())
		for _, in := range e.loader.instances() {
			s := in.Status()
			busy = busy || s.Running > 0
			sig += int(s.Invocations)
		}
		if busy || sig != prev {
			quiet = 0
		} else {
			quiet++
		}
		prev = sig
		time.Sleep(time.Millisecond)
	}
	return nil
}

// setConfig stores a config override for module and reloads it.
func (e *env) setConfig(module, key string, v any) error {
	err := e.store.UpdateModuleSettings(module, func(ms *engine.ModuleSettings) {
		if ms.Config == nil {
			ms.Config = map[string]any{}
		}
		ms.Config[key] = v
	})
	if err != nil {
		return err
	}
	return e.reload(module)
}

func (e *env) reload(module string) error {
	if err := e.reg.Reload(context.Background(), module); err != nil {
		return err
	}
	st, _ := e.reg.Module(module)
	if st.Status != engine.StatusRunning {
		return fmt.Errorf("module %s is %s: %s", module, st.Status, st.LastError)
	}
	return nil
}

func (e *env) storeGet(module, key string) (any, error) {
	raw, err := e.store.Get(module, key)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func (e *env) storeSet(module, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.store.Set(module, key, raw)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
