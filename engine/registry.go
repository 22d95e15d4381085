package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrModuleExists is returned by Install when the name is taken and replace is false.
var ErrModuleExists = errors.New("a module with this name exists")

// ErrUnknownModule is returned for a name that is not a discovered module.
var ErrUnknownModule = errors.New("unknown module")

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	Dir         string // the scripts folder
	Bus         *Bus
	Store       *Store
	Loader      Loader
	Logger      *slog.Logger
	LoadTimeout time.Duration // top level + init() of one module; default 5s
}

// Registry owns the modules: it discovers them under the scripts folder, loads
// them in dependency order, and loads, unloads, enables, disables and reloads them
// on request or when their files change. Operations on one module are serialised;
// different modules proceed in parallel.
type Registry struct {
	cfg RegistryConfig
	log *slog.Logger

	mu   sync.RWMutex
	mods map[string]*module

	approvalsMu sync.Mutex // serialises writers of ApprovalsFile
}

// NewRegistry returns a registry; call LoadAll to discover and start the modules.
func NewRegistry(cfg RegistryConfig) *Registry {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 5 * time.Second
	}
	return &Registry{cfg: cfg, log: cfg.Logger, mods: map[string]*module{}}
}

func (r *Registry) get(name string) *module {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mods[name]
}

func (r *Registry) getOrAdd(name string) *module {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mods[name]
	if m == nil {
		m = &module{name: name, status: StatusStopped}
		r.mods[name] = m
	}
	return m
}

func (r *Registry) settings(name string) ModuleSettings {
	if r.cfg.Store == nil {
		return ModuleSettings{}
	}
	ms, err := r.cfg.Store.ModuleSettings(name)
	if err != nil {
		r.log.Warn("cannot read module settings", "module", name, "err", err)
	}
	return ms
}

func enabled(ms ModuleSettings) bool { return ms.Enabled == nil || *ms.Enabled }

// LoadAll discovers every module and starts the enabled ones in dependency order.
// A module that fails, or whose dependency is missing, failed or cyclic, is
// marked failed with the reason; the others run. It returns the number running.
func (r *Registry) LoadAll(ctx context.Context) (int, error) {
	names, err := r.Discover()
	if err != nil {
		return 0, err
	}
	for _, f := range r.Ignored() {
		if f.Suspicious {
			r.log.Warn("file in the scripts folder ignored", "path", filepath.Join(r.cfg.Dir, f.Path), "reason", f.Reason)
		}
	}
	type loaded struct {
		m    *module
		inst Instance
		src  Source
	}
	pending := map[string]*loaded{}
	for _, name := range names {
		m := r.getOrAdd(name)
		ms := r.settings(name)
		if !enabled(ms) {
			m.setStatus(StatusDisabled, "", false)
			continue
		}
		inst, src, err := r.build(ctx, m)
		if err != nil {
			continue
		}
		pending[name] = &loaded{m: m, inst: inst, src: src}
	}
	order, cyclic := depOrder(pending, func(l *loaded) []string { return l.inst.Info().Dependencies })
	for _, name := range cyclic {
		l := pending[name]
		r.fail(l.m, l.inst, l.src, time.Now(), fmt.Errorf("module %s: dependency cycle: %s", name, strings.Join(cyclic, " -> ")), true)
	}
	running := 0
	for _, name := range order {
		l := pending[name]
		l.m.op.Lock()
		err := r.finish(ctx, l.m, l.inst, l.src, time.Now(), false)
		l.m.op.Unlock()
		if err == nil {
			running++
		}
	}
	return running, nil
}

// build reads and loads (phase 1) module m. On failure it records the error.
func (r *Registry) build(ctx context.Context, m *module) (Instance, Source, error) {
	start := time.Now()
	src, err := r.ReadSource(m.name)
	if err != nil {
		r.fail(m, nil, src, start, err, false)
		return nil, src, err
	}
	inst, err := r.loadSource(ctx, src)
	if err != nil {
		r.fail(m, nil, src, start, err, false)
		return nil, src, err
	}
	return inst, src, nil
}

func (r *Registry) loadSource(ctx context.Context, src Source) (Instance, error) {
	if r.cfg.Loader == nil {
		return nil, errors.New("registry has no loader")
	}
	if src.Name != "" {
		src.Config = r.settings(src.Name).Config
	}
	lctx, cancel := context.WithTimeout(ctx, r.cfg.LoadTimeout)
	defer cancel()
	return r.cfg.Loader.Load(lctx, src, r)
}

