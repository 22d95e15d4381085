package bindings

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
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

// post queues work for the owner goroutine. Events are dropped (and counted)
// when the mailbox is full; nothing is queued after the loop has exited.
func (in *instance) post(m message) bool {
	in.mu.Lock()
	if in.closed || (m.ev != nil && len(in.queue) >= in.rt.cfg.MailboxSize) {
		full := !in.closed
		in.mu.Unlock()
		if m.ev != nil {
			in.dropped.Add(1)
		}
		if full {
			in.mailboxFull()
		}
		return false
	}
	in.queue = append(in.queue, m)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
	return true
}

// postCtrl queues fn on the control lane: the owner runs it before the next
// queued message (a stop does not wait behind the mailbox).
func (in *instance) postCtrl(fn func()) bool {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return false
	}
	in.ctrl = append(in.ctrl, fn)
	in.hasCtrl.Store(true)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
	return true
}

// runCtrl runs what the control lane holds (owner goroutine).
func (in *instance) runCtrl() {
	for in.hasCtrl.Load() {
		in.mu.Lock()
		fns := in.ctrl
		in.ctrl = nil
		in.hasCtrl.Store(false)
		in.mu.Unlock()
		for _, fn := range fns {
			if !in.exiting {
				fn()
			}
		}
	}
}

// mailboxFull reports, at most once a second, that events for this module are
// being dropped (any goroutine). It is not a strike: a module subscribed to
// what another one floods would be punished for the other's deed.
func (in *instance) mailboxFull() {
	now := time.Now().UnixNano()
	last := in.fullAt.Load()
	if now-last < int64(time.Second) || !in.fullAt.CompareAndSwap(last, now) {
		return
	}
	err := fmt.Errorf("mailbox full: %d events are waiting, later ones are dropped (%d so far); its handlers are slower than the events they subscribe to", in.rt.cfg.MailboxSize, in.dropped.Load())
	in.recordError(&invocation{what: "mailbox"}, &ScriptError{Module: in.name, What: "mailbox", Msg: err.Error()})
}

// Deliver implements engine.Target.
func (in *instance) Deliver(e *engine.Event, subs []*engine.Subscription) {
	in.post(message{ev: e, subs: subs})
}

func (in *instance) loop() {
	defer close(in.done)
	defer func() {
		in.mu.Lock()
		in.closed = true
		in.queue, in.ctrl = nil, nil
		in.mu.Unlock()
	}()
	for {
		<-in.signal
		in.runCtrl()
		in.drained()
		if in.exiting {
			return
		}
		in.mu.Lock()
		batch := in.queue
		in.queue = in.spare[:0]
		in.mu.Unlock()
		for i := range batch {
			if in.hasCtrl.Load() {
				in.runCtrl()
			}
			if in.exiting {
				return
			}
			m := &batch[i]
			switch {
			case m.ev != nil && (in.stopping || in.stopAsked && time.Now().After(in.stopBy)):
				in.dropped.Add(1) // delivered before the stop, but not drained in time
			case m.ev != nil:
				in.handleEvent(m.ev, m.subs)
			case m.fn != nil:
				m.fn()
			}
			*m = message{}
			if in.exiting {
				return
			}
		}
		in.spare = batch[:0]
		in.drained()
		if in.exiting {
			return
		}
	}
}

// do runs fn on the owner goroutine and waits for it (or for ctx).
func (in *instance) do(ctx context.Context, fn func()) error {
	ch := make(chan struct{})
	if !in.post(message{fn: func() { fn(); close(ch) }}) {
		return errNotRunning
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-in.done:
		return errNotRunning
	}
}

// doOnceStarted runs fn on the owner goroutine. It gives up (and fn is not
// run) if fn has not started within wait; once fn has started, it waits for
// it to finish, however long it takes.
func (in *instance) doOnceStarted(wait time.Duration, fn func()) error {
	var state atomic.Int32 // 0 queued, 1 started, 2 abandoned
	finished := make(chan struct{})
	if !in.post(message{fn: func() {
		if state.CompareAndSwap(0, 1) {
			fn()
		}
		close(finished)
	}}) {
		return errNotRunning
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-finished:
		return nil
	case <-in.done:
		return errNotRunning
	case <-timer.C:
		if state.CompareAndSwap(0, 2) {
			return context.DeadlineExceeded
		}
	}
	select { // started: wait for it
	case <-finished:
		return nil
	case <-in.done:
		return errNotRunning
	}
}

