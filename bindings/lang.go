package bindings

import (
	"fmt"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

var langDocs = []Doc{
	{Name: "pcall", Syntax: "pcall(fn, ...) -> ok, ...", Context: "anywhere",
		Summary: "Lua's pcall, except that waiting bindings (sleep, twitch.*, obs.*, call) work inside it: the handler waits and pcall returns when fn has finished. try is another name for it."},
	{Name: "xpcall", Syntax: "xpcall(fn, handler) -> ok, ...", Context: "anywhere", Summary: "Like pcall; handler(err) turns the error into the second result."},
	{Name: "print", Syntax: "print(...)", Context: "anywhere", Summary: "Logs its arguments at info level with the module's name."},
	{Name: "load", Syntax: "load(text [, name]) -> fn | nil, err", Context: "anywhere", Summary: "Compiles Lua text (never bytecode) in the module's own environment. loadstring is the same."},
}

// coWrapSource builds coroutine.wrap on the sandbox's coroutine.create, so
// that wrapped coroutines get the budget context too.
const coWrapSource = `local create, resume, error = coroutine.create, coroutine.resume, error
local function pass(ok, ...) if not ok then error((...), 2) end return ... end
coroutine.wrap = function(f)
  local co = create(f)
  return function(...) return pass(resume(co, ...)) end
end`

// goBodySource makes a Lua function that calls a Go function. gopher-lua
// loses what a Go function returns when that function is the body of a
// coroutine (the results are never handed to Resume, which then reports an
// error with a nil message), so pcall(require, "x") returned false, nil although
// the require worked. Every coroutine body the runtime starts (pcall, xpcall,
// try, coroutine.create) is therefore a Lua function; a Go function is
// wrapped in one, which also lets a waiting binding yield from it.
const goBodySource = `local function pass(...) return ... end
return function(f) return function(...) return pass(f(...)) end end`

var (
	coWrapOnce  sync.Once
	coWrapProto *lua.FunctionProto
	goBodyProto *lua.FunctionProto
)

// Coroutines a script may create in one invocation (each is a whole LState).
const maxCoroutinesPerRun = 1000

func (in *instance) installLang(L *lua.LState) {
	for _, n := range []string{"pcall", "try"} {
		L.SetGlobal(n, L.NewFunction(in.luaPcall))
	}
	L.SetGlobal("xpcall", L.NewFunction(in.luaXpcall))
	L.SetGlobal("print", L.NewFunction(in.luaPrint))
	L.SetGlobal("load", L.NewFunction(in.luaLoad))
	L.SetGlobal("loadstring", L.NewFunction(in.luaLoad))
	co, _ := L.GetGlobal("coroutine").(*lua.LTable)
	if co == nil {
		return
	}
	stock, _ := co.RawGetString("create").(*lua.LFunction)
	created := 0
	co.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
		if f := L.CheckFunction(1); f.IsG {
			L.Replace(1, in.luaBody(L, f))
		}
		created++
		if created > maxCoroutinesPerRun*100 {
			L.RaiseError("too many coroutines created by this module (%d)", created)
		}
		saved := L.RemoveContext()
		n := stock.GFunction(L)
		if saved != nil {
			L.SetContext(saved)
		}
		if th, ok := L.Get(-1).(*lua.LState); ok {
			th.SetContext(in.bctx)
		}
		return n
	}))
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
	L.Push(L.NewFunctionFromProto(goBodyProto))
	L.Call(0, 1)
	in.goBody = L.Get(-1).(*lua.LFunction)
	L.Pop(1)
}

// luaBody returns fn itself when it is a Lua function, else a Lua function
// that calls the Go function fn with its arguments and returns its results
// (see goBodySource).
func (in *instance) luaBody(L *lua.LState, fn *lua.LFunction) *lua.LFunction {
	if !fn.IsG || in.goBody == nil {
		return fn
	}
	L.Push(in.goBody)
	L.Push(fn)
	L.Call(1, 1)
	body := L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	return body
}

// pcall(fn, ...) — yield-transparent when called straight from a handler's (or
// another pcall's) coroutine: fn runs as a child coroutine of the invocation.
func (in *instance) luaPcall(L *lua.LState) int {
	return in.protectedCall(L, L.CheckAny(1), 2, nil)
}

// xpcall(fn, msgh)
func (in *instance) luaXpcall(L *lua.LState) int {
	fn := L.CheckAny(1)
	msgh := L.CheckFunction(2)
	return in.protectedCall(L, fn, 3, msgh)
}

func (in *instance) protectedCall(L *lua.LState, fn lua.LValue, firstArg int, msgh *lua.LFunction) int {
	top := L.GetTop()
	args := make([]lua.LValue, 0, max(top-firstArg+1, 0))
	for i := firstArg; i <= top; i++ {
		args = append(args, L.Get(i))
	}
	lf, isFn := fn.(*lua.LFunction)
	inv := in.threads[L]
	if !isFn || inv == nil || inv.finished || !yieldable() {
		// plain protected call: waiting inside it is refused by yieldFor's guard
		L.SetTop(0)
		L.Push(fn)
		for _, a := range args {
			L.Push(a)
		}
		if err := L.PCall(len(args), lua.MultRet, msgh); err != nil {
			L.SetTop(0)
			L.Push(lua.LFalse)
			L.Push(errorValue(err))
			return 2
		}
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	lf = in.luaBody(L, lf)
	child := in.thread()
	in.threads[child] = inv
	st, err, rets := L.Resume(child, lf, args...)
	switch st {
	case lua.ResumeYield:
		if !inv.waiting {
			delete(in.threads, child)
			L.RaiseError("coroutine.yield() was called outside a coroutine of the script's own")
		}
		inv.stack = append(inv.stack, child)
		inv.msgh = append(inv.msgh, msgh)
		return in.yield(L) // the parent waits; resume() continues the child
	case lua.ResumeOK:
		delete(in.threads, child)
		in.recycle(child)
		L.Push(lua.LTrue)
		for _, r := range rets {
			L.Push(r)
		}
		return len(rets) + 1
	}
	delete(in.threads, child)
	L.Push(lua.LFalse)
	L.Push(in.applyMsgh(errorValue(err), msgh))
	return 2
}

// applyMsgh runs xpcall's message handler on an error value.
func (in *instance) applyMsgh(ev lua.LValue, msgh *lua.LFunction) lua.LValue {
	if msgh == nil {
		return ev
	}
	if err := in.L.CallByParam(lua.P{Fn: msgh, NRet: 1, Protect: true}, ev); err != nil {
		return errorValue(err)
	}
	v := in.L.Get(-1)
	in.L.Pop(1)
	return v
}

func (in *instance) luaPrint(L *lua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
	}
	in.rt.log.Info(strings.Join(parts, "\t"), "module", in.name, "at", callerWhere(L))
	return 0
}

// load(text [, name]) compiles text (never bytecode) with the sandbox's checks.
func (in *instance) luaLoad(L *lua.LState) int {
	src, ok := L.Get(1).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LString("load accepts Lua text only"))
		return 2
	}
	name := L.OptString(2, fmt.Sprintf("=(load at %s)", callerWhere(L)))
	proto, err := compileLua([]byte(src), name)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}