// finish takes a phase-1 instance live (m.op held): it must be admitted,
// its init() must succeed, then it replaces the running version.
func (r *Registry) finish(ctx context.Context, m *module, inst Instance, src Source, start time.Time, reload bool) error {
	info := inst.Info()
	err := r.admit(ctx, m, inst, src, info)
	var ae *approvalError
	if errors.As(err, &ae) {
		return err // recorded by admit: not a failed load
	}
	if err == nil {
		err = r.initInstance(ctx, inst)
	}
	var old Instance
	if err == nil {
		old, err = r.swap(m, inst)
	}
	if err != nil {
		var de *dependencyError
		r.fail(m, inst, src, start, err, errors.As(err, &de))
		return err
	}
	r.recordLive(m, inst, old, src, info, start)
	if old != nil {
		old.Stop(ctx) // drains what it had already been handed, runs shutdown()
	}
	typ := "engine.module.loaded"
	if reload && old != nil {
		typ = "engine.module.reloaded"
	}
	r.log.Info("module "+strings.TrimPrefix(typ, "engine.module."), "module", m.name, "ms", time.Since(start).Milliseconds())
	r.emit(typ, m.name, "")
	r.retryDependents(ctx, m.name)
	return nil
}

// approvalError is a version whose permissions are not approved; awaitApproval
// has recorded it.
type approvalError struct{ err error }

func (e *approvalError) Error() string { return e.err.Error() }
func (e *approvalError) Unwrap() error { return e.err }

// dependencyError is a load refused because a dependency is not running.
type dependencyError struct{ module, dep, why string }

func (e *dependencyError) Error() string {
	return fmt.Sprintf("module %s: dependency %s %s", e.module, e.dep, e.why)
}

// admit checks that inst may go live as module m: its declared name is the
// file's, its permissions are approved (else it is stopped and m awaits
// approval) and its dependencies run.
func (r *Registry) admit(ctx context.Context, m *module, inst Instance, src Source, info ModuleInfo) error {
	if info.Name != "" && info.Name != m.name {
		return fmt.Errorf("%s: module{} says name = %q but the file is named %q: rename one of them", src.File, info.Name, m.name)
	}
	ap := r.approval(m.name)
	m.mu.Lock()
	m.needsApproval, m.approved = ap.needed, ap.approved
	m.mu.Unlock()
	if !ap.allows(info.Permissions) {
		inst.Stop(ctx)
		return &approvalError{r.awaitApproval(m, info, src, ap)}
	}
	for _, d := range info.Dependencies {
		dm := r.get(d)
		if dm == nil || dm.instance() == nil {
			why := "is missing"
			if dm != nil {
				why = "is " + dm.currentStatus()
			}
			return &dependencyError{module: m.name, dep: d, why: why}
		}
	}
	return nil
}

// initInstance runs inst's init() within the load timeout.
func (r *Registry) initInstance(ctx context.Context, inst Instance) error {
	lctx, cancel := context.WithTimeout(ctx, r.cfg.LoadTimeout)
	defer cancel()
	return inst.Init(lctx)
}

// swap puts inst's subscriptions in place of the running version's in one
// atomic change of the bus, so every event is matched against either the old
// or the new handlers, and starts inst. It returns the old instance.
func (r *Registry) swap(m *module, inst Instance) (Instance, error) {
	old := m.instance()
	if err := r.cfg.Bus.Replace(old, inst.Subscriptions()); err != nil { // a nil Instance is a nil owner
		return nil, err
	}
	inst.Start()
	return old, nil
}

// recordLive records that inst now serves as module m.
func (r *Registry) recordLive(m *module, inst, old Instance, src Source, info ModuleInfo, start time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old != nil {
		m.handlerErrors += old.Status().Errors
	}
	m.inst, m.file, m.hash, m.info, m.awaiting = inst, src.File, src.Hash, info, nil
	m.transition(StatusRunning, "", false)
	m.okCount++
	m.lastReload = reloadResult(start, nil)
}

// awaitApproval records that the version of m in src declares permissions the
// streamer has not approved: it does not run. A running approved version keeps
// serving (status "running", with AwaitingApproval set); otherwise the module
// is "awaiting_approval". The panel offers "Review & approve" for both.
func (r *Registry) awaitApproval(m *module, info ModuleInfo, src Source, ap approvalState) error {
	perms := sortedPerms(info.Permissions)
	var err error
	switch {
	case ap.err != nil:
		err = fmt.Errorf("module %s cannot be checked against its approval: %v; fix or delete scripts/%s, then approve it again", m.name, ap.err, ApprovalsFile)
	case ap.approved == nil:
		err = fmt.Errorf("module %s was installed from the panel and asks for permissions %v: review and approve it in the panel before it can run", m.name, perms)
	default:
		err = fmt.Errorf("module %s now asks for permissions %v, but %v were approved: review and approve it in the panel before this version can run", m.name, perms, ap.approved)
	}
	m.mu.Lock()
	running := m.inst != nil
	m.awaiting, m.file = perms, src.File
	if !running {
		m.info = info
	}
	m.transition(StatusAwaitingApproval, err.Error(), false) // a running approved version keeps serving
	m.mu.Unlock()
	r.log.Warn("module awaits approval of its permissions", "module", m.name, "permissions", perms, "approved", ap.approved, "previous_version_runs", running)
	r.emit("engine.module.awaiting_approval", m.name, err.Error())
	return err
}

