package bindings

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var timerGroup = register(Group{
	Name: "timers", Section: "Timers", Order: 40, core: (*instance).installTimers,
	Docs: []Doc{
		{Name: "sleep", Syntax: "sleep(seconds)", Context: "handler", Yields: true,
			Summary: "Waits; other handlers (of this module too) run meanwhile. At least 0.01, at most one hour."},
		{Name: "after", Syntax: "after(seconds, fn) -> timer", Context: "load, handler",
			Summary: "Calls fn once after seconds (at least 0.05). timer:cancel() stops it. Timers end with the module (unload, reload). At most 256 timers per module."},
		{Name: "every", Syntax: "every(seconds, fn) -> timer", Context: "load, handler",
			Summary: "Calls fn every seconds (at least 0.05). timer:cancel() stops it. Timers end with the module (unload, reload); after and every share the limit of 256 timers per module."},
	},
})

const (
	maxSleep    = time.Hour
	minSleep    = 10 * time.Millisecond // sleep(0) in a loop must not spin the owner goroutine
	minInterval = 50 * time.Millisecond // every's least interval, and after's least delay
	maxTimers   = 256                   // timers alive per module
)

// timer is an after/every registration. Its callbacks run as invocations on the
// owner goroutine; the Go timer only posts.
type timer struct {
	in       *instance
	fn       *lua.LFunction
	delay    time.Duration
	repeat   bool
	where    string
	t        *time.Timer
	canceled bool
}

func (t *timer) arm() {
	if t.canceled || t.t != nil {
		return
	}
	t.t = time.AfterFunc(t.delay, t.fire)
}

func (t *timer) fire() {
	t.in.post(message{fn: func() {
		if t.canceled || t.in.stopping {
			return
		}
		if t.repeat {
			t.t.Reset(t.delay)
		} else {
			t.stop()
		}
		t.in.spawn(t.fn, nil, &invocation{what: "timer " + t.where, mayWait: true})
	}})
}

func (t *timer) stop() {
	t.canceled = true
	if t.t != nil {
		t.t.Stop()
	}
	delete(t.in.timers, t)
	t.in.refreshCounts()
}

func (in *instance) installTimers(L *lua.LState) {
	in.cleanups = append(in.cleanups, func() {
		for t := range in.timers {
			t.stop()
		}
	})
	L.SetGlobal("sleep", L.NewFunction(func(L *lua.LState) int {
		d := max(checkSeconds(L, 1, 0, maxSleep), minSleep)
		return in.yieldFor(L, "sleep", func(ctx context.Context, resume func(func() []lua.LValue)) {
			t := time.AfterFunc(d, func() { resume(nil) })
			context.AfterFunc(ctx, func() { t.Stop() })
		})
	}))
	mt := L.NewTable()
	methods := L.NewTable()
	methods.RawSetString("cancel", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.CheckUserData(1).Value.(*timer); ok {
			t.stop()
		}
		return 0
	}))
	mt.RawSetString("__index", methods)
	add := func(repeat bool) lua.LGFunction {
		return func(L *lua.LState) int {
			lo := time.Duration(0)
			if repeat {
				lo = minInterval
			}
			d := checkSeconds(L, 1, lo, 365*24*time.Hour)
			d = max(d, minInterval) // after(0) re-arming itself must not fire without a pause
			fn := L.CheckFunction(2)
			if in.stopping || in.stopAsked {
				L.RaiseError("module is stopping")
			}
			if len(in.timers) >= maxTimers {
				msg := fmt.Sprintf("too many timers (at most %d alive per module): cancel the ones you no longer need", maxTimers)
				in.quotaHit("timers", msg)
				L.RaiseError("%s", msg)
			}
			t := &timer{in: in, fn: fn, delay: d, repeat: repeat, where: callerWhere(L)}
			in.timers[t] = struct{}{}
			if in.started.Load() {
				t.arm()
			}
			in.refreshCounts()
			ud := L.NewUserData()
			ud.Value = t
			ud.Metatable = mt
			L.Push(ud)
			return 1
		}
	}
	L.SetGlobal("after", L.NewFunction(add(false)))
	L.SetGlobal("every", L.NewFunction(add(true)))
}

func checkSeconds(L *lua.LState, n int, lo, hi time.Duration) time.Duration {
	s := float64(L.CheckNumber(n))
	if s != s || s < lo.Seconds() || s > hi.Seconds() {
		L.ArgError(n, "seconds must be between "+lo.String()+" and "+hi.String())
	}
	return time.Duration(s * float64(time.Second))
}