// ---- running Lua ----

func (in *instance) thread() *lua.LState {
	if n := len(in.pool); n > 0 {
		th := in.pool[n-1]
		in.pool = in.pool[:n-1]
		return th
	}
	return in.newThread()
}

// newThread makes a coroutine that checks the VM's budget context directly.
// (LState.NewThread would wrap the context in context.WithCancel, which for a
// custom context costs a goroutine per thread until the context ends.)
func (in *instance) newThread() *lua.LState {
	saved := in.L.RemoveContext()
	th, _ := in.L.NewThread()
	if saved != nil {
		in.L.SetContext(saved)
	}
	th.SetContext(in.bctx)
	return th
}

// recycle keeps a coroutine that returned normally for the next invocation
// (a new one costs ~10 µs and ~14 KB). gopher-lua marks a returned coroutine
// Dead although its stack is empty and clean; only one that failed is really
// unusable, and that one is never passed here.
func (in *instance) recycle(th *lua.LState) {
	if len(in.pool) >= 64 {
		return
	}
	th.SetTop(0) // a returned coroutine may leave registers behind
	th.Dead = false
	in.pool = append(in.pool, th)
}

// spawn starts fn(args...) as a new invocation.
func (in *instance) spawn(fn *lua.LFunction, args []lua.LValue, inv *invocation) {
	in.stMu.Lock()
	if in.running >= in.rt.cfg.MaxRunning {
		in.stMu.Unlock()
		err := fmt.Errorf("too many handlers in progress (%d): is something sleeping in every handler, or calling itself without end?", in.rt.cfg.MaxRunning)
		in.quotaHit("invocations in progress", err.Error())
		in.fail(inv, err)
		return
	}
	in.running++
	in.invocations++
	in.stMu.Unlock()
	th := in.thread()
	inv.stack = append(inv.stack[:0], th)
	in.threads[th] = inv
	in.resume(inv, in.luaBody(in.L, fn), args)
}

// resume runs the innermost thread of inv until it yields, returns or fails.
func (in *instance) resume(inv *invocation, fn *lua.LFunction, args []lua.LValue) {
	for {
		th := inv.stack[len(inv.stack)-1]
		inv.waiting = false
		if fn == nil { // th yielded: its call site gets exactly the results it wants
			if want, ok := in.wants[th]; ok {
				delete(in.wants, th)
				args = adjustResults(args, want)
			}
		}
		var st lua.ResumeState
		var err error
		var rets []lua.LValue
		if fn == nil && in.ended[th] {
			// th's function ended with `return waiting_binding(...)`: these are its results
			delete(in.ended, th)
			st, rets = lua.ResumeOK, append([]lua.LValue(nil), args...) // a copy: args must not escape (it is on the hot path)
		} else {
			var gerr error
			if st, err, rets, gerr = in.resumeSlice(inv, th, fn, args); gerr != nil {
				in.finish(inv, nil, gerr)
				return
			}
			if st == lua.ResumeOK && inv.waiting {
				// gopher-lua drops the frame of a function that tail-calls a Go
				// function (`return call("m.f")`), so th ran out of frames while
				// the binding waits: the invocation is not over, and the values
				// th is resumed with are its results
				in.ended[th] = true
				st = lua.ResumeYield
			}
		}
		switch st {
		case lua.ResumeYield:
			if !inv.waiting {
				in.finish(inv, nil, errors.New("coroutine.yield() was called outside a coroutine of the script's own (a handler cannot yield itself; use sleep)"))
			}
			return
		case lua.ResumeOK:
			if len(inv.stack) > 1 { // a try/pcall child finished: resume its parent with true, results...
				inv.stack = inv.stack[:len(inv.stack)-1]
				inv.msgh = inv.msgh[:len(inv.msgh)-1]
				delete(in.threads, th)
				in.recycle(th)
				fn, args = nil, append([]lua.LValue{lua.LTrue}, rets...)
				continue
			}
			in.finish(inv, rets, nil)
			return
		default: // lua.ResumeError
			if len(inv.stack) > 1 { // the child failed: its parent's try/pcall returns false, err
				inv.stack = inv.stack[:len(inv.stack)-1]
				msgh := inv.msgh[len(inv.msgh)-1]
				inv.msgh = inv.msgh[:len(inv.msgh)-1]
				delete(in.threads, th)
				v, gerr := in.applyMsgh(inv, errorValue(err), msgh)
				if gerr != nil {
					in.finish(inv, nil, gerr)
					return
				}
				fn, args = nil, []lua.LValue{lua.LFalse, v}
				continue
			}
			in.finish(inv, nil, err)
			return
		}
	}
}

