package bindings

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/starstreamer/starstreamer/engine"

	lua "github.com/yuin/gopher-lua"
)

var exportGroup = register(Group{
	Name: "export", Section: "Modules working together", Order: 70, core: (*instance).installModules,
	Permissions: []Permission{
		{Name: "call", Risk: "medium", Words: "Call functions that other modules export"},
	},
	Docs: []Doc{
		{Name: "export", Syntax: "export { name = function(...) end, ... }", Context: "load, handler",
			Summary: "Offers functions to other modules. They run in this module's VM; arguments and results are copied."},
		{Name: "call", Syntax: "call(\"module.function\", ...) -> results... | nil, err", Context: "handler", Permission: "call", Yields: true,
			Summary: "Calls another module's exported function with copies of the arguments and waits for its results."},
		{Name: "commands", Syntax: "commands() -> { {module, name, aliases, usage, description, permission}, ... }", Context: "load, handler",
			Summary: "Every chat command of every running module, sorted by name (for !commands)."},
		{Name: "require", Syntax: "require(name) -> value", Context: "load, handler",
			Summary: "Loads a standard library module (strings, json, time, tables, random) or a file of this module's own folder (require(\"util\") reads util.lua)."},
	},
})

// installModules installs export, call, commands and require.
func (in *instance) installModules(L *lua.LState) {
	in.installExport(L)
	in.installRequire(L)
	in.installCommands(L)
}

func (in *instance) installExport(L *lua.LState) {
	L.SetGlobal("export", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		t.ForEach(func(k, v lua.LValue) {
			name, ok := k.(lua.LString)
			fn, isFn := v.(*lua.LFunction)
			if !ok || !isFn {
				L.ArgError(1, "export takes a table of name = function")
			}
			in.exports[string(name)] = fn
		})
		in.refreshCounts()
		return 0
	}))
	L.SetGlobal("call", L.NewFunction(func(L *lua.LState) int {
		in.acts(L, "call")
		in.need(L, "call", "call")
		target := L.CheckString(1)
		largs := make([]lua.LValue, 0, max(L.GetTop()-1, 0))
		for i := 2; i <= L.GetTop(); i++ {
			largs = append(largs, L.Get(i))
		}
		args, err := fromLuaList(largs, "arguments")
		if err != nil {
			L.RaiseError("call %s: %v", target, err)
		}
		return in.yieldFor(L, "call", func(ctx context.Context, resume func(func() []lua.LValue)) {
			go func() {
				res, err := in.reg.Call(ctx, target, args)
				// results on their way count as this module's memory, and are capped
				n := valuesBytes(res)
				if err == nil && in.pendingBytes.Add(n) > maxPendingBytes {
					in.pendingBytes.Add(-n)
					res, n = nil, 0
					err = fmt.Errorf("call %s: more than %d MiB of call results are waiting for this module", target, maxPendingBytes>>20)
				}
				var released atomic.Bool
				release := func() {
					if released.CompareAndSwap(false, true) {
						in.pendingBytes.Add(-n)
					}
				}
				context.AfterFunc(ctx, release) // also when the results are never taken
				resume(func() []lua.LValue {
					release()
					if err != nil {
						return []lua.LValue{lua.LNil, lua.LString(err.Error())}
					}
					out := make([]lua.LValue, len(res))
					for i, r := range res {
						out[i] = in.keys.toLua(in.L, r, 0)
					}
					return out
				})
			}()
		})
	}))
}

// maxPendingBytes bounds the call results waiting to be handed to one
// module's invocations (each call's are at most maxValueBytes of strings).
const maxPendingBytes = 64 << 20

// valuesBytes estimates the memory of copied values.
func valuesBytes(vals []any) int64 {
	budget := maxValueItems
	var n int64
	for _, v := range vals {
		n += eventBytes(&engine.Event{Data: map[string]any{"": v}}, &budget)
	}
	return n
}

func (in *instance) installCommands(L *lua.LState) {
	L.SetGlobal("commands", L.NewFunction(func(L *lua.LState) int {
		var list []engine.CommandInfo
		if in.reg != nil {
			list = in.reg.Commands()
		}
		// this module's own commands, also while it is loading
		if !in.started.Load() {
			for h := range in.handlers {
				if h.trigger != nil && !h.dead {
					list = append(list, h.trigger.info(in.name))
				}
			}
		}
		t := L.CreateTable(len(list), 0)
		for _, c := range list {
			t.Append(in.keys.toLua(L, map[string]any{
				"module": c.Module, "name": c.Name, "aliases": c.Aliases, "usage": c.Usage,
				"description": c.Description, "permission": c.Permission,
			}, 0))
		}
		L.Push(t)
		return 1
	}))
}

func (in *instance) installRequire(L *lua.LState) {
	L.SetGlobal("require", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		if v, ok := in.required[name]; ok {
			L.Push(v)
			return 1
		}
		code, file, err := in.findRequire(name)
		if err != nil {
			L.RaiseError("require %q: %v", name, err)
		}
		proto, err := in.rt.protos.get(file+"\x00"+string(code), func() (*lua.FunctionProto, error) { return compileLua(code, file) })
		if err != nil {
			L.RaiseError("require %q: %v", name, err)
		}
		in.protos[file] = proto
		in.required[name] = lua.LTrue // a require loop sees true, as in Lua
		L.Push(L.NewFunctionFromProto(proto))
		L.Push(lua.LString(name))
		L.Call(1, 1)
		v := L.Get(-1)
		if v == lua.LNil {
			v = lua.LTrue
		}
		in.required[name] = v
		L.Pop(1)
		L.Push(v)
		return 1
	}))
}

// findRequire resolves a require name: first this module's own folder (a.b ->
// a/b.lua), then the embedded standard library. Names are checked so that no
// path can leave the folder; files were read when the module was loaded.
func (in *instance) findRequire(name string) ([]byte, string, error) {
	if name == "" || len(name) > 128 {
		return nil, "", fmt.Errorf("bad module name")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return nil, "", fmt.Errorf("names may contain letters, digits, _ - and . only")
		}
	}
	rel := ""
	for _, part := range splitDots(name) {
		if part == "" {
			return nil, "", fmt.Errorf("empty name part")
		}
		if rel != "" {
			rel += "/"
		}
		rel += part
	}
	if in.src.Files != nil {
		if code, ok := in.src.Files[rel+".lua"]; ok {
			return code, in.src.Dir + "/" + rel + ".lua", nil
		}
		if code, ok := in.src.Files[rel+"/init.lua"]; ok {
			return code, in.src.Dir + "/" + rel + "/init.lua", nil
		}
	}
	if in.rt.cfg.Stdlib != nil {
		if code, ok := in.rt.cfg.Stdlib(name); ok {
			return code, "stdlib/" + rel + ".lua", nil
		}
	}
	if in.src.Dir == "" {
		return nil, "", fmt.Errorf("no such standard library module (a one-file module can only require the standard library; make it a folder scripts/%s/init.lua to add files)", in.name)
	}
	return nil, "", fmt.Errorf("neither %s/%s.lua nor a standard library module", in.src.Dir, rel)
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
