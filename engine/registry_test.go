package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// The fake Loader reads a tiny script format instead of Lua, one "key: value"
// per line:
//
//	name: chat            module{name=...} (optional)
//	v: 2                  a version label, to tell instances apart in the log
//	deps: a, b            dependencies
//	perms: store, call    permissions
//	on: twitch.*, x       event patterns it subscribes to
//	fail: load | init     fail in that phase
//
// Every lifecycle step is written to a shared log as "step module@v".
type fakeLoader struct {
	log   orderLog
	mu    sync.Mutex
	insts []*fakeInstance
}

type fakeInstance struct {
	label  string
	info   engine.ModuleInfo
	fail   string
	subs   []*engine.Subscription
	log    *orderLog
	events atomic.Int64

	mu      sync.Mutex
	started bool
	stopped bool
}

func parseFake(code []byte) map[string]string {
	spec := map[string]string{}
	for _, line := range strings.Split(string(code), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			spec[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return spec
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (l *fakeLoader) Load(ctx context.Context, src engine.Source, reg engine.Host) (engine.Instance, error) {
	spec := parseFake(src.Code)
	label := src.Name + "@" + spec["v"]
	if src.Name == "" {
		label = "(inspect)@" + spec["v"]
	}
	l.log.add("load " + label)
	if spec["fail"] == "load" {
		return nil, fmt.Errorf("%s:1: syntax error near 'fail'", src.File)
	}
	in := &fakeInstance{label: label, fail: spec["fail"], log: &l.log, info: engine.ModuleInfo{
		Name: spec["name"], Version: spec["v"], Dependencies: list(spec["deps"]), Permissions: list(spec["perms"]),
	}}
	for _, p := range list(spec["on"]) {
		in.subs = append(in.subs, &engine.Subscription{Patterns: []string{p}, Target: in, Owner: in, Module: src.Name})
	}
	l.mu.Lock()
	l.insts = append(l.insts, in)
	l.mu.Unlock()
	return in, nil
}

func (l *fakeLoader) instances() []*fakeInstance {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.insts)
}

// live returns the one started and not stopped instance of module name, or nil.
func (l *fakeLoader) live(t *testing.T, name string) *fakeInstance {
	t.Helper()
	var found *fakeInstance
	for _, in := range l.instances() {
		if strings.HasPrefix(in.label, name+"@") && in.isLive() {
			if found != nil {
				t.Fatalf("two live instances of %s: %s and %s", name, found.label, in.label)
			}
			found = in
		}
	}
	return found
}

// steps returns the log entries starting with one of the given verbs.
func (l *fakeLoader) steps(verbs ...string) []string {
	var out []string
	for _, s := range l.log.all() {
		verb, _, _ := strings.Cut(s, " ")
		if slices.Contains(verbs, verb) {
			out = append(out, s)
		}
	}
	return out
}

func (in *fakeInstance) Info() engine.ModuleInfo { return in.info }
func (in *fakeInstance) Init(ctx context.Context) error {
	in.log.add("init " + in.label)
	if in.fail == "init" {
		return fmt.Errorf("%s: init failed: boom", in.label)
	}
	return nil
}
func (in *fakeInstance) Subscriptions() []*engine.Subscription { return in.subs }
func (in *fakeInstance) Start() {
	in.mu.Lock()
	in.started = true
	in.mu.Unlock()
	in.log.add("start " + in.label)
}
func (in *fakeInstance) Stop(ctx context.Context) {
	in.mu.Lock()
	first := !in.stopped
	in.stopped = true
	in.mu.Unlock()
	if first {
		in.log.add("stop " + in.label)
	}
}
func (in *fakeInstance) Call(ctx context.Context, fn string, args []any) ([]any, error) {
	return append([]any{fn}, args...), nil
}
func (in *fakeInstance) Status() engine.InstanceStatus {
	return engine.InstanceStatus{Handlers: len(in.subs)}
}
func (in *fakeInstance) Deliver(*engine.Event, []*engine.Subscription) { in.events.Add(1) }
func (in *fakeInstance) wasStopped() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stopped
}
func (in *fakeInstance) isLive() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.started && !in.stopped
}

