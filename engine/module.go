package engine

import (
	"context"
	"slices"
	"time"
)

// Loader builds module instances from source. The bindings package implements it
// with one sandboxed Lua VM per instance. The engine never imports Lua.
type Loader interface {
	// Load compiles src in a fresh VM and runs its top level, which declares the
	// module (module{...}) and registers handlers, commands, timers and exports.
	// Load has no effect outside the VM, whoever wrote the script: the bindings
	// that act (chat, OBS, the store, emit, call) and those that wait refuse at
	// the top level, and nothing registered goes live (subscriptions stay
	// pending and timers unarmed until Start). So Load is also how a pasted
	// script is inspected and how a module awaiting approval is read. A failed
	// Load leaves nothing behind. host is what the module may ask of the
	// engine for as long as the instance lives.
	Load(ctx context.Context, src Source, host Host) (Instance, error)
}

// Host is what a module may ask of the engine besides the bus and the store:
// the narrow view of the Registry a Loader hands its instances. Each method
// names one thing a module does.
type Host interface {
	// Call runs the function another module exports ("module.fn").
	Call(ctx context.Context, target string, args []any) ([]any, error)
	// Commands lists the chat commands of the running modules (a help command).
	Commands() []CommandInfo
	// Reload rebuilds module name from its files (a module reloads itself
	// after a fault it cannot recover from in place).
	Reload(ctx context.Context, name string) error
	// Quarantine stops module name for misbehaving, with reason, until it is
	// loaded again by hand or its files change.
	Quarantine(ctx context.Context, name, reason string)
}

var _ Host = (*Registry)(nil)

// Instance is one loaded version of a module. Its lifecycle, driven by the
// Registry:
//
//  1. Load (Loader.Load): fresh VM, top level runs; no effect outside the VM.
//  2. Init: init() runs, only once the module may go live (its permissions are
//     approved when it needs approval, its dependencies run). It may act: chat,
//     emit, use the store, call other modules; it may register more handlers,
//     timers and exports. An error in init() fails the load; the previous
//     version keeps running.
//  3. Start: the Registry has swapped the bus subscriptions (Bus.Replace with
//     Subscriptions()); Start arms timers and makes later on_event calls
//     subscribe directly.
//  4. Stop: ahead of queued work, handles the events already delivered for a
//     bounded time (the rest are dropped and counted), runs shutdown() with
//     its own budget, cancels timers and waiting calls, unsubscribes and
//     closes the VM, all within ctx's deadline when it has one (Stop returns
//     when ctx ends). Stop works after a failed Init and after an earlier Stop.
type Instance interface {
	Info() ModuleInfo
	Init(ctx context.Context) error
	Subscriptions() []*Subscription
	Start()
	Stop(ctx context.Context)
	// Call runs an exported function with copied arguments and returns copied results.
	Call(ctx context.Context, fn string, args []any) ([]any, error)
	Status() InstanceStatus
}

// Source is what a Loader builds an instance from.
type Source struct {
	Name   string            // module name
	File   string            // main file, e.g. scripts/rpg/init.lua or scripts/chat.lua
	Dir    string            // the module's folder for folder modules, "" for one file
	Code   []byte            // contents of File
	Files  map[string][]byte // other .lua files of a folder module, by slash path relative to Dir
	Hash   string            // sha256 of every file of the module
	Config map[string]any    // stored overrides of the module's config defaults
}

// ModuleInfo is what a module declares about itself in module{...}.
type ModuleInfo struct {
	Name         string         `json:"name"`
	Description  string         `json:"description"`
	Version      string         `json:"version"`
	Author       string         `json:"author"`
	Dependencies []string       `json:"dependencies"`
	Permissions  []string       `json:"permissions"`
	Config       map[string]any `json:"config"`            // defaults
	Secrets      []string       `json:"secrets,omitempty"` // config keys declared { secret = true }: masked wherever shown
}

// SecretMask stands for the value of a secret config field in everything the
// engine shows or answers (API, panel, live feed, logs). Sent back as a
// config override, it means "keep the stored value".
const SecretMask = "••••••••"

// MaskSecrets returns config with each of the secret keys' non-empty values
// replaced by SecretMask (a copy; config itself is not changed).
func MaskSecrets(config map[string]any, secrets []string) map[string]any {
	if len(secrets) == 0 || config == nil {
		return config
	}
	out := make(map[string]any, len(config))
	for k, v := range config {
		if s, ok := v.(string); ok && s != "" && slices.Contains(secrets, k) {
			v = SecretMask
		}
		out[k] = v
	}
	return out
}

// CommandInfo describes one chat command a module answers.
type CommandInfo struct {
	Module      string   `json:"module"`
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	Usage       string   `json:"usage,omitempty"`
	Description string   `json:"description,omitempty"`
	Permission  string   `json:"permission"`
}

// InstanceStatus is an instance's live counters.
type InstanceStatus struct {
	Handlers     int           `json:"handlers"`
	Commands     []CommandInfo `json:"commands"`
	Exports      []string      `json:"exports"`
	Events       []string      `json:"events"` // event types and patterns of its handlers, commands aside (sorted)
	Timers       int           `json:"timers"`
	Running      int           `json:"running"` // handler invocations in progress (including sleeping ones) and chat replies the engine is sending for the module (usage, cooldown_reply)
	Invocations  uint64        `json:"invocations"`
	Errors       uint64        `json:"errors"`
	LastError    string        `json:"last_error,omitempty"`
	LastErrorAt  time.Time     `json:"last_error_at,omitzero"`
	Dropped      uint64        `json:"dropped"` // events refused because the mailbox was full
	HeapEstimate int64         `json:"heap_estimate_bytes"`
	Warnings     []string      `json:"warnings,omitempty"` // found when the module was loaded ("file:line: ...")
}