// fail records a failed load. The instance of the attempt (if any) is stopped;
// the running version, if there is one, keeps serving.
func (r *Registry) fail(m *module, inst Instance, src Source, start time.Time, err error, dep bool) {
	var info *ModuleInfo
	if inst != nil {
		i := inst.Info()
		info = &i
		inst.Stop(context.Background())
	}
	m.mu.Lock()
	if info != nil && m.inst == nil {
		m.info = *info // its dependencies: retryDependents looks for them
	}
	m.failCount++
	if src.File != "" {
		m.file = src.File
	}
	m.lastReload = reloadResult(start, err)
	running := m.inst != nil
	m.transition(StatusFailed, err.Error(), dep) // a running version keeps serving
	m.mu.Unlock()
	if running {
		r.log.Warn("reload failed; the previous version keeps running", "module", m.name, "err", err)
		r.emit("engine.module.reload_failed", m.name, err.Error())
	} else {
		r.log.Warn("module failed to load", "module", m.name, "err", err)
		r.emit("engine.module.load_failed", m.name, err.Error())
	}
}

func (r *Registry) emit(typ, module, errMsg string) {
	if r.cfg.Bus == nil {
		return
	}
	data := map[string]any{"module": module}
	if errMsg != "" {
		data["error"] = errMsg
	}
	_ = r.cfg.Bus.Emit(&Event{Type: typ, Data: data, Source: "engine"})
}

// Load loads module name, or reloads it when its files changed since the running
// version was loaded. Unchanged files: nothing happens.
func (r *Registry) Load(ctx context.Context, name string) error { return r.load(ctx, name, false) }

// Reload rebuilds module name from its files even when they did not change.
func (r *Registry) Reload(ctx context.Context, name string) error { return r.load(ctx, name, true) }

func (r *Registry) load(ctx context.Context, name string, force bool) error {
	if !ValidModuleName(name) {
		return fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	m := r.getOrAdd(name)
	m.op.Lock()
	defer m.op.Unlock()
	start := time.Now()
	src, err := r.ReadSource(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.forget(ctx, m)
			return fmt.Errorf("%w: %s", ErrUnknownModule, name)
		}
		r.fail(m, nil, src, start, err, false)
		return err
	}
	m.mu.Lock()
	same := m.inst != nil && m.hash == src.Hash
	stale := same && m.lastReload != nil && !m.lastReload.OK
	if stale {
		// the file is back to the running version (a broken save was undone):
		// that version is what runs, so the old error no longer applies
		m.loadErr = ""
		m.lastReload = reloadResult(start, nil)
	}
	m.mu.Unlock()
	if stale {
		r.log.Info("module fixed: the files are back to the running version, the reload error is cleared", "module", m.name)
		r.emit("engine.module.reloaded", m.name, "")
	}
	if same && !force {
		return nil
	}
	inst, err := r.loadSource(ctx, src)
	if err != nil {
		r.fail(m, nil, src, start, err, false)
		return err
	}
	return r.finish(ctx, m, inst, src, start, true)
}

// Unload stops module name until it is loaded again (by hand, by a change of its
// file's permission approval, or at the next start if it is enabled).
func (r *Registry) Unload(ctx context.Context, name string) error {
	m := r.get(name)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrUnknownModule, name)
	}
	m.op.Lock()
	defer m.op.Unlock()
	r.stop(ctx, m, StatusStopped, "")
	return nil
}

// stop takes module m's instance away (m.op held) and moves it to status
// with reason.
func (r *Registry) stop(ctx context.Context, m *module, status, reason string) {
	m.mu.Lock()
	inst := m.inst
	m.inst = nil
	m.transition(status, reason, false)
	if inst != nil {
		m.handlerErrors += inst.Status().Errors
	}
	m.mu.Unlock()
	if inst != nil {
		r.cfg.Bus.RemoveOwner(inst)
		inst.Stop(ctx)
		r.log.Info("module unloaded", "module", m.name)
		r.emit("engine.module.unloaded", m.name, "")
	}
}

// Quarantine stops module name because it misbehaved in a way that hurts the
// others (the runtime calls it for a module that keeps the heap over its
// limit). The module shows as failed with reason until it is loaded again by
// hand or its file changes.
func (r *Registry) Quarantine(ctx context.Context, name, reason string) {
	m := r.get(name)
	if m == nil {
		return
	}
	m.op.Lock()
	defer m.op.Unlock()
	r.stop(ctx, m, StatusFailed, reason)
	m.mu.Lock()
	m.lastReload = reloadResult(time.Now(), errors.New(reason))
	m.failCount++
	m.mu.Unlock()
	r.log.Error("module stopped", "module", name, "reason", reason)
	r.emit("engine.module.load_failed", name, reason)
}