func errorValue(err error) lua.LValue {
	var ae *lua.ApiError
	if errors.As(err, &ae) && ae.Object != nil {
		return withoutGoBody(ae.Object)
	}
	return lua.LString(err.Error())
}

// gate is the one way Go enters Lua: every resume of an invocation's thread,
// every Lua filter and every xpcall message handler run through it. It arms
// the CPU budget with what is left of inv's (the whole budget when inv is
// nil), times the slice, and turns a Go panic that escaped gopher-lua into an
// error; such an LState cannot be trusted again, so the module is rebuilt.
// It returns the reason when the slice was cut (budget, memory, stop; at the
// line of run's error, the Lua error the cut raised) or panicked, and nil
// otherwise: run's own error is the caller's. Called inside a running slice
// (a nested entry, e.g. xpcall's handler while pcall runs a child) it only
// runs run, under the slice already armed.
func (in *instance) gate(inv *invocation, run func() error) (err error) {
	if in.inLua {
		_ = run()
		return nil
	}
	t0, err := in.enter(inv)
	if err != nil {
		return err
	}
	defer func() { err = in.leave(inv, t0, recover(), err) }()
	return run()
}

// resumeSlice is gate around in.L.Resume(th, fn, args...), without the
// closure gate would allocate on the hot path (every handler runs here).
func (in *instance) resumeSlice(inv *invocation, th *lua.LState, fn *lua.LFunction, args []lua.LValue) (st lua.ResumeState, err error, rets []lua.LValue, cut error) {
	t0, cut := in.enter(inv)
	if cut != nil {
		return lua.ResumeError, nil, nil, cut
	}
	defer func() { cut = in.leave(inv, t0, recover(), err) }()
	st, err, rets = in.L.Resume(th, fn, args...)
	return st, err, rets, nil
}

// enter arms the budget for a slice of inv (gate's first half).
func (in *instance) enter(inv *invocation) (time.Time, error) {
	if in.exiting {
		return time.Time{}, errStopped
	}
	limit := in.rt.cfg.HandlerBudget
	if inv != nil {
		if inv.budget > 0 {
			limit = inv.budget
		}
		total := limit
		limit -= inv.used
		if limit <= 0 {
			return time.Time{}, fmt.Errorf("CPU budget of %v exceeded", total)
		}
	}
	limit = in.clipToStop(limit)
	in.inLua = true
	now := time.Now()
	in.bctx.arm(limit, now)
	return now, nil
}

// leave ends the slice begun at t0 (gate's second half): p is what the slice
// panicked with, runErr the Lua error it ended with. It returns the reason
// the slice was cut or panicked, else nil.
func (in *instance) leave(inv *invocation, t0 time.Time, p any, runErr error) error {
	now := time.Now()
	used := now.Sub(t0)
	if inv != nil {
		inv.used += used
	}
	in.spend(now, used)
	in.inLua = false
	fired, reason := in.bctx.disarm()
	switch {
	case p != nil:
		in.corrupted = true
		in.rt.log.Error("Lua VM panicked", "module", in.name, "panic", p, "stack", string(debug.Stack()))
		// a live version is rebuilt, once; one still loading just fails
		// (rebuilding it would panic again: an endless reload loop), and
		// a module that keeps panicking is quarantined
		in.strike(fmt.Sprintf("the Lua VM panicked: %v", p))
		if in.reg != nil && in.started.Load() && !in.stopAsked && !in.reloadAsked && !in.quarantined {
			in.reloadAsked = true
			go func() { _ = in.reg.Reload(context.Background(), in.name) }()
		}
		return fmt.Errorf("internal error in the Lua VM (the module will be reloaded): %v", p)
	case fired:
		in.cut(reason)
		return atLine(runErr, reason)
	case in.corrupted:
		return errors.New("internal error in the Lua VM (the module will be reloaded)")
	}
	return nil // run's own error is the caller's to handle
}

