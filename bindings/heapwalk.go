package bindings

import (
	lua "github.com/yuin/gopher-lua"
)

// Rough sizes for the estimate (gopher-lua on amd64, measured within ~15 %).
const (
	sizeTable     = 96
	sizeEntry     = 40 // hash part: key and value
	sizeArraySlot = 16 // array part: one value
	sizeString    = 16
	sizeFunction  = 80
	sizeUserdata  = 64
)

// estimateHeap adds up what the VM's globals, registry, handlers, timers,
// exports and required modules reach: tables with
// their entries, strings, functions with their upvalues and environments,
// userdata. It visits at most maxObjects tables/functions/userdata and reports
// whether it saw everything. Locals of suspended coroutines are not reached
// (gopher-lua does not expose their stacks). Owner goroutine only.
func (in *instance) estimateHeap(maxObjects int) (bytes int64, complete bool) {
	seen := make(map[any]struct{}, 256)
	// roots: what Lua reaches, and the functions Go holds for the module
	stack := []lua.LValue{in.L.G.Global, in.L.G.Registry, in.config}
	for h := range in.handlers {
		stack = append(stack, h.fn)
		if h.luaFilter != nil {
			stack = append(stack, h.luaFilter)
		}
	}
	for t := range in.timers {
		stack = append(stack, t.fn)
	}
	for _, f := range in.exports {
		stack = append(stack, f)
	}
	for _, v := range in.required {
		stack = append(stack, v)
	}
	objects := 0
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := v.(type) {
		case lua.LString:
			bytes += sizeString + int64(len(x))
		case *lua.LTable:
			if _, ok := seen[x]; ok {
				continue
			}
			if objects++; objects > maxObjects {
				return bytes, false
			}
			seen[x] = struct{}{}
			bytes += sizeTable
			entries := 0
			x.ForEach(func(k, val lua.LValue) {
				entries++
				stack = append(stack, k, val)
			})
			arr := min(x.Len(), entries)
			bytes += int64(arr)*sizeArraySlot + int64(entries-arr)*sizeEntry
			if x.Metatable != lua.LNil {
				stack = append(stack, x.Metatable)
			}
		case *lua.LFunction:
			if _, ok := seen[x]; ok {
				continue
			}
			if objects++; objects > maxObjects {
				return bytes, false
			}
			seen[x] = struct{}{}
			bytes += sizeFunction
			if x.Env != nil {
				stack = append(stack, x.Env)
			}
			for _, uv := range x.Upvalues {
				if uv != nil {
					stack = append(stack, uv.Value())
				}
			}
		case *lua.LUserData:
			if _, ok := seen[x]; ok {
				continue
			}
			objects++
			seen[x] = struct{}{}
			bytes += sizeUserdata
			if x.Metatable != lua.LNil {
				stack = append(stack, x.Metatable)
			}
		}
	}
	return bytes, true
}
