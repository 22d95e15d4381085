package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
	"time"
)

// Install saves a script pasted into the panel as scripts/NAME.lua, NAME coming
// from its module{name=...}. The script is first inspected (its top level run
// without effect, see Loader) to read module{}; it must declare a valid name. An
// existing module of that name is replaced only when replace is true. The
// installed module is listed in ApprovalsFile (and marked in the store) before
// its file is written, so it does not run until Approve: it needs approval of
// exactly the permissions it declares, now and after any later change of that
// list.
func (r *Registry) Install(ctx context.Context, code []byte, replace bool) (ModuleInfo, error) {
	if len(code) > MaxModuleBytes {
		return ModuleInfo{}, fmt.Errorf("script is %d bytes, at most %d allowed", len(code), MaxModuleBytes)
	}
	ins, err := r.Inspect(ctx, code)
	if err != nil {
		return ModuleInfo{}, err
	}
	info := ins.Module
	name := info.Name
	if name == "" {
		return info, errors.New("the script has no module{ name = \"...\" }: a pasted script must name itself")
	}
	if !ValidModuleName(name) {
		return info, fmt.Errorf("module name %q: use 1-64 letters, digits, _ and -", name)
	}
	existing := r.get(name)
	_, srcErr := r.ReadSource(name)
	if (existing != nil || srcErr == nil) && !replace {
		return info, fmt.Errorf("%w: %s (confirm replacing it)", ErrModuleExists, name)
	}
	if existing != nil {
		existing.op.Lock()
		r.stop(ctx, existing, StatusAwaitingApproval, "")
		existing.op.Unlock()
	}
	// Trust first, then the file: the watcher may load it at once.
	if err := r.updateApprovals(func(a map[string]*Approval) { a[name] = &Approval{Installed: time.Now().UTC()} }); err != nil {
		return info, err
	}
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) {
		ms.Enabled, ms.NeedsApproval, ms.Approved, ms.ApprovedHash = nil, true, nil, ""
	}); err != nil {
		return info, err
	}
	if err := r.writeScript(name, code); err != nil {
		return info, err
	}
	perms := sortedPerms(info.Permissions)
	m := r.getOrAdd(name)
	m.mu.Lock()
	m.info, m.file = info, r.cfg.Dir+"/"+name+".lua"
	m.needsApproval, m.approved, m.awaiting = true, nil, perms
	m.transition(StatusAwaitingApproval, fmt.Sprintf("module %s was installed from the panel and asks for permissions %v: review and approve it in the panel before it can run", name, perms), false)
	m.mu.Unlock()
	r.log.Info("script installed from the panel; it awaits approval", "module", name, "permissions", perms)
	r.emit("engine.module.installed", name, "")
	return info, nil
}

// Inspection is what a script declares and registers, read by running its top
// level without effect (see Loader): nothing goes live.
type Inspection struct {
	Module   ModuleInfo    `json:"module"`
	Hash     string        `json:"hash"` // of the inspected files, for Approve
	Commands []CommandInfo `json:"commands"`
	Events   []string      `json:"events"` // event types and patterns of its handlers (commands aside)
	Timers   int           `json:"timers"` // after/every registered at the top level
	Exports  []string      `json:"exports"`
}

// Inspect reads a pasted script: what its module{} declares and what its top
// level registers.
func (r *Registry) Inspect(ctx context.Context, code []byte) (Inspection, error) {
	sum := sha256.Sum256(code)
	return r.inspect(ctx, Source{File: "pasted.lua", Code: code, Hash: hex.EncodeToString(sum[:])})
}

func (r *Registry) inspect(ctx context.Context, src Source) (Inspection, error) {
	inst, err := r.loadSource(ctx, src)
	if err != nil {
		return Inspection{}, err
	}
	defer inst.Stop(ctx)
	st := inst.Status()
	ins := Inspection{Module: inst.Info(), Hash: src.Hash, Commands: st.Commands, Events: st.Events, Timers: st.Timers, Exports: st.Exports}
	ins.Module.Config = MaskSecrets(ins.Module.Config, ins.Module.Secrets)
	for _, p := range []*[]string{&ins.Events, &ins.Exports, &ins.Module.Permissions, &ins.Module.Dependencies} {
		if *p == nil {
			*p = []string{}
		}
	}
	if ins.Commands == nil {
		ins.Commands = []CommandInfo{}
	}
	return ins, nil
}

// Review is what the panel shows to approve a module: its source, what it
// registers, and what was approved before.
type Review struct {
	Inspection
	Source        string   `json:"source"` // the main file; a folder module's other files are not shown
	File          string   `json:"file"`
	NeedsApproval bool     `json:"needs_approval"`
	Approved      []string `json:"approved_permissions"` // nil: never approved
}

