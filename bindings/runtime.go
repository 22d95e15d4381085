package bindings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starstreamer/starstreamer/bindings/safelib"
	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

// Config configures a Runtime. Only Bus is required.
type Config struct {
	Bus    *engine.Bus
	Store  *engine.Store
	Logger *slog.Logger

	// HandlerBudget is the run time one handler invocation may use (summed over
	// its slices; time spent waiting in sleep or a request does not count).
	HandlerBudget time.Duration // default 1s
	// HeapLimit: when the Go heap passes it, running handlers are stopped.
	HeapLimit uint64 // default 1 GiB; 0 keeps the default, use ^uint64(0) for none
	// MailboxSize bounds the events queued for one module; past it events for
	// that module are dropped and counted (never blocking other modules).
	MailboxSize int // default 10000
	// EmitRate bounds the events one module may emit per second (with bursts
	// of EmitBurst); past it emit raises an error. It stops a loop of emits,
	// or a handler that re-emits its own event type, from flooding the bus.
	EmitRate  float64 // default 5000
	EmitBurst int     // default 10000
	// MaxRunning bounds the handler invocations of one module in progress at
	// once (most of them sleeping or waiting); past it new events are refused
	// and counted as errors.
	MaxRunning int // default 1000
	// MaxHandlers bounds the handlers (on_event and command) one module may
	// have registered at once, MaxCommands the commands among them; past
	// them on_event and command raise an error.
	MaxHandlers int // default 1000
	MaxCommands int // default 200

	Twitch Twitch // nil: offline (messages go to Chat)
	OBS    OBS    // nil: offline (obs.* calls fail with a clear error)
	// Overlay is the overlay server; nil: overlay.* calls return an error.
	Overlay Overlay
	// Discord is the Discord bot; nil: discord.* calls return an error.
	Discord Discord
	// Web makes the client a module's http.* calls go through, for the
	// hosts it declared; nil: the guarded client of platform/httpc.
	Web  func(module string, hosts []string) Web
	Chat *engine.ChatSink

	// BotNames are logins filter.not_bot() treats as bots (bots.go). Lower
	// case; nil: KnownBots.
	BotNames []string
	// BotAccount returns the login the engine chats as and the channel, once
	// known ("" before). filter.not_bot() skips that login unless it is the
	// channel's own account (then only data.from_bot tells the bot's lines).
	BotAccount func() (login, channel string)
	// Now is the clock of cooldowns and os.time in tests; default time.Now.
	Now func() time.Time
	// Stdlib returns the Lua source of a require-able standard library module.
	Stdlib func(name string) ([]byte, bool)
	// SafeLimits bounds the string, pattern and unpack functions (zero: defaults).
	SafeLimits safelib.Limits
}

// Runtime is the Lua implementation of engine.Loader: it builds one sandboxed VM
// per module instance, compiled chunks shared through a cache.
type Runtime struct {
	cfg       Config
	log       *slog.Logger
	protos    protoCache
	wd        *watchdog
	cooldowns cooldowns
	offences  offences
	offline   sync.Once

	pressure atomic.Bool  // a memory-pressure check is running
	lastGC   atomic.Int64 // unix nanos of its last GC
	nextWalk atomic.Int64 // unix nanos before which the VMs are not walked again
}

// memoryPressure runs when the watchdog found the heap over its limit. The
// running handlers were already stopped; if the heap stays over the limit
// after a full GC, something is holding memory between events. Each VM's
// reachable data is then estimated on its own goroutine, and the module that
// holds most of it (at least a quarter of the limit) is stopped, so its
// memory is freed and the other modules' handlers stop being cut. It collects
// at most once a second, and walks the VMs at most once a second and never
// more than a fifth of the time (a walk of a big hoard takes seconds).
func (rt *Runtime) memoryPressure() {
	now := time.Now().UnixNano()
	if now-rt.lastGC.Load() < int64(time.Second) || now < rt.nextWalk.Load() ||
		!rt.pressure.CompareAndSwap(false, true) {
		return
	}
	defer rt.pressure.Store(false)
	rt.lastGC.Store(now)
	runtime.GC() // rare: at most once a second, only under memory pressure
	h := heapBytes()
	if h <= rt.cfg.HeapLimit {
		return // garbage, not hoarding
	}
	walkStart := time.Now()
	var worst *instance
	var worstBytes int64
	instances := rt.wd.instances()
	held := rt.queuedBytes(instances)
	for _, in := range instances {
		var est int64
		// A VM busy elsewhere (a long Go call) is skipped after 2 s, but a
		// walk once started is waited for: it is bounded by its object count,
		// and it takes longest on the very module that hoards.
		err := in.doOnceStarted(2*time.Second, func() {
			est, _ = in.estimateHeap(5_000_000)
			in.stMu.Lock()
			in.heapEst = est
			in.stMu.Unlock()
		})
		if err != nil {
			est = 0 // not walked: what else it holds still counts
		}
		est += held[in] + in.pendingBytes.Load()
		if est > worstBytes {
			worst, worstBytes = in, est
		}
	}
	took := time.Since(walkStart)
	rt.nextWalk.Store(time.Now().Add(max(time.Second, 4*took)).UnixNano())
	if worst == nil || worstBytes < int64(rt.cfg.HeapLimit/4) {
		rt.log.Warn("the heap is over its limit, but no module holds a large share of it", "heap_mib", h>>20, "limit_mib", rt.cfg.HeapLimit>>20, "largest_mib", worstBytes>>20)
		return
	}
	reason := fmt.Sprintf("stopped: it held about %d MiB between events (its data, coroutines, %d MiB of events it emitted still queued, %d MiB of call results on their way) while the engine's heap was at %d MiB, over the %d MiB limit (does it keep growing a table?)", worstBytes>>20, held[worst]>>20, worst.pendingBytes.Load()>>20, h>>20, rt.cfg.HeapLimit>>20)
	worst.reg.Quarantine(context.Background(), worst.name, reason)
}