func (in *instance) finish(inv *invocation, rets []lua.LValue, err error) {
	if inv.finished {
		return
	}
	inv.finished = true
	if inv.cancel != nil {
		inv.cancel()
		inv.cancel = nil
	}
	for i, th := range inv.stack {
		delete(in.threads, th)
		delete(in.wants, th)
		delete(in.ended, th)
		if i == 0 && err == nil {
			in.recycle(th)
		}
	}
	inv.stack = nil
	in.stMu.Lock()
	in.running--
	in.stMu.Unlock()
	stopped := errors.Is(err, errStopped)
	if err != nil {
		err = in.describe(inv, err)
	}
	if inv.sub != nil && !stopped {
		inv.sub.Record(inv.used, err)
	}
	if err != nil && !stopped {
		in.recordError(inv, err)
	}
	if inv.onDone != nil {
		inv.onDone(rets, err)
	}
}

// fail reports an invocation that could not even start.
func (in *instance) fail(inv *invocation, err error) {
	inv.finished = true
	err = in.describe(inv, err)
	if inv.sub != nil {
		inv.sub.Record(0, err)
	}
	in.recordError(inv, err)
	if inv.onDone != nil {
		inv.onDone(nil, err)
	}
}

// describe makes an error message say module, what ran and (when Lua's message
// has none) where.
func (in *instance) describe(inv *invocation, err error) error {
	msg := err.Error()
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if s, ok := ae.Object.(lua.LString); ok {
			msg = string(s)
		} else if ae.Object != nil {
			msg = ae.Object.String()
		}
	}
	msg = in.explainCall(truncate(in.redact(msg), maxErrorText))
	return &ScriptError{Module: in.name, What: inv.what, Event: inv.event, Msg: msg}
}

// clipToStop shortens a slice's limit so that it ends by the stop deadline.
func (in *instance) clipToStop(limit time.Duration) time.Duration {
	if in.stopBy.IsZero() {
		return limit
	}
	return max(min(limit, time.Until(in.stopBy)), time.Millisecond)
}

// ScriptError is an error raised by a module's Lua code or by the sandbox
// stopping it. Msg usually begins with "file:line:".
type ScriptError struct {
	Module string
	What   string // "handler scripts/chat.lua:12", "init()", "top level", ...
	Event  string // event type, when a handler failed
	Msg    string
}

func (e *ScriptError) Error() string {
	if e.What == "" {
		return e.Msg
	}
	if e.Event != "" {
		return fmt.Sprintf("%s (%s, event %s)", e.Msg, e.What, e.Event)
	}
	return fmt.Sprintf("%s (%s)", e.Msg, e.What)
}

func (in *instance) recordError(inv *invocation, err error) {
	in.stMu.Lock()
	in.errCount++
	in.lastErr = err.Error()
	in.lastErrAt = time.Now()
	in.stMu.Unlock()
	if inv.onDone == nil || inv.sub != nil {
		in.scriptError(err)
	}
	in.announceError(inv, err)
}

// ---- waiting bindings ----

// yieldFor suspends the calling invocation until the work started by start
// calls resume, exactly once, from any goroutine. resume's produce function runs
// on the owner goroutine and returns the values the binding returns in Lua.
// start runs now, on the owner goroutine; ctx is cancelled when the invocation
// ends early (killed, module stopping), and start must then give up promptly.
//
// A binding calls it as its last statement:  return in.yieldFor(L, "sleep", ...)
// It raises a Lua error instead of yielding where a yield cannot work or is not
// allowed: at load time (the top level), inside a coroutine the script made itself, or under a Go function that
// called back into Lua (table.sort comparators, gsub callbacks, metamethods,
// iterators). pcall and try are yield-transparent and fine.
func (in *instance) yieldFor(L *lua.LState, what string, start func(ctx context.Context, resume func(produce func() []lua.LValue))) int {
	inv := in.threads[L]
	if inv == nil {
		L.RaiseError("%s cannot wait inside a coroutine the script created itself: call it from the handler", what)
	}
	if !inv.mayWait {
		L.RaiseError("%s cannot wait here (%s): call it from an event handler, timer or init()", what, inv.what)
	}
	if !yieldable() {
		L.RaiseError("%s cannot wait inside a function called back from Go (table.sort comparator, string.gsub callback, metamethod or iterator)", what)
	}
	ctx, cancel := context.WithCancel(in.ctx)
	inv.cancel = cancel
	inv.waiting = true
	var once sync.Once
	resume := func(produce func() []lua.LValue) {
		once.Do(func() {
			in.post(message{fn: func() {
				if inv.finished {
					return
				}
				inv.cancel = nil
				cancel()
				var vals []lua.LValue
				if produce != nil {
					vals = produce()
				}
				in.resume(inv, nil, vals)
			}})
		})
	}
	start(ctx, resume)
	return in.yield(L)
}

