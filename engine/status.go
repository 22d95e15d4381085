package engine

import (
	"sort"
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
	Secrets          []string       `json:"secrets,omitempty"` // config keys whose values are masked (SecretMask)
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

// transition is the one place a module's status changes; m.mu must be held.
// The moves, and what makes them:
//
//	-> running            a version went live (finish sets m.inst first)
//	-> failed             a load failed, or the module was quarantined
//	-> awaiting_approval  its permissions are not approved, or it was installed from the panel
//	-> stopped            unloaded by hand, its files were removed, or the engine stops
//	-> disabled           turned off (persisted)
//
// They obey one rule: a module is running exactly while it has an instance.
// So a failed reload or an unapproved new version leaves the serving version
// running (reason still says why the new one did not go live); stopped and
// disabled come after stop took the instance away; and a move to running
// without an instance is refused: the module shows as failed with an
// internal error rather than as running with nothing behind it.
//
// reason says why the module is not (fully) live, dep whether that is a
// dependency (such modules are retried when their dependencies change).
func (m *module) transition(to, reason string, dep bool) {
	switch {
	case m.inst != nil && (to == StatusFailed || to == StatusAwaitingApproval):
		to = StatusRunning
	case m.inst == nil && to == StatusRunning:
		to, reason, dep = StatusFailed, "internal error: a module without an instance cannot be running", false
	}
	m.status, m.loadErr, m.depErr = to, reason, dep
}

// setStatus is transition for a caller that does not hold m.mu.
func (m *module) setStatus(to, reason string, dep bool) {
	m.mu.Lock()
	m.transition(to, reason, dep)
	m.mu.Unlock()
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
		Config: MaskSecrets(m.info.Config, m.info.Secrets), ConfigOverrides: MaskSecrets(ms.Config, m.info.Secrets),
		Secrets:   m.info.Secrets,
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
