package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Module statuses as the API reports them.
const (
	StatusRunning          = "running"           // an instance serves events
	StatusFailed           = "failed"            // enabled, but no instance: the last load failed
	StatusDisabled         = "disabled"          // turned off (persisted)
	StatusStopped          = "stopped"           // enabled, unloaded by hand until the next load or restart
	StatusAwaitingApproval = "awaiting_approval" // installed from the panel, permissions not approved
)

// Limits of what one module may be made of; they keep the compiler (which recurses
// per nesting level) and memory away from a hostile paste.
const (
	MaxModuleFiles = 64
	MaxModuleBytes = 1 << 20
)

// ErrModuleExists is returned by Install when the name is taken and replace is false.
var ErrModuleExists = errors.New("a module with this name exists")

// ErrUnknownModule is returned for a name that is not a discovered module.
var ErrUnknownModule = errors.New("unknown module")

// ReloadResult describes the last load or reload of a module.
type ReloadResult struct {
	At         time.Time `json:"at"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"duration_ms"`
}

// reloadResult records a load that began at start and ended now with err.
func reloadResult(start time.Time, err error) *ReloadResult {
	now := time.Now()
	rr := &ReloadResult{At: now, OK: err == nil, DurationMS: float64(now.Sub(start).Microseconds()) / 1e3}
	if err != nil {
		rr.Error = err.Error()
	}
	return rr
}

// ModuleState is one module as the API and panel show it.
type ModuleState struct {
	Name          string   `json:"name"`
	Status        string   `json:"status"`
	Enabled       bool     `json:"enabled"`
	File          string   `json:"file"`
	Description   string   `json:"description"`
	Version       string   `json:"version"`
	Author        string   `json:"author"`
	Dependencies  []string `json:"dependencies"`
	Permissions   []string `json:"permissions"`
	NeedsApproval bool     `json:"needs_approval"`                 // installed from the panel: runs only with approved permissions
	Approved      []string `json:"approved_permissions,omitempty"` // what the streamer approved (ApprovalsFile)
	// AwaitingApproval lists the permissions the module's files declare now
	// when they wait for approval: its first approval, or a changed list while
	// the approved version keeps running (Status "running").
	AwaitingApproval []string       `json:"awaiting_approval"`
	Config           map[string]any `json:"config"`
	ConfigOverrides  map[string]any `json:"config_overrides,omitempty"`
	Handlers         int            `json:"handlers"`
	Commands         []CommandInfo  `json:"commands"`
	Exports          []string       `json:"exports"`
	Invocations      uint64         `json:"invocations"`
	Errors           uint64         `json:"errors"`
	LastError        string         `json:"last_error,omitempty"`
	Warnings         []string       `json:"warnings,omitempty"` // the running version's load-time warnings
	Dropped          uint64         `json:"dropped"`
	HeapEstimate     int64          `json:"heap_estimate_bytes"`
	LastReload       *ReloadResult  `json:"last_reload,omitempty"`
	ReloadsSucceeded uint64         `json:"reloads_succeeded"`
	ReloadsFailed    uint64         `json:"reloads_failed"`
}

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

