package bindings

import (
	"fmt"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

var langGroup = register(Group{
	Name: "lang", Section: "Module and language", Order: 30, core: (*instance).installLang,
	Docs: []Doc{
		{Name: "pcall", Syntax: "pcall(fn, ...) -> ok, ...", Context: "anywhere",
			Summary: "Lua's pcall, except that waiting bindings (sleep, twitch.*, obs.*, call) work inside it: the handler waits and pcall returns when fn has finished. try is another name for it."},
		{Name: "xpcall", Syntax: "xpcall(fn, handler) -> ok, ...", Context: "anywhere", Summary: "Like pcall; handler(err) turns the error into the second result."},
		{Name: "print", Syntax: "print(...)", Context: "anywhere", Summary: "Logs its arguments at info level with the module's name."},
		{Name: "load", Syntax: "load(text [, name]) -> fn | nil, err", Context: "anywhere", Summary: "Compiles Lua text (never bytecode) in the module's own environment. loadstring is the same."},
	},
})

// coWrapSource builds coroutine.wrap on the sandbox's coroutine.create and
// resume, so wrapped coroutines get the same checks.
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

func (in *instance) installLang(L *lua.LState) {
	for _, n := range []string{"pcall", "try"} {
		L.SetGlobal(n, L.NewFunction(in.luaPcall))
	}
	L.SetGlobal("xpcall", L.NewFunction(in.luaXpcall))
	L.SetGlobal("load", L.NewFunction(in.luaLoad))
	L.SetGlobal("loadstring", L.NewFunction(in.luaLoad))
	in.installCoroutines(L)
	L.Push(L.NewFunctionFromProto(goBodyProto)) // compiled by installCoroutines
	L.Call(0, 1)
	in.goBody = L.Get(-1).(*lua.LFunction)
	L.Pop(1)
}

// goBodyWhere is the position an error raised by a Go function run through
// the goBodySource wrapper starts with. It says nothing about the script, so
// errorValue drops it: like Lua's own pcall(string.rep), the message then has
// no position.
const goBodyWhere = "=go:2: "

func withoutGoBody(v lua.LValue) lua.LValue {
	if s, ok := v.(lua.LString); ok && strings.HasPrefix(string(s), goBodyWhere) {
		return s[len(goBodyWhere):]
	}
	return v
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
	if !isFn || inv == nil || inv.finished || len(inv.stack) >= maxPcallChildren || !yieldable() {
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
	if st == lua.ResumeOK && inv.waiting {
		// fn's last act was a tail call of a waiting binding (return sleep(1)):
		// gopher-lua dropped fn's frame, the wait goes on, and the values the
		// child is resumed with are fn's results
		in.ended[child] = true
		st = lua.ResumeYield
	}
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
	v, gerr := in.applyMsgh(inv, errorValue(err), msgh)
	if gerr != nil {
		L.RaiseError("%v", gerr)
	}
	L.Push(lua.LFalse)
	L.Push(v)
	return 2
}

// applyMsgh runs xpcall's message handler on an error value, through the
// gate: after a wait it runs outside any slice, and must not run unbudgeted.
func (in *instance) applyMsgh(inv *invocation, ev lua.LValue, msgh *lua.LFunction) (lua.LValue, error) {
	if msgh == nil {
		return ev, nil
	}
	var v lua.LValue
	err := in.gate(inv, func() error {
		if err := in.L.CallByParam(lua.P{Fn: msgh, NRet: 1, Protect: true}, ev); err != nil {
			v = errorValue(err)
			return err
		}
		v = in.L.Get(-1)
		in.L.Pop(1)
		return nil
	})
	return v, err
}

// load(text [, name]) compiles text (never bytecode) with the sandbox's checks.
func (in *instance) luaLoad(L *lua.LState) int {
	src, ok := L.Get(1).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LString("load accepts Lua text only"))
		return 2
	}
	name := truncate(L.OptString(2, fmt.Sprintf("=(load at %s)", callerWhere(L))), 256)
	if len(src) > maxSourceBytes { // before copying it
		L.Push(lua.LNil)
		L.Push(lua.LString(fmt.Sprintf("%s: %d bytes, at most %d allowed", name, len(src), maxSourceBytes)))
		return 2
	}
	proto, err := compileLua([]byte(src), name)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}
