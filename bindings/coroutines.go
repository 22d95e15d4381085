package bindings

import (
	"fmt"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

// Limits of a script's own coroutines.
const (
	// maxCoroutines bounds the coroutines of one module that are alive (made
	// and not yet finished or collected); each is a whole LState (~17 KB).
	maxCoroutines = 1000
	// maxCoroutineNesting bounds coroutines resuming coroutines: each resume
	// nests the Go stack, and Go's stack overflow is fatal.
	maxCoroutineNesting = 32
	// maxPcallChildren bounds the yield-transparent pcall/try children of one
	// invocation (each is a coroutine nested in Go); deeper pcalls are plain
	// protected calls on the same thread, bounded by the call depth.
	maxPcallChildren = 32
)

// The coroutine library a script sees. It can only touch coroutines the script
// made itself (coroutine.create/wrap): never the thread of a handler, timer or
// export, nor the children pcall/try runs on, which belong to the runtime. The
// stock library let `pcall(coroutine.resume, coroutine.running())` resume a
// handler's own thread from inside itself: Go recursed until a fatal stack
// overflow.
//
//   - create(f): a new coroutine with the VM's budget context; at most
//     maxCoroutines alive per module.
//   - resume(co, ...): only a suspended coroutine of the script; nesting is
//     bounded by maxCoroutineNesting.
//   - yield(...): only inside a coroutine of the script, straight from its own
//     VM loop (not from a metamethod, comparator or callback called from Go).
//   - running(): the running coroutine of the script, or nil in a handler.
//   - status(co): running, normal (it resumed the running one), suspended or dead.
func (in *instance) installCoroutines(L *lua.LState) {
	stock, _ := L.G.Global.RawGetString("coroutine").(*lua.LTable)
	if stock == nil {
		return
	}
	stockCreate, _ := stock.RawGetString("create").(*lua.LFunction)
	stockResume, _ := stock.RawGetString("resume").(*lua.LFunction)
	stockYield, _ := stock.RawGetString("yield").(*lua.LFunction)
	if stockCreate == nil || stockResume == nil || stockYield == nil {
		panic("gopher-lua's coroutine library changed")
	}
	co := L.NewTable()
	co.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
		if f := L.CheckFunction(1); f.IsG {
			L.Replace(1, in.luaBody(L, f)) // see goBodySource
		}
		if len(in.cos) >= maxCoroutines {
			in.pruneCoroutines()
			if len(in.cos) >= maxCoroutines {
				msg := fmt.Sprintf("too many coroutines alive in this module (at most %d): let them finish, or keep fewer", maxCoroutines)
				in.quotaHit("coroutines", msg)
				L.RaiseError("%s", msg)
			}
		}
		// the new thread checks the VM's budget context directly (see newThread)
		saved := L.RemoveContext()
		n := stockCreate.GFunction(L)
		if saved != nil {
			L.SetContext(saved)
		}
		th, ok := L.Get(-1).(*lua.LState)
		if !ok {
			L.RaiseError("coroutine.create failed")
		}
		th.SetContext(in.bctx)
		in.cos[weak.Make(th)] = struct{}{}
		return n
	}))
	co.RawSetString("resume", L.NewFunction(func(L *lua.LState) int {
		th := L.CheckThread(1)
		refuse := func(msg string) int {
			L.Push(lua.LFalse)
			L.Push(lua.LString(msg))
			return 2
		}
		key := weak.Make(th)
		_, mine := in.cos[key]
		switch {
		case th.Dead: // finished coroutines are forgotten, and no other thread is ever dead and reachable
			return refuse("cannot resume dead coroutine")
		case !mine:
			return refuse("cannot resume this thread: only coroutines made with coroutine.create or coroutine.wrap can be resumed")
		case th == L || in.coActive[th]:
			return refuse("cannot resume non-suspended coroutine")
		case len(in.coActive) >= maxCoroutineNesting:
			return refuse("coroutines nested too deep (a coroutine resuming a coroutine ... more than 32 levels)")
		}
		in.coActive[th] = true
		defer func() {
			delete(in.coActive, th)
			if th.Dead {
				delete(in.cos, key)
			}
		}()
		return stockResume.GFunction(L)
	}))
	co.RawSetString("yield", L.NewFunction(func(L *lua.LState) int {
		if !in.isScriptCoroutine(L) {
			L.RaiseError("coroutine.yield() was called outside a coroutine of the script's own (a handler cannot yield itself; use sleep to wait)")
		}
		if !yieldable() {
			L.RaiseError("coroutine.yield() cannot yield from inside a function called back from Go (table.sort comparator, string.gsub callback, metamethod or iterator)")
		}
		return stockYield.GFunction(L)
	}))
	co.RawSetString("running", L.NewFunction(func(L *lua.LState) int {
		if in.isScriptCoroutine(L) {
			L.Push(L)
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	co.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
		th := L.CheckThread(1)
		if !th.Dead && !in.isScriptCoroutine(th) {
			L.ArgError(1, "not a coroutine made by this script")
		}
		st := "suspended"
		switch {
		case th.Dead:
			st = "dead"
		case th == L:
			st = "running"
		case in.coActive[th]:
			st = "normal"
		}
		L.Push(lua.LString(st))
		return 1
	}))
	L.SetGlobal("coroutine", co)
	coWrapOnce.Do(func() {
		var err error
		coWrapProto, err = compileLua([]byte(coWrapSource), "=coroutine.wrap")
		if err != nil {
			panic(err)
		}
		goBodyProto, err = compileLua([]byte(goBodySource), "=go")
		if err != nil {
			panic(err)
		}
	})
	L.Push(L.NewFunctionFromProto(coWrapProto))
	L.Call(0, 0)
}

func (in *instance) isScriptCoroutine(th *lua.LState) bool {
	_, ok := in.cos[weak.Make(th)]
	return ok
}

// pruneCoroutines forgets coroutines that finished or were collected.
func (in *instance) pruneCoroutines() {
	for k := range in.cos {
		if th := k.Value(); th == nil || th.Dead {
			delete(in.cos, k)
		}
	}
}
