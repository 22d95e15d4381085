package bindings

// Running Lua: the pooled threads, an invocation resumed slice by slice
// through the gate (enter, leave), its end (finish, fail) and its errors.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	lua "github.com/yuin/gopher-lua"
)

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
