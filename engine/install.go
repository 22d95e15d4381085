package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
)

// Install saves a script pasted into the panel as scripts/NAME.lua, NAME coming
// from its module{name=...}. The script is first compiled and its top level run
// in a throw-away sandbox to read module{}; it must declare a valid name. An
// existing module of that name is replaced only when replace is true. The
// installed module stays disabled until Approve: it needs approval of exactly the
// permissions it declares, now and after any later change of that list.
func (r *Registry) Install(ctx context.Context, code []byte, replace bool) (ModuleInfo, error) {
	if len(code) > MaxModuleBytes {
		return ModuleInfo{}, fmt.Errorf("script is %d bytes, at most %d allowed", len(code), MaxModuleBytes)
	}
	info, err := r.Inspect(ctx, code)
	if err != nil {
		return ModuleInfo{}, err
	}
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
		r.stop(ctx, existing, StatusAwaitingApproval)
		existing.op.Unlock()
	}
	off := false
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) {
		ms.Enabled, ms.NeedsApproval, ms.Approved, ms.ApprovedHash = &off, true, nil, ""
	}); err != nil {
		return info, err
	}
	if err := r.writeScript(name, code); err != nil {
		return info, err
	}
	m := r.getOrAdd(name)
	m.mu.Lock()
	m.status, m.info, m.file = StatusAwaitingApproval, info, r.cfg.Dir+"/"+name+".lua"
	m.loadErr = fmt.Sprintf("installed from the panel: approve its permissions %v to run it", info.Permissions)
	m.mu.Unlock()
	r.emit("engine.module.installed", name, "")
	return info, nil
}

// Inspect compiles code in a throw-away sandbox, runs its top level and returns
// what its module{} declares. Nothing goes live.
func (r *Registry) Inspect(ctx context.Context, code []byte) (ModuleInfo, error) {
	inst, err := r.loadSource(ctx, Source{File: "pasted.lua", Code: code})
	if err != nil {
		return ModuleInfo{}, err
	}
	defer inst.Stop(ctx)
	return inst.Info(), nil
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

// Approve records that the user accepts the permissions module name declares now,
// enables it and loads it.
func (r *Registry) Approve(ctx context.Context, name string) (ModuleInfo, error) {
	src, err := r.ReadSource(name)
	if err != nil {
		return ModuleInfo{}, err
	}
	inst, err := r.loadSource(ctx, src)
	if err != nil {
		return ModuleInfo{}, err
	}
	info := inst.Info()
	inst.Stop(ctx)
	perms := append([]string{}, info.Permissions...)
	sort.Strings(perms)
	if err := r.cfg.Store.UpdateModuleSettings(name, func(ms *ModuleSettings) {
		ms.Approved, ms.ApprovedHash, ms.Enabled = perms, src.Hash, nil
	}); err != nil {
		return info, err
	}
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
	defaults := m.info.Config
	m.mu.Unlock()
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
		if kindOf(def) != kindOf(overrides[k]) {
			return fmt.Errorf("config %s.%s must be a %s, got a %s", name, k, kindOf(def), kindOf(overrides[k]))
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

func kindOf(v any) string {
	if v == nil {
		return "nil"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Map, reflect.Slice:
		return "table"
	}
	return reflect.TypeOf(v).String()
}