// Review inspects module name as its files are now.
func (r *Registry) Review(ctx context.Context, name string) (Review, error) {
	src, err := r.ReadSource(name)
	if err != nil {
		return Review{}, err
	}
	ins, err := r.inspect(ctx, src)
	if err != nil {
		return Review{}, err
	}
	ap := r.approval(name)
	return Review{Inspection: ins, Source: string(src.Code), File: src.File, NeedsApproval: ap.needed, Approved: ap.approved}, nil
}

// writeScript writes scripts/NAME.lua atomically (temporary hidden file, then
// rename), through an os.Root so no path can leave the scripts folder. An existing
// folder module of the same name is refused.
func (r *Registry) writeScript(name string, code []byte) error {
	if !ValidModuleName(name) {
		return fmt.Errorf("invalid module name %q", name)
	}
	root, err := os.OpenRoot(r.cfg.Dir)
	if err != nil {
		return fmt.Errorf("open scripts folder: %w", err)
	}
	defer root.Close()
	if fi, err := root.Stat(name); err == nil && fi.IsDir() {
		return fmt.Errorf("scripts/%s/ is a folder module; remove it by hand to replace it with a pasted script", name)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := "." + name + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(code); err != nil {
		f.Close()
		root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	f.Close()
	if err := root.Rename(tmp, name+".lua"); err != nil {
		root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// ErrChanged is returned by Approve when the module's files are no longer the
// version the streamer reviewed.
var ErrChanged = errors.New("the module's files changed since they were reviewed")

// ErrNoApprovalNeeded is returned by Approve for a module that was not
// installed from the panel: it runs with what it declares.
var ErrNoApprovalNeeded = errors.New("the module needs no approval: it was not installed from the panel")

// Approve records in ApprovalsFile that the streamer accepts the permissions
// module name declares now, enables it and loads it. When hash is not empty it
// must be the hash of the reviewed files (Inspection.Hash), so that a file
// changed after the review is not approved unseen.
func (r *Registry) Approve(ctx context.Context, name, hash string) (ModuleInfo, error) {
	src, err := r.ReadSource(name)
	if err != nil {
		return ModuleInfo{}, err
	}
	if hash != "" && hash != src.Hash {
		return ModuleInfo{}, fmt.Errorf("approve %s: %w; review it again", name, ErrChanged)
	}
	if ap := r.approval(name); !ap.needed {
		return ModuleInfo{}, fmt.Errorf("approve %s: %w", name, ErrNoApprovalNeeded)
	}
	ins, err := r.inspect(ctx, src)
	if err != nil {
		return ModuleInfo{}, err
	}
	info := ins.Module
	perms := sortedPerms(info.Permissions)
	if err := r.updateApprovals(func(a map[string]*Approval) {
		prev := a[name]
		na := &Approval{Permissions: perms, Hash: src.Hash, ApprovedAt: time.Now().UTC()}
		if prev != nil {
			na.Installed = prev.Installed
		}
		a[name] = na
	}); err != nil {
		return info, err
	}
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) {
		ms.NeedsApproval, ms.Approved, ms.ApprovedHash, ms.Enabled = true, nil, "", nil
	}); err != nil {
		return info, err
	}
	r.log.Info("module approved", "module", name, "permissions", perms)
	return info, r.Reload(ctx, name)
}

// SetConfig replaces the config overrides of module name and reloads it. Every
// key must exist in the module's config defaults with a value of the same kind
// (number, string, boolean, table).
func (r *Registry) SetConfig(ctx context.Context, name string, overrides map[string]any) error {
	m := r.get(name)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrUnknownModule, name)
	}
	m.mu.Lock()
	defaults, secrets := m.info.Config, m.info.Secrets
	m.mu.Unlock()
	// A secret sent back as SecretMask keeps its stored value (the panel never
	// has it to send).
	stored := r.settings(name).Config
	overrides = maps.Clone(overrides)
	for _, k := range secrets {
		if overrides[k] != SecretMask {
			continue
		}
		if old, ok := stored[k]; ok {
			overrides[k] = old
		} else {
			delete(overrides, k)
		}
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		def, ok := defaults[k]
		if !ok {
			return fmt.Errorf("module %s has no config key %q", name, k)
		}
		if KindOf(def) != KindOf(overrides[k]) {
			return fmt.Errorf("config %s.%s must be a %s, got a %s", name, k, KindOf(def), KindOf(overrides[k]))
		}
	}
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) { ms.Config = overrides }); err != nil {
		return err
	}
	if m.instance() == nil {
		return nil
	}
	return r.Reload(ctx, name)
}