// queuedBytes estimates what the events waiting in the mailboxes hold, each
// event once, charged to the module that emitted it (it is the one that can
// stop), else to the module whose mailbox holds it.
func (rt *Runtime) queuedBytes(instances []*instance) map[*instance]int64 {
	byName := map[string]*instance{}
	for _, in := range instances {
		if cur, ok := byName[in.name]; !ok || in.started.Load() && !cur.started.Load() {
			byName[in.name] = in
		}
	}
	held := map[*instance]int64{}
	seen := map[*engine.Event]bool{}
	budget := 10_000_000 // values visited in all
	for _, in := range instances {
		for _, e := range in.queuedEvents() {
			if seen[e] {
				continue
			}
			seen[e] = true
			owner := in
			if src, ok := strings.CutPrefix(e.Source, "module:"); ok && byName[src] != nil {
				owner = byName[src]
			}
			held[owner] += eventBytes(e, &budget)
		}
	}
	return held
}

// maxArrayIndex bounds a table's array part. gopher-lua fills the array part
// up to an integer key in one Go loop that no context can interrupt: with its
// default (2^26), `t[60000000] = true` took 16.7 s and allocated 4.7 GB in a
// single instruction. At 2^20 the worst single assignment fills 16 MB in a few
// milliseconds; larger keys live in the hash part, as Lua allows. The cost: a
// sequence longer than 2^20 elements is not counted past that by `#`.
const maxArrayIndex = 1 << 20

var capArrays sync.Once

// NewRuntime returns a Runtime.
func NewRuntime(cfg Config) *Runtime {
	capArrays.Do(func() { lua.MaxArrayIndex = maxArrayIndex }) // process-wide, set before any VM runs
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HandlerBudget <= 0 {
		cfg.HandlerBudget = time.Second
	}
	if cfg.HeapLimit == 0 {
		cfg.HeapLimit = 1 << 30
	}
	if cfg.MailboxSize <= 0 {
		cfg.MailboxSize = 10000
	}
	if cfg.EmitRate <= 0 {
		cfg.EmitRate = 5000
	}
	if cfg.EmitBurst <= 0 {
		cfg.EmitBurst = 10000
	}
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = 1000
	}
	if cfg.MaxHandlers <= 0 {
		cfg.MaxHandlers = 1000
	}
	if cfg.MaxCommands <= 0 {
		cfg.MaxCommands = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Chat == nil {
		cfg.Chat = engine.NewChatSink(200, nil)
	}
	rt := &Runtime{cfg: cfg, log: cfg.Logger}
	tick := cfg.HandlerBudget / 20
	tick = min(max(tick, time.Millisecond), 10*time.Millisecond)
	rt.wd = newWatchdog(tick, cfg.HeapLimit)
	rt.wd.onHeap = rt.memoryPressure
	rt.cooldowns.store, rt.cooldowns.log = cfg.Store, rt.log
	rt.cooldowns.m = map[cooldownKey]time.Time{}
	return rt
}

// Load implements engine.Loader.
func (rt *Runtime) Load(ctx context.Context, src engine.Source, reg engine.Host) (engine.Instance, error) {
	file := src.File
	if file == "" {
		file = src.Name + ".lua"
	}
	proto, err := rt.protos.get(file+"\x00"+string(src.Code), func() (*lua.FunctionProto, error) {
		return compileLua(src.Code, file)
	})
	if err != nil {
		return nil, err
	}
	in := newInstance(rt, reg, src)
	in.protos[file] = proto
	in.warnings = rt.lint(ctx, in, proto)
	if err := in.runTopLevel(ctx, proto); err != nil {
		in.Stop(context.Background())
		return nil, err
	}
	return in, nil
}

// lint runs the static pass (lintProtos) over the module's files against the
// names of in's fresh VM and logs what it finds. Files of a folder module that
// do not compile are left to require to report.
func (rt *Runtime) lint(ctx context.Context, in *instance, main *lua.FunctionProto) []string {
	var k *knownNames
	if err := in.do(ctx, func() { k = vmNames(in.L) }); err != nil {
		return nil
	}
	protos := []*lua.FunctionProto{main}
	for _, rel := range sortedKeys(in.src.Files) {
		if !strings.HasSuffix(rel, ".lua") || strings.HasSuffix(rel, "_test.lua") {
			continue
		}
		file, code := in.src.Dir+"/"+rel, in.src.Files[rel]
		if p, err := rt.protos.get(file+"\x00"+string(code), func() (*lua.FunctionProto, error) { return compileLua(code, file) }); err == nil {
			protos = append(protos, p)
		}
	}
	warnings := lintProtos(k, protos, nil)
	for _, w := range warnings {
		rt.log.Warn("script warning", "module", in.src.Name, "warning", w)
	}
	return warnings
}

// errNotRunning is returned when work is posted to an instance that has stopped.
var errNotRunning = errors.New("module is not running")

func (rt *Runtime) now() time.Time { return rt.cfg.Now() }