// forget stops a module whose files are gone and drops it from the registry.
func (r *Registry) forget(ctx context.Context, m *module) {
	r.stop(ctx, m, StatusStopped, "")
	r.mu.Lock()
	if r.mods[m.name] == m {
		delete(r.mods, m.name)
	}
	r.mu.Unlock()
}

// Enable turns module name on (persisted) and loads it.
func (r *Registry) Enable(ctx context.Context, name string) error {
	if r.get(name) == nil {
		if _, err := r.ReadSource(name); err != nil {
			return fmt.Errorf("%w: %s", ErrUnknownModule, name)
		}
	}
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) { ms.Enabled = nil }); err != nil {
		return err
	}
	return r.Load(ctx, name)
}

// Disable turns module name off (persisted) and unloads it.
func (r *Registry) Disable(ctx context.Context, name string) error {
	m := r.get(name)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrUnknownModule, name)
	}
	off := false
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) { ms.Enabled = &off }); err != nil {
		return err
	}
	m.op.Lock()
	defer m.op.Unlock()
	r.stop(ctx, m, StatusDisabled, "")
	return nil
}

// FileChanged is the watcher's callback: it loads a new module, reloads a changed
// one, and unloads a deleted one. Disabled or hand-stopped modules stay so.
func (r *Registry) FileChanged(ctx context.Context, name string) {
	m := r.get(name)
	if _, err := r.ReadSource(name); errors.Is(err, fs.ErrNotExist) {
		if m != nil {
			m.op.Lock()
			r.forget(ctx, m)
			m.op.Unlock()
		}
		return
	}
	if m != nil {
		switch m.currentStatus() {
		case StatusDisabled, StatusStopped:
			if m.instance() == nil {
				return
			}
		}
	}
	if !enabled(r.settings(name)) {
		r.getOrAdd(name).setStatus(StatusDisabled, "", false)
		return
	}
	_ = r.Load(ctx, name)
}

// Call runs the function exported as "module.fn" with copies of args.
func (r *Registry) Call(ctx context.Context, target string, args []any) ([]any, error) {
	mod, fn, ok := strings.Cut(target, ".")
	if !ok || mod == "" || fn == "" {
		return nil, fmt.Errorf("call %q: name it as module.function", target)
	}
	m := r.get(mod)
	if m == nil {
		return nil, fmt.Errorf("call %s: module %s does not exist", target, mod)
	}
	inst := m.instance()
	if inst == nil {
		return nil, fmt.Errorf("call %s: module %s is %s", target, mod, m.currentStatus())
	}
	return inst.Call(ctx, fn, args)
}

// Commands lists the chat commands of every running module, sorted by name.
func (r *Registry) Commands() []CommandInfo {
	var out []CommandInfo
	for _, st := range r.Modules() {
		if st.Status == StatusRunning {
			out = append(out, st.Commands...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StopAll stops every module, dependents before their dependencies (the reverse
// of the dependency order, whatever order they were started or reloaded in).
// Each module's shutdown() runs. When ctx ends, StopAll returns: modules not
// stopped by then are left to the process's exit.
func (r *Registry) StopAll(ctx context.Context) {
	r.mu.RLock()
	mods := make([]*module, 0, len(r.mods))
	for _, m := range r.mods {
		mods = append(mods, m)
	}
	r.mu.RUnlock()
	// Dependency order, not start order: a dependency reloaded after its
	// dependents started has the later start, yet must stop after them.
	byName := make(map[string]*module, len(mods))
	for _, m := range mods {
		byName[m.name] = m
	}
	order, cyclic := depOrder(byName, func(m *module) []string {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.info.Dependencies
	})
	mods = mods[:0]
	for _, name := range slices.Backward(append(order, cyclic...)) {
		mods = append(mods, byName[name])
	}
	for _, m := range mods {
		if !lockCtx(ctx, &m.op) {
			// a load or reload still holds the module and ctx is over: the
			// caller (the engine's SIGTERM) must not wait for it
			r.log.Warn("module not stopped in time", "module", m.name)
			continue
		}
		status := m.currentStatus()
		if status == StatusRunning {
			status = StatusStopped
		}
		r.stop(ctx, m, status, "")
		m.op.Unlock()
	}
}

// lockCtx locks mu, or gives up when ctx ends first.
func lockCtx(ctx context.Context, mu *sync.Mutex) bool {
	for !mu.TryLock() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

func samePermissions(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