// regEnv is a scripts folder, a store, a bus and a fake loader; registries made
// from it share all four, like two runs of the engine on the same files.
type regEnv struct {
	t      *testing.T
	dir    string
	store  *engine.Store
	bus    *engine.Bus
	loader *fakeLoader
	events *recordTarget // every engine.module.* event
}

func newRegEnv(t *testing.T) *regEnv {
	root := t.TempDir()
	e := &regEnv{t: t, dir: filepath.Join(root, "scripts"), loader: &fakeLoader{}, events: &recordTarget{}}
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.store = openStore(t, filepath.Join(root, "data", "s.db"))
	e.bus = engine.NewBus(engine.BusOptions{Logger: quiet})
	mustSubscribe(t, e.bus, &engine.Subscription{Patterns: []string{"engine.module.*"}, Target: e.events})
	return e
}

func (e *regEnv) registry() *engine.Registry {
	r := engine.NewRegistry(engine.RegistryConfig{Dir: e.dir, Bus: e.bus, Store: e.store, Loader: e.loader, Logger: quiet})
	e.t.Cleanup(func() { r.StopAll(context.Background()) })
	return r
}

func (e *regEnv) script(name, body string) {
	e.t.Helper()
	p := filepath.Join(e.dir, name+".lua")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	write(e.t, p, body)
}

func (e *regEnv) moduleEvents() []string {
	var out []string
	for _, d := range e.events.deliveries() {
		out = append(out, d.typ)
	}
	return out
}

func state(t *testing.T, r *engine.Registry, name string) engine.ModuleState {
	t.Helper()
	st, ok := r.Module(name)
	if !ok {
		t.Fatalf("module %s is not known", name)
	}
	return st
}

func TestRegistryLoadsInDependencyOrder(t *testing.T) {
	e := newRegEnv(t)
	e.script("app", "v: 1\ndeps: rpg, chat")
	e.script("rpg", "v: 1\ndeps: chat")
	e.script("chat", "v: 1")
	e.script("zz", "v: 1")
	e.script("rpg_test", "v: 1\nfail: load") // a script test, not a module
	e.script("folder/init", "v: 1\ndeps: zz")
	e.script("folder/lib", "v: 1")
	r := e.registry()
	names, err := r.Discover()
	if err != nil || !slices.Equal(names, []string{"app", "chat", "folder", "rpg", "zz"}) {
		t.Fatalf("Discover = %v, %v", names, err)
	}
	n, err := r.LoadAll(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("LoadAll = %d, %v; want 5 running", n, err)
	}
	starts := e.loader.steps("start")
	pos := func(name string) int { return slices.Index(starts, "start "+name+"@1") }
	for _, dep := range [][2]string{{"chat", "rpg"}, {"rpg", "app"}, {"chat", "app"}, {"zz", "folder"}} {
		if pos(dep[0]) < 0 || pos(dep[1]) < 0 || pos(dep[0]) > pos(dep[1]) {
			t.Errorf("%s started at %d, %s at %d: a dependency must start first (%v)", dep[0], pos(dep[0]), dep[1], pos(dep[1]), starts)
		}
	}
	for _, st := range r.Modules() {
		if st.Status != engine.StatusRunning || !st.Enabled || st.LastReload == nil || !st.LastReload.OK {
			t.Errorf("%s: %+v", st.Name, st)
		}
	}
	if f := state(t, r, "folder").File; f != filepath.Join(e.dir, "folder", "init.lua") {
		t.Errorf("folder module's file = %s", f)
	}
}