// yield suspends L, the running thread of an invocation, in a Go function;
// resume later hands the function's results to its Lua call site.
//
// gopher-lua v1.1.1 does not adjust the values a yielded Go function is
// resumed with to the number of results its call site wants: results left
// missing (`local ok, err = obs.set_scene(x)` resumed with just true) are Go
// nils in the caller's registers, which Lua finds truthy (`if err then`) and
// which crash tostring, type and table constructors with a nil pointer
// dereference. So yield records that number, from the Go function's call
// frame, and resume pads or cuts the results to it.
func (in *instance) yield(L *lua.LState) int {
	in.wants[L] = resultsWanted(L)
	return L.Yield()
}

// resultsWanted is the number of results the Lua call site of the running Go
// function wants, or -1 for all of them (`return f()`, `g(f())`, `{f()}`).
// gopher-lua keeps it in an unexported field of the call frame
// (lua.Debug.frame.NRet), read here by reflection; if a gopher-lua upgrade
// moves it, this answers -1 (no adjustment) and
// TestYieldedCallGetsTheResultsItsCallSiteWants fails.
func resultsWanted(L *lua.LState) int {
	dbg, ok := L.GetStack(0)
	if !ok {
		return -1
	}
	frame := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if frame.Kind() != reflect.Pointer || frame.IsNil() {
		return -1
	}
	n := frame.Elem().FieldByName("NRet")
	if n.Kind() != reflect.Int {
		return -1
	}
	return int(n.Int())
}

// adjustResults pads vals with nil, or cuts it, to want values (want < 0:
// vals as they are).
func adjustResults(vals []lua.LValue, want int) []lua.LValue {
	if want < 0 || len(vals) == want {
		return vals
	}
	if len(vals) > want {
		return vals[:want]
	}
	out := make([]lua.LValue, want)
	n := copy(out, vals)
	for i := n; i < want; i++ {
		out[i] = lua.LNil
	}
	return out
}

// yieldable reports whether the Go stack between the calling binding and the
// nearest coroutine start (threadRun) holds exactly one VM loop: then a yield
// returns straight to Resume. More than one loop means a Go function called back
// into Lua, and a yield there would silently corrupt the call.
func yieldable() bool {
	var pcs [64]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	loops := 0
	for {
		f, more := frames.Next()
		if fn := f.Function; strings.HasPrefix(fn, "github.com/yuin/gopher-lua.") {
			switch fn[len("github.com/yuin/gopher-lua."):] {
			case "mainLoop", "mainLoopWithContext":
				loops++
			case "threadRun":
				return loops == 1
			}
		}
		if !more {
			return false
		}
	}
}

// ---- lifecycle (engine.Instance) ----

// runTopLevel runs the compiled chunk as an invocation and waits for it. While
// it runs, in.loading holds: waiting bindings refuse (the invocation may not
// wait) and so do the bindings that act outside the VM (acts). Loading a module
// therefore has no effect outside it, whoever wrote it (engine.Loader).
func (in *instance) runTopLevel(ctx context.Context, proto *lua.FunctionProto) error {
	err := in.runAndWait(ctx, "top level", func() *lua.LFunction {
		in.loading = true
		return in.L.NewFunctionFromProto(proto)
	})
	_ = in.do(context.Background(), func() { in.loading = false })
	return err
}

// runAndWait runs fn() as an invocation on the owner goroutine and waits for it
// to finish, or for ctx (then it is killed).
func (in *instance) runAndWait(ctx context.Context, what string, fn func() *lua.LFunction) error {
	result := make(chan error, 1)
	err := in.invokeAndWait(ctx, func() (*lua.LFunction, []lua.LValue, *invocation) {
		f := fn()
		return f, nil, &invocation{what: what, mayWait: !in.loading, onDone: func(_ []lua.LValue, err error) { result <- err }}
	}, func(err error) error { return fmt.Errorf("did not finish within the load time limit: %w", err) })
	select {
	case err := <-result: // what the invocation ended with, also when killed
		return err
	default:
		return err
	}
}

