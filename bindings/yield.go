package bindings

// Waiting bindings: yieldFor suspends an invocation until Go work resumes
// it; the helpers around it fit results to what the caller wanted.

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

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