func TestRegistryDependencyFailures(t *testing.T) {
	cases := []struct {
		name    string
		scripts map[string]string
		// module -> substring of its error; "" means it must run
		want map[string]string
	}{
		{"missing dependency",
			map[string]string{"x": "deps: nope", "y": "deps: x", "ok": ""},
			map[string]string{"x": "dependency nope is missing", "y": "dependency x", "ok": ""}},
		{"dependency fails in init",
			map[string]string{"f": "fail: init", "g": "deps: f", "ok": ""},
			map[string]string{"f": "init failed", "g": "dependency f", "ok": ""}},
		{"dependency does not compile",
			map[string]string{"f": "fail: load", "g": "deps: f", "ok": ""},
			map[string]string{"f": "syntax error", "g": "dependency f", "ok": ""}},
		{"dependency cycle and a module depending on it",
			// "a" sorts before the cycle and "r" after it: both must be marked
			map[string]string{"p": "deps: q", "q": "deps: p", "r": "deps: p", "a": "deps: q", "ok": ""},
			map[string]string{"p": "cycle", "q": "cycle", "r": "dependency p", "a": "dependency q", "ok": ""}},
		{"module depending on itself",
			map[string]string{"a": "deps: a", "ok": ""},
			map[string]string{"a": "cycle", "ok": ""}},
		{"name in module{} differs from the file",
			map[string]string{"a": "name: b", "c": "deps: a", "ok": ""},
			map[string]string{"a": `file is named "a"`, "c": "dependency a", "ok": ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newRegEnv(t)
			for name, body := range c.scripts {
				e.script(name, "v: 1\n"+body)
			}
			r := e.registry()
			n, err := r.LoadAll(context.Background())
			if err != nil || n != 1 {
				t.Errorf("LoadAll = %d, %v; want only ok running", n, err)
			}
			for name, wantErr := range c.want {
				st := state(t, r, name)
				if wantErr == "" {
					if st.Status != engine.StatusRunning {
						t.Errorf("%s is %s (%s), want running", name, st.Status, st.LastError)
					}
					continue
				}
				if st.Status != engine.StatusFailed || !strings.Contains(st.LastError, wantErr) {
					t.Errorf("%s: status %s, error %q; want failed with %q", name, st.Status, st.LastError, wantErr)
				}
				if st.LastReload == nil || st.LastReload.OK || st.ReloadsFailed == 0 {
					t.Errorf("%s: last reload %+v, %d failures; want a recorded failure", name, st.LastReload, st.ReloadsFailed)
				}
			}
			for _, in := range e.loader.instances() {
				if in.label != "ok@1" && !in.wasStopped() {
					t.Errorf("instance %s of a failed module was never stopped", in.label)
				}
			}
		})
	}
}

func TestRegistryRetriesDependentsWhenTheDependencyAppears(t *testing.T) {
	e := newRegEnv(t)
	e.script("rpg", "v: 1\ndeps: lib")
	r := e.registry()
	if _, err := r.LoadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := state(t, r, "rpg"); st.Status != engine.StatusFailed {
		t.Fatalf("rpg is %s without its dependency", st.Status)
	}
	e.script("lib", "v: 1")
	r.FileChanged(context.Background(), "lib")
	waitFor(t, "rpg to load once lib runs", func() bool { return state(t, r, "rpg").Status == engine.StatusRunning })
	if st := state(t, r, "rpg"); st.LastError != "" {
		t.Errorf("rpg runs but still shows the error %q", st.LastError)
	}
}

