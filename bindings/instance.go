package bindings

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/time/rate"
)

// instance is one loaded version of a module: one LState, owned by one
// goroutine (loop). Everything that touches the LState runs on that goroutine;
// other goroutines talk to it only through post. Each handler invocation is a
// coroutine; a binding that waits yields it (see yieldFor) and the goroutine
// serves other invocations meanwhile.
type instance struct {
	rt   *Runtime
	reg  engine.Host // what the module may ask of the engine
	src  engine.Source
	name string

	// mailbox
	mu      sync.Mutex
	queue   []message
	spare   []message
	ctrl    []func()    // the control lane: runs before any queued message (stop)
	hasCtrl atomic.Bool // ctrl is not empty
	signal  chan struct{}
	closed  bool
	dropped atomic.Uint64
	fullAt  atomic.Int64 // unix nanos of the last mailbox-full report

	pendingBytes atomic.Int64 // call results on their way to this module (see maxPendingBytes)

	done    chan struct{} // closed when the loop has exited
	ctx     context.Context
	cancel  context.CancelFunc
	started atomic.Bool

	// owner-goroutine state
	L            *lua.LState
	bctx         *budgetCtx
	keys         interner
	emits        *rate.Limiter
	info         engine.ModuleInfo
	declared     bool // module{} was called
	config       *lua.LTable
	pending      []*engine.Subscription
	handlers     map[*handler]struct{}
	timers       map[*timer]struct{}
	exports      map[string]*lua.LFunction
	threads      map[*lua.LState]*invocation
	wants        map[*lua.LState]int                   // results the call site of each yielded thread wants (see yield)
	ended        map[*lua.LState]bool                  // threads whose function ended in a tail call of a waiting binding
	cos          map[weak.Pointer[lua.LState]]struct{} // the script's own coroutines, alive
	coActive     map[*lua.LState]bool                  // script coroutines running or resuming another
	inLua        bool                                  // a slice is running (see gate)
	strikes      []time.Time                           // when slices were cut (see strike)
	quarantined  bool
	cpu          cpuMeter  // see spend
	stopBy       time.Time // set when a stop began: no slice runs past it
	stopAsked    bool      // beginStop ran: draining, then stopping
	shutdownWall time.Duration
	reloadAsked  bool // a corrupt VM asked for its rebuild
	pool         []*lua.LState
	required     map[string]lua.LValue
	protos       map[string]*lua.FunctionProto // compiled files by source name, for error messages
	warnings     []string                      // the static pass's findings; set by Load, then read-only
	goBody       *lua.LFunction                // makes a Lua body for a Go function (see luaBody)
	logs         *scriptLog                    // the module's way to the log, rate-limited (see log.go)
	stopping     bool
	exiting      bool
	corrupted    bool
	loading      bool     // the top level is running: nothing may act outside the VM or wait (see acts)
	secrets      []string // values of the module's secret config fields, redacted from its log lines
	cleanups     []func() // registered by the binding groups (Module.OnStop); teardown runs them

	// module { cooldown_reply = ... }: the default answer of its commands
	// still cooling down, "" for none (owner goroutine)
	cooldownReply string

	// counters read by Status from other goroutines
	stMu        sync.Mutex
	running     int
	invocations uint64
	errCount    uint64
	lastErr     string
	lastErrAt   time.Time
	nHandlers   int
	nTimers     int
	commands    []engine.CommandInfo
	events      []string // patterns of the handlers that are not commands
	exportNames []string
	heapEst     int64
}

// errStopped ends the invocations still waiting when their module stops; it is
// not counted as a script error.
var errStopped = errors.New("module stopped")

type message struct {
	ev   *engine.Event
	subs []*engine.Subscription
	fn   func()
}

// invocation is one run of Lua code on a coroutine: a handler for an event, a
// timer callback, an exported function, the top level, init() or shutdown().
type invocation struct {
	stack    []*lua.LState    // the handler's thread, then try/pcall children (innermost last)
	msgh     []*lua.LFunction // xpcall message handler of each child (stack[1:])
	used     time.Duration
	what     string // "handler scripts/x.lua:12" etc.
	event    string
	eventID  string
	sub      *engine.Subscription
	mayWait  bool
	waiting  bool
	cancel   context.CancelFunc // of the pending wait
	finished bool
	budget   time.Duration // run time it may use; 0: Config.HandlerBudget
	onDone   func(rets []lua.LValue, err error)
}

func newInstance(rt *Runtime, reg engine.Host, src engine.Source) *instance {
	name := src.Name
	in := &instance{
		rt: rt, reg: reg, src: src, name: name,
		signal:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		handlers: map[*handler]struct{}{},
		timers:   map[*timer]struct{}{},
		exports:  map[string]*lua.LFunction{},
		threads:  map[*lua.LState]*invocation{},
		wants:    map[*lua.LState]int{},
		ended:    map[*lua.LState]bool{},
		cos:      map[weak.Pointer[lua.LState]]struct{}{},
		coActive: map[*lua.LState]bool{},
		required: map[string]lua.LValue{},
		protos:   map[string]*lua.FunctionProto{},
		bctx:     newBudgetCtx(),
		emits:    rate.NewLimiter(rate.Limit(rt.cfg.EmitRate), rt.cfg.EmitBurst),
	}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	in.info.Name = name
	in.L = lua.NewState(vmOptions)
	openSandbox(in.L)
	fakeableTime(in.L, rt.now)
	rt.openSafe(in.L)
	in.install()
	in.L.SetContext(in.bctx)
	rt.wd.add(in.bctx, in)
	go in.loop()
	return in
}