// invokeAndWait is the one wait-or-kill: it runs the invocation start builds
// (on the owner goroutine; a nil function: nothing to run) and waits until
// the invocation has ended (its onDone ran), or ctx ends (a still-running
// invocation is then ended with killErr(ctx.Err()) and ctx.Err() returned),
// or the module stops (errNotRunning, unless it ended meanwhile).
func (in *instance) invokeAndWait(ctx context.Context, start func() (*lua.LFunction, []lua.LValue, *invocation), killErr func(error) error) error {
	ended := make(chan struct{}, 1)
	var inv *invocation
	err := in.do(ctx, func() {
		f, args, i := start()
		if f == nil {
			ended <- struct{}{}
			return
		}
		inv = i
		onDone := i.onDone
		i.onDone = func(rets []lua.LValue, err error) {
			onDone(rets, err)
			select {
			case ended <- struct{}{}:
			default:
			}
		}
		in.spawn(f, args, inv)
	})
	if err != nil {
		return err
	}
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		_ = in.do(context.Background(), func() {
			if inv != nil && !inv.finished {
				in.finish(inv, nil, killErr(ctx.Err()))
			}
		})
		return ctx.Err()
	case <-in.done:
		select {
		case <-ended:
			return nil
		default:
			return errNotRunning
		}
	}
}

func (in *instance) Info() engine.ModuleInfo {
	var info engine.ModuleInfo
	_ = in.do(context.Background(), func() { info = in.info })
	return info
}

// Init runs init() if the module defines it.
func (in *instance) Init(ctx context.Context) error {
	return in.runAndWait(ctx, "init()", func() *lua.LFunction {
		f, _ := in.L.G.Global.RawGetString("init").(*lua.LFunction) // raw: a metatable on _G must not run here
		return f
	})
}

func (in *instance) Subscriptions() []*engine.Subscription {
	var subs []*engine.Subscription
	_ = in.do(context.Background(), func() { subs = append(subs, in.pending...) })
	return subs
}

// Start arms timers; later on_event calls subscribe straight away.
func (in *instance) Start() {
	_ = in.do(context.Background(), func() {
		in.pending = nil
		in.started.Store(true)
		for t := range in.timers {
			t.arm()
		}
	})
}

// How long a stop may take, at most (less when Stop's context ends sooner).
const (
	stopDrain      = time.Second            // events delivered before the stop are still handled
	shutdownWall   = 2 * time.Second        // shutdown() may run and wait
	shutdownBudget = 500 * time.Millisecond // of which it may run Lua
)

// Stop preempts the mailbox: on the control lane, ahead of queued work, it
// stops the timers and lets the events delivered before it be handled for at
// most stopDrain (then they are dropped and counted); then shutdown() runs
// with its own budget for at most shutdownWall; then every invocation, timer
// and wait ends and the VM closes. A slice still running at a deadline is cut.
// When ctx has a deadline, both phases fit in it. Stop returns when the VM is
// closed or ctx ends.
func (in *instance) Stop(ctx context.Context) {
	select {
	case <-in.done:
		return
	default:
	}
	in.rt.cfg.Bus.RemoveOwner(in)
	drain, wall := stopDrain, shutdownWall
	if dl, ok := ctx.Deadline(); ok {
		rem := time.Until(dl)
		drain, wall = max(min(drain, rem/4), 0), max(min(wall, rem/2), 0)
	}
	if !in.postCtrl(func() { in.beginStop(drain, wall) }) {
		return
	}
	select {
	case <-in.done:
	case <-ctx.Done():
	}
}

// beginStop starts the drain (owner goroutine, control lane).
func (in *instance) beginStop(drain, wall time.Duration) {
	if in.stopAsked {
		return
	}
	in.stopAsked = true
	in.shutdownWall = wall
	for t := range in.timers {
		t.stop()
	}
	in.stopBy = time.Now().Add(drain)
	time.AfterFunc(drain, func() {
		in.bctx.cutNow(fmt.Errorf("%w: it was still running when its module stopped", errStopped))
		in.postCtrl(in.startShutdown)
	})
	// the loop starts shutdown() once the mailbox is drained (drained)
}

// drained starts shutdown() when a stop was asked and nothing delivered
// before it is left (owner goroutine, between messages).
func (in *instance) drained() {
	if !in.stopAsked || in.stopping || in.exiting {
		return
	}
	in.mu.Lock()
	empty := len(in.queue) == 0
	in.mu.Unlock()
	if empty {
		in.startShutdown()
	}
}