func TestRegistryReload(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("chat", "v: 1\non: twitch.*")
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	v1 := e.loader.live(t, "chat")

	t.Run("unchanged file does nothing", func(t *testing.T) {
		loads := len(e.loader.steps("load"))
		if err := r.Load(ctx, "chat"); err != nil {
			t.Fatal(err)
		}
		r.FileChanged(ctx, "chat")
		if n := len(e.loader.steps("load")); n != loads {
			t.Errorf("Load of an unchanged file loaded it again (%v)", e.loader.steps("load"))
		}
		if e.loader.live(t, "chat") != v1 {
			t.Error("the instance changed")
		}
	})

	t.Run("failure keeps the old version", func(t *testing.T) {
		e.script("chat", "v: 2\non: twitch.*\nfail: init")
		err := r.Load(ctx, "chat")
		if err == nil || !strings.Contains(err.Error(), "init failed") {
			t.Fatalf("Load of a failing version = %v", err)
		}
		if e.loader.live(t, "chat") != v1 {
			t.Fatal("the old version is no longer the live one")
		}
		st := state(t, r, "chat")
		if st.Status != engine.StatusRunning || st.LastReload == nil || st.LastReload.OK ||
			!strings.Contains(st.LastReload.Error, "init failed") || !strings.Contains(st.LastError, "init failed") || st.ReloadsFailed != 1 {
			t.Errorf("state after a failed reload = %+v, last reload %+v", st, st.LastReload)
		}
		_ = e.bus.Emit(&engine.Event{Type: "twitch.follow"})
		if v1.events.Load() != 1 {
			t.Errorf("the old version got %d events after the failed reload, want 1", v1.events.Load())
		}
		if !slices.Contains(e.moduleEvents(), "engine.module.reload_failed") {
			t.Errorf("no engine.module.reload_failed event: %v", e.moduleEvents())
		}
	})

	t.Run("success swaps, then stops the old version", func(t *testing.T) {
		e.script("chat", "v: 3\non: twitch.*")
		if err := r.Load(ctx, "chat"); err != nil {
			t.Fatal(err)
		}
		v3 := e.loader.live(t, "chat")
		if v3 == nil || v3.label != "chat@3" {
			t.Fatalf("live instance after the reload: %v", v3)
		}
		steps := e.loader.log.all()
		start, stop := slices.Index(steps, "start chat@3"), slices.Index(steps, "stop chat@1")
		if start < 0 || stop < 0 || stop < start {
			t.Errorf("start of the new version at %d, stop of the old at %d: want the old stopped after the new started (%v)", start, stop, steps)
		}
		_ = e.bus.Emit(&engine.Event{Type: "twitch.follow"})
		if v1.events.Load() != 1 || v3.events.Load() != 1 {
			t.Errorf("after the swap old got %d, new got %d events; want 1 and 1", v1.events.Load(), v3.events.Load())
		}
		if n := len(e.bus.SubscriptionsOf(v1)); n != 0 {
			t.Errorf("the old version still has %d subscriptions", n)
		}
		st := state(t, r, "chat")
		if st.LastReload == nil || !st.LastReload.OK || st.LastError != "" || st.ReloadsSucceeded != 2 || st.Version != "3" {
			t.Errorf("state after the reload = %+v", st)
		}
		if !slices.Contains(e.moduleEvents(), "engine.module.reloaded") {
			t.Errorf("no engine.module.reloaded event: %v", e.moduleEvents())
		}
	})

	t.Run("Reload rebuilds an unchanged file", func(t *testing.T) {
		if err := r.Reload(ctx, "chat"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.loader.steps("start")); n != 3 {
			t.Errorf("%d starts, want 3 (v1, v3, v3 again)", n)
		}
	})
}

