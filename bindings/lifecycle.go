package bindings

// The instance as an engine.Instance: the top level (runTopLevel), init,
// start, stop and teardown, exported calls, and the status it reports. Both
// the top level and an exported call run through invokeAndWait.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

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