type module struct {
	name string
	op   sync.Mutex // serialises lifecycle operations on this module

	mu            sync.Mutex // guards the fields below
	inst          Instance
	status        string
	file          string
	hash          string
	info          ModuleInfo
	loadErr       string // why the module is not running (failed, awaiting approval)
	depErr        bool   // loadErr is about a dependency: retry when dependencies change
	lastReload    *ReloadResult
	okCount       uint64
	failCount     uint64
	handlerErrors uint64   // errors of instances already stopped, so the count survives reloads
	needsApproval bool     // installed from the panel (as of the last load or approval)
	approved      []string // permissions approved for it
	awaiting      []string // permissions of its files awaiting approval; nil when none
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

// Bus is the registry's event bus.
func (r *Registry) Bus() *Bus { return r.cfg.Bus }

// Store is the registry's store.
func (r *Registry) Store() *Store { return r.cfg.Store }

// Dir is the scripts folder.
func (r *Registry) Dir() string { return r.cfg.Dir }

// Discover lists the module names under the scripts folder: NAME.lua files
// (not *_test.lua) and NAME/ folders with an init.lua.
func (r *Registry) Discover() ([]string, error) {
	entries, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("read scripts folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."):
		case e.IsDir():
			if ValidModuleName(n) {
				if _, err := os.Stat(path.Join(r.cfg.Dir, n, "init.lua")); err == nil {
					names = append(names, n)
				}
			}
		case strings.HasSuffix(n, ".lua") && !strings.HasSuffix(n, "_test.lua"):
			if name := strings.TrimSuffix(n, ".lua"); ValidModuleName(name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return slices.Compact(names), nil
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

// ReadSource reads module name from the scripts folder. Paths never leave the
// folder: names are validated and files are read through an os.Root, which also
// refuses symbolic links that point outside.
func (r *Registry) ReadSource(name string) (Source, error) {
	if !ValidModuleName(name) {
		return Source{}, fmt.Errorf("%q is not a valid module name (letters, digits, _ and -)", name)
	}
	root, err := os.OpenRoot(r.cfg.Dir)
	if err != nil {
		return Source{}, fmt.Errorf("open scripts folder: %w", err)
	}
	defer root.Close()
	file := name + ".lua"
	_, fileErr := root.Stat(file)
	dirInfo, dirErr := root.Stat(name)
	isDir := dirErr == nil && dirInfo.IsDir()
	switch {
	case fileErr == nil && isDir:
		return Source{}, fmt.Errorf("module %s: both %s and %s/ exist; remove one", name, file, name)
	case fileErr == nil:
		code, err := ReadScriptFile(root, file, MaxModuleBytes)
		if err != nil {
			return Source{}, fmt.Errorf("module %s: %w", name, err)
		}
		sum := sha256.Sum256(code)
		return Source{Name: name, File: path.Join(r.cfg.Dir, file), Code: code, Hash: hex.EncodeToString(sum[:])}, nil
	case isDir:
		return r.readFolder(root, name)
	}
	return Source{}, fmt.Errorf("module %s: %w: neither %s nor %s/init.lua exists", name, fs.ErrNotExist, file, name)
}

func (r *Registry) readFolder(root *os.Root, name string) (Source, error) {
	src := Source{Name: name, Dir: path.Join(r.cfg.Dir, name), File: path.Join(r.cfg.Dir, name, "init.lua"), Files: map[string][]byte{}}
	h := sha256.New()
	total := 0
	err := fs.WalkDir(root.FS(), name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if p != name && strings.HasPrefix(base, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(base, ".lua") || strings.HasPrefix(base, ".") || strings.HasSuffix(base, "_test.lua") {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if len(src.Files) >= MaxModuleFiles {
			return fmt.Errorf("more than %d .lua files", MaxModuleFiles)
		}
		if total >= MaxModuleBytes {
			return fmt.Errorf("files add up to more than %d bytes", MaxModuleBytes)
		}
		data, err := ReadScriptFile(root, p, MaxModuleBytes-total)
		if err != nil {
			return fmt.Errorf("%w (the files of a module may add up to %d bytes)", err, MaxModuleBytes)
		}
		total += len(data)
		rel := strings.TrimPrefix(p, name+"/")
		h.Write([]byte(rel))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
		if rel == "init.lua" {
			src.Code = data
		} else {
			src.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return Source{}, fmt.Errorf("module %s: %w", name, err)
	}
	if src.Code == nil {
		return Source{}, fmt.Errorf("module %s: %w: %s/init.lua", name, fs.ErrNotExist, name)
	}
	src.Hash = hex.EncodeToString(h.Sum(nil))
	return src, nil
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

// depOrder sorts the names of pending so that dependencies come first; names on
// a cycle are returned separately.
func depOrder[T any](pending map[string]T, deps func(T) []string) (order, cyclic []string) {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			i := slices.Index(stack, n)
			for _, c := range append(stack[i:], n) {
				if !slices.Contains(cyclic, c) {
					cyclic = append(cyclic, c)
				}
			}
			return false
		case done:
			return true
		}
		state[n] = visiting
		stack = append(stack, n)
		ok := true
		for _, d := range deps(pending[n]) {
			if _, isPending := pending[d]; isPending && !visit(d) {
				ok = false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		if !slices.Contains(cyclic, n) {
			// also when a dependency is on a cycle: finish then marks n failed
			// (and stops its instance) instead of leaving it loaded and unlisted
			order = append(order, n)
		}
		return ok
	}
	names := make([]string, 0, len(pending))
	for n := range pending {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		visit(n)
	}
	return order, cyclic
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

// finish takes a phase-1 instance live: approval and dependency checks, init(),
// then the swap. m.op must be held.
func (r *Registry) finish(ctx context.Context, m *module, inst Instance, src Source, start time.Time, reload bool) error {
	info := inst.Info()
	if info.Name != "" && info.Name != m.name {
		err := fmt.Errorf("%s: module{} says name = %q but the file is named %q: rename one of them", src.File, info.Name, m.name)
		r.fail(m, inst, src, start, err, false)
		return err
	}
	ap := r.approval(m.name)
	m.mu.Lock()
	m.needsApproval, m.approved = ap.needed, ap.approved
	m.mu.Unlock()
	if !ap.allows(info.Permissions) {
		inst.Stop(ctx)
		return r.awaitApproval(m, info, src, ap)
	}
	for _, d := range info.Dependencies {
		dm := r.get(d)
		if dm == nil || dm.instance() == nil {
			why := "is missing"
			if dm != nil {
				why = "is " + dm.currentStatus()
			}
			err := fmt.Errorf("module %s: dependency %s %s", m.name, d, why)
			r.fail(m, inst, src, start, err, true)
			return err
		}
	}
	lctx, cancel := context.WithTimeout(ctx, r.cfg.LoadTimeout)
	err := inst.Init(lctx)
	cancel()
	if err != nil {
		r.fail(m, inst, src, start, err, false)
		return err
	}
	// The swap: one atomic change of the bus, so every event is matched against
	// either the old or the new handlers.
	m.mu.Lock()
	old := m.inst
	m.mu.Unlock()
	if err := r.cfg.Bus.Replace(old, inst.Subscriptions()); err != nil { // a nil Instance is a nil owner
		r.fail(m, inst, src, start, err, false)
		return err
	}
	inst.Start()
	took := time.Since(start)
	m.mu.Lock()
	if old != nil {
		m.handlerErrors += old.Status().Errors
	}
	m.inst, m.status, m.file, m.hash, m.info = inst, StatusRunning, src.File, src.Hash, info
	m.loadErr, m.depErr, m.awaiting = "", false, nil
	m.okCount++
	m.lastReload = reloadResult(start, nil)
	m.mu.Unlock()
	if old != nil {
		old.Stop(ctx) // drains what it had already been handed, runs shutdown()
	}
	typ := "engine.module.loaded"
	if reload && old != nil {
		typ = "engine.module.reloaded"
	}
	r.log.Info("module "+strings.TrimPrefix(typ, "engine.module."), "module", m.name, "ms", took.Milliseconds())
	r.emit(typ, m.name, "")
	r.retryDependents(ctx, m.name)
	return nil
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
	m.awaiting, m.loadErr, m.file, m.depErr = perms, err.Error(), src.File, false
	if !running {
		m.status, m.info = StatusAwaitingApproval, info
	}
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
	m.loadErr, m.depErr = err.Error(), dep
	if src.File != "" {
		m.file = src.File
	}
	m.lastReload = reloadResult(start, err)
	running := m.inst != nil
	if !running {
		m.status = StatusFailed
	}
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

// retryDependents loads the modules that failed only because name was not running.
func (r *Registry) retryDependents(ctx context.Context, name string) {
	r.mu.RLock()
	var retry []*module
	for _, m := range r.mods {
		m.mu.Lock()
		if m.depErr && m.inst == nil && slices.Contains(m.info.Dependencies, name) {
			retry = append(retry, m)
		}
		m.mu.Unlock()
	}
	r.mu.RUnlock()
	for _, m := range retry {
		go func() { _ = r.Load(ctx, m.name) }()
	}
}

func (m *module) instance() Instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inst
}

func (m *module) currentStatus() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

func (m *module) setStatus(status, loadErr string, dep bool) {
	m.mu.Lock()
	m.status, m.loadErr, m.depErr = status, loadErr, dep
	m.mu.Unlock()
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
	r.stop(ctx, m, StatusStopped)
	return nil
}

func (r *Registry) stop(ctx context.Context, m *module, status string) {
	m.mu.Lock()
	inst := m.inst
	m.inst = nil
	m.status, m.loadErr, m.depErr = status, "", false
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
	r.stop(ctx, m, StatusStopped)
	m.mu.Lock()
	m.status, m.loadErr = StatusFailed, reason
	m.lastReload = reloadResult(time.Now(), errors.New(reason))
	m.failCount++
	m.mu.Unlock()
	r.log.Error("module stopped", "module", name, "reason", reason)
	r.emit("engine.module.load_failed", name, reason)
}

// forget stops a module whose files are gone and drops it from the registry.
func (r *Registry) forget(ctx context.Context, m *module) {
	r.stop(ctx, m, StatusStopped)
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
	r.stop(ctx, m, StatusDisabled)
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

// Modules returns the state of every known module, sorted by name.
func (r *Registry) Modules() []ModuleState {
	r.mu.RLock()
	mods := make([]*module, 0, len(r.mods))
	for _, m := range r.mods {
		mods = append(mods, m)
	}
	r.mu.RUnlock()
	out := make([]ModuleState, 0, len(mods))
	for _, m := range mods {
		out = append(out, r.state(m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Module returns the state of one module.
func (r *Registry) Module(name string) (ModuleState, bool) {
	m := r.get(name)
	if m == nil {
		return ModuleState{}, false
	}
	return r.state(m), true
}

func (r *Registry) state(m *module) ModuleState {
	ms := r.settings(m.name)
	m.mu.Lock()
	st := ModuleState{
		Name: m.name, Status: m.status, Enabled: enabled(ms), File: m.file,
		Description: m.info.Description, Version: m.info.Version, Author: m.info.Author,
		Dependencies: m.info.Dependencies, Permissions: m.info.Permissions,
		NeedsApproval: ms.NeedsApproval || m.needsApproval, Approved: m.approved, AwaitingApproval: m.awaiting,
		Config: m.info.Config, ConfigOverrides: ms.Config,
		LastError: m.loadErr, ReloadsSucceeded: m.okCount, ReloadsFailed: m.failCount,
		Errors: m.handlerErrors,
	}
	if m.lastReload != nil {
		lr := *m.lastReload
		st.LastReload = &lr
		if !lr.OK {
			st.LastError = lr.Error
		}
	}
	inst := m.inst
	m.mu.Unlock()
	if st.Dependencies == nil {
		st.Dependencies = []string{}
	}
	if st.Permissions == nil {
		st.Permissions = []string{}
	}
	st.Commands, st.Exports = []CommandInfo{}, []string{}
	if inst != nil {
		is := inst.Status()
		st.Handlers, st.Invocations, st.Dropped, st.HeapEstimate = is.Handlers, is.Invocations, is.Dropped, is.HeapEstimate
		st.Warnings = is.Warnings
		st.Errors += is.Errors
		if is.Commands != nil {
			st.Commands = is.Commands
		}
		if is.Exports != nil {
			st.Exports = is.Exports
		}
		if st.LastError == "" && is.LastError != "" {
			st.LastError = is.LastError
		}
	}
	return st
}

// StopAll stops every module, dependents before their dependencies (the reverse
// of the dependency order, whatever order they were started or reloaded in).
// Each module's shutdown() runs.
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
		m.op.Lock()
		status := m.currentStatus()
		r.stop(ctx, m, status)
		m.op.Unlock()
	}
}

func samePermissions(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