func TestRegistryEnableDisablePersist(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("chat", "v: 1\non: x")
	e.script("rpg", "v: 1")
	r1 := e.registry()
	if _, err := r1.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r1.Disable(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	if st := state(t, r1, "chat"); st.Status != engine.StatusDisabled || st.Enabled || e.loader.live(t, "chat") != nil {
		t.Fatalf("after Disable: %+v", st)
	}
	if n := len(e.bus.Match("x")); n != 0 {
		t.Errorf("a disabled module keeps %d subscriptions", n)
	}
	r1.FileChanged(ctx, "chat") // a save does not bring it back
	if e.loader.live(t, "chat") != nil {
		t.Error("FileChanged loaded a disabled module")
	}
	r1.StopAll(ctx)

	r2 := e.registry() // the next run of the engine
	if n, err := r2.LoadAll(ctx); err != nil || n != 1 {
		t.Fatalf("LoadAll after a restart = %d, %v; want 1 (rpg)", n, err)
	}
	if st := state(t, r2, "chat"); st.Status != engine.StatusDisabled || st.Enabled {
		t.Fatalf("after a restart a disabled module is %s (enabled=%v)", st.Status, st.Enabled)
	}
	if err := r2.Enable(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	if st := state(t, r2, "chat"); st.Status != engine.StatusRunning || !st.Enabled {
		t.Fatalf("after Enable: %+v", st)
	}
	r2.StopAll(ctx)

	r3 := e.registry()
	if n, err := r3.LoadAll(ctx); err != nil || n != 2 {
		t.Fatalf("LoadAll after enabling and restarting = %d, %v; want 2", n, err)
	}
	for _, bad := range []string{"nope", "../chat", "a/b"} {
		if err := r3.Enable(ctx, bad); err == nil {
			t.Errorf("Enable(%q) succeeded", bad)
		}
		if err := r3.Disable(ctx, bad); err == nil {
			t.Errorf("Disable(%q) succeeded", bad)
		}
	}
}

func TestRegistryInstallAndApprove(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("chat", "v: 1")
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	pasted := "name: shout\nv: 1\nperms: twitch.chat, store\non: twitch.chat.message"

	info, err := r.Install(ctx, []byte(pasted), false)
	if err != nil || info.Name != "shout" {
		t.Fatalf("Install = %+v, %v", info, err)
	}
	got, err := os.ReadFile(filepath.Join(e.dir, "shout.lua"))
	if err != nil || string(got) != pasted {
		t.Fatalf("installed file = %q, %v", got, err)
	}
	entries, _ := os.ReadDir(e.dir)
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".") && de.Name() != engine.ApprovalsFile {
			t.Errorf("Install left the temporary file %s", de.Name())
		}
	}
	st := state(t, r, "shout")
	if st.Status != engine.StatusAwaitingApproval || !st.NeedsApproval || !strings.Contains(st.LastError, "approve") {
		t.Fatalf("installed module: %+v", st)
	}
	if e.loader.live(t, "shout") != nil {
		t.Fatal("an installed module runs before approval")
	}
	// saving it, or enabling it, does not bypass the approval
	r.FileChanged(ctx, "shout")
	if err := r.Enable(ctx, "shout"); err == nil || !strings.Contains(err.Error(), "approve") {
		t.Errorf("Enable before approval = %v, want an error asking for approval", err)
	}
	if e.loader.live(t, "shout") != nil {
		t.Fatal("Enable ran a module whose permissions were never approved")
	}

	if _, err := r.Install(ctx, []byte(pasted), false); !errors.Is(err, engine.ErrModuleExists) {
		t.Errorf("installing over an existing module without replace: %v, want ErrModuleExists", err)
	}
	if _, err := r.Install(ctx, []byte("name: chat\nv: 9"), false); !errors.Is(err, engine.ErrModuleExists) {
		t.Errorf("installing over a running module without replace: %v, want ErrModuleExists", err)
	}
	if e.loader.live(t, "chat") == nil {
		t.Error("a refused install stopped the module it would have replaced")
	}

	if _, err := r.Approve(ctx, "shout", ""); err != nil {
		t.Fatal(err)
	}
	st = state(t, r, "shout")
	if st.Status != engine.StatusRunning || !st.Enabled || !slices.Equal(st.Approved, []string{"store", "twitch.chat"}) {
		t.Fatalf("after Approve: %+v", st)
	}
	v1 := e.loader.live(t, "shout")
	if v1 == nil {
		t.Fatal("no live instance after Approve")
	}

	// a new version asking for more needs approval again; the approved one keeps running
	write(t, filepath.Join(e.dir, "shout.lua"), "name: shout\nv: 2\nperms: twitch.chat, store, http\non: twitch.chat.message")
	if err := r.Load(ctx, "shout"); err == nil || !strings.Contains(err.Error(), "approve") {
		t.Fatalf("Load with a new permission = %v, want an error asking for approval", err)
	}
	if e.loader.live(t, "shout") != v1 {
		t.Fatal("the approved version stopped serving while the new one waits for approval")
	}
	if st := state(t, r, "shout"); st.Status != engine.StatusRunning || !strings.Contains(st.LastError, "approve") ||
		!slices.Equal(st.AwaitingApproval, []string{"http", "store", "twitch.chat"}) {
		t.Errorf("the panel does not show the pending approval: %+v", st)
	}
	if _, err := r.Approve(ctx, "shout", ""); err != nil {
		t.Fatal(err)
	}
	if v := e.loader.live(t, "shout"); v == nil || v.label != "shout@2" {
		t.Fatalf("after approving again the live instance is %v, want shout@2", v)
	}

	// replace = true stops the running module and asks for approval again
	if _, err := r.Install(ctx, []byte("name: chat\nv: 2"), true); err != nil {
		t.Fatal(err)
	}
	if e.loader.live(t, "chat") != nil {
		t.Error("the replaced module still runs")
	}
	if st := state(t, r, "chat"); st.Status != engine.StatusAwaitingApproval {
		t.Errorf("replaced module is %s, want %s", st.Status, engine.StatusAwaitingApproval)
	}
}

