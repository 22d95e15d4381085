package bindings

import (
	"reflect"
	"unsafe"

	"github.com/starstreamer/starstreamer/engine"
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
	sizeThread    = 16 << 10 // a coroutine's LState with small stacks
)

// threadValues returns the live registers of th: the locals, arguments and
// temporaries of every frame on its stack. gopher-lua keeps them in an
// unexported field (LState.reg: array[:top]), read here by reflection; if an
// upgrade moves it, this returns nil and TestMemoryHeldBySleepingLocalsIsFound
// fails.
func threadValues(th *lua.LState) []lua.LValue {
	reg := reflect.ValueOf(th).Elem().FieldByName("reg")
	if reg.Kind() != reflect.Pointer || reg.IsNil() {
		return nil
	}
	arr, top := reg.Elem().FieldByName("array"), reg.Elem().FieldByName("top")
	if arr.Kind() != reflect.Slice || arr.Type().Elem() != reflect.TypeOf((*lua.LValue)(nil)).Elem() || top.Kind() != reflect.Int {
		return nil
	}
	all := *(*[]lua.LValue)(unsafe.Pointer(arr.UnsafeAddr()))
	n := min(int(top.Int()), len(all))
	out := make([]lua.LValue, 0, n)
	for _, v := range all[:n] {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// eventBytes estimates what e's data holds, visiting at most *budget values.
func eventBytes(e *engine.Event, budget *int) int64 {
	var walk func(v any) int64
	walk = func(v any) int64 {
		if *budget--; *budget < 0 {
			return 0
		}
		switch x := v.(type) {
		case string:
			return sizeString + int64(len(x))
		case map[string]any:
			n := int64(sizeTable)
			for k, val := range x {
				n += sizeEntry + int64(len(k)) + walk(val)
			}
			return n
		case []any:
			n := int64(sizeTable)
			for _, val := range x {
				n += sizeArraySlot + walk(val)
			}
			return n
		}
		return sizeArraySlot
	}
	return sizeTable + walk(e.Data)
}

// queuedEvents returns the events waiting in the mailbox (any goroutine).
func (in *instance) queuedEvents() []*engine.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]*engine.Event, 0, len(in.queue))
	for _, m := range in.queue {
		if m.ev != nil {
			out = append(out, m.ev)
		}
	}
	return out
}

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
	// the stacks of coroutines: invocations waiting (a handler asleep on a
	// huge local), pcall children, and the script's own coroutines
	threads := 0
	walkThread := func(th *lua.LState) {
		threads++
		vals := threadValues(th)
		bytes += sizeThread + int64(len(vals))*sizeArraySlot
		stack = append(stack, vals...)
	}
	for th := range in.threads {
		walkThread(th)
	}
	for k := range in.cos {
		if th := k.Value(); th != nil && !th.Dead {
			walkThread(th)
		}
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