// startShutdown runs shutdown() with its own budget, then tears down.
func (in *instance) startShutdown() {
	if in.stopping || in.exiting {
		return
	}
	in.stopping = true
	for t := range in.timers {
		t.stop()
	}
	f, _ := in.L.G.Global.RawGetString("shutdown").(*lua.LFunction) // raw, as init
	if f == nil || !in.started.Load() || in.shutdownWall <= 0 {
		in.teardown()
		return
	}
	wall := in.shutdownWall
	in.stopBy = time.Now().Add(wall)
	deadline := time.AfterFunc(wall, func() {
		in.bctx.cutNow(fmt.Errorf("%w: shutdown() did not finish within %v", errStopped, wall))
		in.postCtrl(in.teardown)
	})
	in.spawn(f, nil, &invocation{what: "shutdown()", mayWait: true, budget: min(shutdownBudget, in.rt.cfg.HandlerBudget), onDone: func(_ []lua.LValue, err error) {
		deadline.Stop()
		if err != nil && !errors.Is(err, errStopped) {
			in.rt.log.Warn("shutdown() failed", "module", in.name, "err", err)
		}
		in.teardown()
	}})
}

// teardown ends everything (owner goroutine). It runs once: the invocations it
// ends may call it again (shutdown()'s onDone), and a later call returns.
func (in *instance) teardown() {
	if in.exiting {
		return
	}
	in.exiting = true
	in.cancel()
	for _, inv := range in.threads {
		if !inv.finished {
			in.finish(inv, nil, errStopped)
		}
	}
	in.runCleanups() // the groups' own: timers stop, handlers die, ...
	in.rt.wd.remove(in.bctx)
	in.L.Close()
}

// Call runs exported function fn with copies of args.
func (in *instance) Call(ctx context.Context, fn string, args []any) ([]any, error) {
	type result struct {
		vals []any
		err  error
	}
	ch := make(chan result, 1)
	err := in.invokeAndWait(ctx, func() (*lua.LFunction, []lua.LValue, *invocation) {
		f := in.exports[fn]
		if f == nil {
			ch <- result{err: fmt.Errorf("module %s exports no function %q", in.name, fn)}
			return nil, nil, nil
		}
		largs := make([]lua.LValue, len(args))
		for i, a := range args {
			largs[i] = in.keys.toLua(in.L, a, 0)
		}
		return f, largs, &invocation{what: "export " + fn, mayWait: true, onDone: func(rets []lua.LValue, err error) {
			if err != nil {
				ch <- result{err: err}
				return
			}
			out, err := fromLuaList(rets, "results")
			if err != nil {
				err = fmt.Errorf("%s.%s returned too much: %w", in.name, fn, err)
				in.quotaHit("results returned by call", err.Error())
				ch <- result{err: err}
				return
			}
			ch <- result{vals: out}
		}}
	}, func(err error) error { return err })
	if err != nil {
		return nil, fmt.Errorf("call %s.%s: %w", in.name, fn, err)
	}
	r := <-ch
	return r.vals, r.err
}

func (in *instance) Status() engine.InstanceStatus {
	in.stMu.Lock()
	defer in.stMu.Unlock()
	return engine.InstanceStatus{
		Handlers: in.nHandlers, Commands: append([]engine.CommandInfo(nil), in.commands...),
		Exports: append([]string(nil), in.exportNames...), Events: append([]string(nil), in.events...), Timers: in.nTimers, Running: in.running,
		Invocations: in.invocations, Errors: in.errCount, LastError: in.lastErr, LastErrorAt: in.lastErrAt,
		Dropped: in.dropped.Load(), HeapEstimate: in.heapEst, Warnings: in.warnings,
	}
}

// refreshCounts updates what Status reports (owner goroutine).
func (in *instance) refreshCounts() {
	var cmds []engine.CommandInfo
	var events []string
	live := 0
	for h := range in.handlers {
		if h.dead {
			continue
		}
		live++
		if h.trigger != nil {
			cmds = append(cmds, h.trigger.info(in.name))
		} else {
			events = append(events, h.sub.Patterns...)
		}
	}
	slices.Sort(events)
	events = slices.Compact(events)
	slices.SortFunc(cmds, func(a, b engine.CommandInfo) int { return strings.Compare(a.Name, b.Name) })
	names := sortedKeys(in.exports)
	in.stMu.Lock()
	in.nHandlers, in.commands, in.events, in.exportNames, in.nTimers = live, cmds, events, names, len(in.timers)
	in.stMu.Unlock()
}