func TestRegistryRefusesPathsInNames(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	r := e.registry()
	for _, name := range []string{"../evil", "a/b", "/abs", "..", "a\\b", "", "has space", "-dash"} {
		if _, err := r.Install(ctx, []byte("name: "+name+"\nv: 1"), true); err == nil {
			t.Errorf("Install of a module named %q succeeded", name)
		}
		if err := r.Load(ctx, name); err == nil {
			t.Errorf("Load(%q) succeeded", name)
		}
		if _, err := r.ReadSource(name); err == nil {
			t.Errorf("ReadSource(%q) succeeded", name)
		}
		if _, err := r.Approve(ctx, name, ""); err == nil {
			t.Errorf("Approve(%q) succeeded", name)
		}
	}
	var written []string
	filepath.WalkDir(filepath.Dir(e.dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".lua") {
			written = append(written, p)
		}
		return nil
	})
	if len(written) != 0 {
		t.Errorf("refused installs wrote %v", written)
	}
	if _, err := r.Install(ctx, []byte("v: 1"), false); err == nil {
		t.Error("Install of a script without a name succeeded")
	}
	if _, err := r.Install(ctx, []byte("name: x\nfail: load"), false); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("Install of a script that does not compile = %v", err)
	}
}

func TestRegistryFileChanged(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("chat", "v: 1\non: x")
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	// a new file loads
	e.script("fresh", "v: 1\non: x")
	r.FileChanged(ctx, "fresh")
	if st := state(t, r, "fresh"); st.Status != engine.StatusRunning {
		t.Fatalf("a new file is %s", st.Status)
	}
	// a deleted file unloads
	v1 := e.loader.live(t, "chat")
	if err := os.Remove(filepath.Join(e.dir, "chat.lua")); err != nil {
		t.Fatal(err)
	}
	r.FileChanged(ctx, "chat")
	if !v1.wasStopped() {
		t.Error("the deleted module was not stopped")
	}
	if _, ok := r.Module("chat"); ok {
		t.Error("the deleted module is still listed")
	}
	if got := len(e.bus.Match("x")); got != 1 {
		t.Errorf("%d subscriptions on x, want 1 (fresh's only)", got)
	}
	if !slices.Contains(e.moduleEvents(), "engine.module.unloaded") {
		t.Errorf("no engine.module.unloaded event: %v", e.moduleEvents())
	}
	// a hand-stopped module stays stopped on save
	if err := r.Unload(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	e.script("fresh", "v: 2\non: x")
	r.FileChanged(ctx, "fresh")
	if st := state(t, r, "fresh"); st.Status != engine.StatusStopped || e.loader.live(t, "fresh") != nil {
		t.Errorf("a stopped module after a save: %s", st.Status)
	}
	r.FileChanged(ctx, "never-existed") // nothing to do, no panic
}

func TestRegistryStopAllStopsDependentsFirst(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("base", "v: 1")
	e.script("mid", "v: 1\ndeps: base")
	e.script("top", "v: 1\ndeps: mid, base")
	e.script("alone", "v: 1")
	r := e.registry()
	if n, err := r.LoadAll(ctx); err != nil || n != 4 {
		t.Fatalf("LoadAll = %d, %v", n, err)
	}
	// reloading a dependency after its dependents must not change the order
	e.script("base", "v: 2")
	if err := r.Load(ctx, "base"); err != nil {
		t.Fatal(err)
	}
	before := len(e.loader.steps("stop"))
	r.StopAll(ctx)
	stops := e.loader.steps("stop")[before:]
	pos := func(s string) int { return slices.Index(stops, "stop "+s) }
	if pos("top@1") < 0 || pos("mid@1") < 0 || pos("base@2") < 0 || pos("alone@1") < 0 {
		t.Fatalf("StopAll stopped %v, want all four", stops)
	}
	if !(pos("top@1") < pos("mid@1") && pos("mid@1") < pos("base@2")) {
		t.Errorf("StopAll order %v: dependents must stop before their dependencies", stops)
	}
	for _, st := range r.Modules() {
		if e.loader.live(t, st.Name) != nil {
			t.Errorf("%s still runs after StopAll", st.Name)
		}
	}
}

func TestRegistryCallAndCommands(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("rpg", "v: 1")
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := r.Call(ctx, "rpg.balance", []any{"u1"})
	if err != nil || !slices.Equal(out, []any{"balance", "u1"}) {
		t.Errorf("Call = %v, %v", out, err)
	}
	for _, bad := range []string{"rpg", ".x", "rpg.", "nope.x"} {
		if _, err := r.Call(ctx, bad, nil); err == nil {
			t.Errorf("Call(%q) succeeded", bad)
		}
	}
	if err := r.Unload(ctx, "rpg"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Call(ctx, "rpg.balance", nil); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Call into a stopped module = %v", err)
	}
}

// TestRegistryLogsABrokenSaveUndone: when the files go back to the running
// version after a failed reload, the log says the error is cleared, so the
// terminal's last word is not "reload failed".
func TestRegistryLogsABrokenSaveUndone(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	var logged lockedBuffer
	r := engine.NewRegistry(engine.RegistryConfig{Dir: e.dir, Bus: e.bus, Store: e.store, Loader: e.loader,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	t.Cleanup(func() { r.StopAll(ctx) })
	e.script("chat", "v: 1\non: twitch.*")
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	e.script("chat", "v: 2\nfail: init")
	if err := r.Load(ctx, "chat"); err == nil {
		t.Fatal("the broken version loaded")
	}
	e.script("chat", "v: 1\non: twitch.*")
	if err := r.Load(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	out := logged.String()
	failed, fixed := strings.Index(out, "reload failed"), strings.Index(out, "module fixed")
	if failed < 0 || fixed < failed {
		t.Fatalf("want \"reload failed\" then \"module fixed\" in the log:\n%s", out)
	}
	if st := state(t, r, "chat"); st.LastError != "" {
		t.Errorf("last error still %q", st.LastError)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIgnoredFilesAreListedWithTheirReason: what is in the scripts folder but
// is not a module is listed with why, and the ones that look meant as
// modules are logged.
func TestIgnoredFilesAreListedWithTheirReason(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("dice", "v: 1")
	e.script("rpg/init", "v: 1")
	for name, body := range map[string]string{
		"my script.lua": "v: 1", "notes.txt": "hi", "chat_test.lua": "", ".hidden.lua": "",
		"media/logo.png": "png", "half/util.lua": "v: 1", "bad name/init.lua": "v: 1",
	} {
		p := filepath.Join(e.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, p, body)
	}
	var logged lockedBuffer
	r := engine.NewRegistry(engine.RegistryConfig{Dir: e.dir, Bus: e.bus, Store: e.store, Loader: e.loader,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	t.Cleanup(func() { r.StopAll(ctx) })
	if n, err := r.LoadAll(ctx); err != nil || n != 2 {
		t.Fatalf("LoadAll = %d, %v; want dice and rpg", n, err)
	}
	got := map[string]engine.IgnoredFile{}
	for _, f := range r.Ignored() {
		got[f.Path] = f
	}
	for path, want := range map[string]struct {
		reason     string
		suspicious bool
	}{
		"my script.lua": {`"my script" is not a module name: use 1-64 letters, digits, _ and - (not starting with -); rename it to my_script.lua`, true},
		"bad name/":     {`"bad name" is not a module name`, true},
		"half/":         {"a folder without init.lua: a folder module starts at half/init.lua", true},
		"media/":        {"a folder without init.lua", false},
		"notes.txt":     {"not a .lua file", false},
		"chat_test.lua": {"a script test, not a module", false},
	} {
		f, ok := got[path]
		if !ok {
			t.Errorf("%s is not listed (%v)", path, got)
			continue
		}
		if !strings.HasPrefix(f.Reason, want.reason) || f.Suspicious != want.suspicious {
			t.Errorf("%s: %q suspicious=%v, want %q suspicious=%v", path, f.Reason, f.Suspicious, want.reason, want.suspicious)
		}
	}
	if len(got) != 6 {
		t.Errorf("listed %d, want 6 (no hidden files, no modules): %v", len(got), got)
	}
	out := logged.String()
	for _, want := range []string{"my script.lua", "bad name", "half"} {
		if !strings.Contains(out, "file in the scripts folder ignored") || !strings.Contains(out, want) {
			t.Errorf("the log does not name %s as ignored:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.txt") {
		t.Errorf("a plain non-Lua file was logged as a warning:\n%s", out)
	}
}
