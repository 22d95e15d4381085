package bindings

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Limits of values that cross between Go and a VM (events, call, store, emit).
// maxValueBytes bounds the string bytes (values and keys) of one copied
// value: a table holding one 1 MiB string 100,000 times is a small Lua value
// but 100 GB of JSON, log text or panel feed once copied out.
const (
	maxValueDepth = 32
	maxValueItems = 100_000
	maxValueBytes = 4 << 20
)

// interner keeps one boxed LString per frequent string (table keys mostly), so
// that building an event table does not allocate for its keys. Owner goroutine only.
type interner struct{ m map[string]lua.LValue }

func (in *interner) str(s string) lua.LValue {
	if v, ok := in.m[s]; ok {
		return v
	}
	v := lua.LString(s)
	if len(s) <= 64 {
		if in.m == nil || len(in.m) >= 4096 {
			in.m = make(map[string]lua.LValue, 64) // bounded: start over rather than grow
		}
		in.m[s] = v
	}
	return v
}

// toLua copies a Go value into a fresh Lua value. Unsupported types become their
// string form rather than failing: events come from many sources.
func (in *interner) toLua(L *lua.LState, v any, depth int) lua.LValue {
	if depth > maxValueDepth {
		return lua.LNil
	}
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case string:
		if len(x) <= 32 {
			return in.str(x) // logins, ids, badge names repeat from event to event
		}
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case int32:
		return lua.LNumber(x)
	case uint64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case float32:
		return lua.LNumber(x)
	case json.Number:
		f, _ := x.Float64()
		return lua.LNumber(f)
	case time.Time:
		return lua.LNumber(float64(x.UnixNano()) / 1e9)
	case time.Duration:
		return lua.LNumber(x.Seconds())
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, val := range x {
			if val != nil { // RawSetString boxes the key itself; nil is absent in Lua anyway
				t.RawSetString(k, in.toLua(L, val, depth+1))
			}
		}
		return t
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, val := range x {
			t.Append(in.toLua(L, val, depth+1))
		}
		return t
	case []string:
		t := L.CreateTable(len(x), 0)
		for _, val := range x {
			t.Append(lua.LString(val))
		}
		return t
	case []map[string]any:
		t := L.CreateTable(len(x), 0)
		for _, val := range x {
			t.Append(in.toLua(L, val, depth+1))
		}
		return t
	case map[string]string:
		t := L.CreateTable(0, len(x))
		for k, val := range x {
			t.RawSetString(k, lua.LString(val))
		}
		return t
	case json.RawMessage:
		var decoded any
		if err := json.Unmarshal(x, &decoded); err != nil {
			return lua.LNil
		}
		return in.toLua(L, decoded, depth)
	case lua.LValue:
		// only values made by this package for this VM reach here (never another VM's)
		return x
	}
	return lua.LString(fmt.Sprint(v))
}

// fromLua copies a Lua value into plain Go values: nil, bool, int64 (integral
// numbers), float64, string, []any (sequences), map[string]any (other tables).
// Functions, userdata, threads and cycles are refused with an error that names
// where the value sat.
func fromLua(v lua.LValue) (any, error) {
	b := copyBudget{items: maxValueItems, bytes: maxValueBytes}
	return fromLuaDepth(v, 0, &b, map[*lua.LTable]bool{}, "value")
}

// maxCallValues bounds the arguments of a call and the results an exported
// function returns; together they share one copy budget (maxValueItems
// values, maxValueBytes of strings), so 64 results of 4 MiB each cannot pile
// up.
const maxCallValues = 64

// fromLuaList copies the values of a call's arguments or results (what names
// them in errors) with one shared budget.
func fromLuaList(vals []lua.LValue, what string) ([]any, error) {
	if len(vals) > maxCallValues {
		return nil, fmt.Errorf("%d %s, at most %d allowed", len(vals), what, maxCallValues)
	}
	b := copyBudget{items: maxValueItems, bytes: maxValueBytes}
	out := make([]any, len(vals))
	for i, v := range vals {
		x, err := fromLuaDepth(v, 0, &b, map[*lua.LTable]bool{}, fmt.Sprintf("%s %d", strings.TrimSuffix(what, "s"), i+1))
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// copyBudget is what a value being copied out of a VM may still use.
type copyBudget struct{ items, bytes int }

func (b *copyBudget) str(n int, where string) error {
	b.bytes -= n
	if b.bytes < 0 {
		return fmt.Errorf("%s: more than %d bytes of strings", where, maxValueBytes)
	}
	return nil
}

func fromLuaDepth(v lua.LValue, depth int, budget *copyBudget, seen map[*lua.LTable]bool, where string) (any, error) {
	budget.items--
	if budget.items < 0 {
		return nil, fmt.Errorf("%s: more than %d values", where, maxValueItems)
	}
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LString:
		if err := budget.str(len(x), where); err != nil {
			return nil, err
		}
		return string(x), nil
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s: %v is not a finite number", where, f)
		}
		return f, nil
	case *lua.LTable:
		if depth >= maxValueDepth {
			return nil, fmt.Errorf("%s: tables nested more than %d deep", where, maxValueDepth)
		}
		if seen[x] {
			return nil, fmt.Errorf("%s: a table contains itself", where)
		}
		seen[x] = true
		defer delete(seen, x)
		n := x.MaxN()
		hashKeys := 0
		x.ForEach(func(k, _ lua.LValue) {
			if kn, ok := k.(lua.LNumber); ok && float64(kn) >= 1 && float64(kn) <= float64(n) && float64(kn) == math.Trunc(float64(kn)) {
				return
			}
			hashKeys++
		})
		if n > 0 && hashKeys == 0 {
			out := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				e, err := fromLuaDepth(x.RawGetInt(i), depth+1, budget, seen, where+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
			return out, nil
		}
		out := make(map[string]any, n+hashKeys)
		var ferr error
		x.ForEach(func(k, val lua.LValue) {
			if ferr != nil {
				return
			}
			var key string
			switch kk := k.(type) {
			case lua.LString:
				key = string(kk)
			case lua.LNumber:
				key = kk.String()
			case lua.LBool:
				key = kk.String()
			default:
				ferr = fmt.Errorf("%s: a %s cannot be a key", where, k.Type())
				return
			}
			if err := budget.str(len(key), where); err != nil {
				ferr = err
				return
			}
			shown := key
			if len(shown) > 64 {
				shown = shown[:64] + "…"
			}
			e, err := fromLuaDepth(val, depth+1, budget, seen, where+"."+shown)
			if err != nil {
				ferr = err
				return
			}
			out[key] = e
		})
		return out, ferr
	}
	return nil, fmt.Errorf("%s: a %s cannot leave its module (only nil, booleans, numbers, strings and tables)", where, v.Type())
}

// sortedKeys returns the keys of m in order (for stable output).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ToLua copies a plain Go value (nil, bool, numbers, string, []any,
// map[string]any, time.Time, ...) into a fresh Lua value of L.
func ToLua(L *lua.LState, v any) lua.LValue {
	var in interner
	return in.toLua(L, v, 0)
}

// FromLua copies a Lua value into plain Go values (see fromLua): integral
// numbers become int64, sequences []any, other tables map[string]any.
// Functions, userdata, threads and cycles are an error.
func FromLua(v lua.LValue) (any, error) { return fromLua(v) }
