package bindings

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

var storeDocs = []Doc{
	{Name: "store.get", Syntax: "store.get(key) -> value | nil", Context: "handler", Permission: "store", Summary: "Reads a value of this module's own space (nil when absent). Values are JSON: nil, booleans, numbers, strings, tables."},
	{Name: "store.set", Syntax: "store.set(key, value)", Context: "handler", Permission: "store", Summary: "Writes a value; durable when it returns. set(key, nil) deletes."},
	{Name: "store.incr", Syntax: "store.incr(key [, n]) -> new", Context: "handler", Permission: "store", Summary: "Adds the integer n (default 1) to the integer under key (absent counts as 0), atomically."},
	{Name: "store.delete", Syntax: "store.delete(key)", Context: "handler", Permission: "store", Summary: "Removes key."},
	{Name: "store.keys", Syntax: "store.keys([prefix [, limit]]) -> {key, ...}", Context: "handler", Permission: "store", Summary: "Lists keys with the prefix, in byte order (at most limit, default 1000)."},
	{Name: "store.update", Syntax: "store.update(function(tx) ... end) -> true, ... | nil, err", Context: "handler", Permission: "store",
		Summary: "Runs fn in one transaction: tx.get, tx.set, tx.incr, tx.delete, tx.keys. All writes commit together when fn returns, or none when it raises an error (then update returns nil, err). fn cannot wait."},
}

func (in *instance) installStore(L *lua.LState) {
	t := L.NewTable()
	st := func() *engine.Store {
		if in.rt.cfg.Store == nil {
			L.RaiseError("store is not available")
		}
		return in.rt.cfg.Store
	}
	guard := func(L *lua.LState, what string) { in.acts(L, what); in.need(L, "store", what) }
	t.RawSetString("get", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.get")
		raw, err := st().Get(in.name, L.CheckString(1))
		return in.pushStored(L, raw, err)
	}))
	t.RawSetString("set", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.set")
		key := L.CheckString(1)
		if L.Get(2) == lua.LNil {
			if err := st().Delete(in.name, key); err != nil {
				L.RaiseError("store.set: %v", err)
			}
			return 0
		}
		raw := encodeStored(L, 2)
		if err := st().Set(in.name, key, raw); err != nil {
			L.RaiseError("store.set: %v", err)
		}
		return 0
	}))
	t.RawSetString("incr", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.incr")
		n, err := st().Incr(in.name, L.CheckString(1), checkInt(L, 2, 1))
		if err != nil {
			L.RaiseError("store.incr: %v", err)
		}
		L.Push(lua.LNumber(n))
		return 1
	}))
	t.RawSetString("delete", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.delete")
		if err := st().Delete(in.name, L.CheckString(1)); err != nil {
			L.RaiseError("store.delete: %v", err)
		}
		return 0
	}))
	t.RawSetString("keys", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.keys")
		keys, err := st().Keys(in.name, L.OptString(1, ""), L.OptInt(2, 1000))
		if err != nil {
			L.RaiseError("store.keys: %v", err)
		}
		L.Push(stringList(L, keys))
		return 1
	}))
	t.RawSetString("update", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.update")
		fn := L.CheckFunction(1)
		var rets []lua.LValue
		err := st().Update(in.name, func(tx *engine.Tx) error {
			txt, done := in.txTable(L, tx)
			defer done()
			base := L.GetTop()
			if err := L.CallByParam(lua.P{Fn: fn, NRet: lua.MultRet, Protect: true}, txt); err != nil {
				return err
			}
			for i := base + 1; i <= L.GetTop(); i++ {
				rets = append(rets, L.Get(i))
			}
			L.SetTop(base)
			return nil
		})
		if err != nil {
			if fired := in.bctx.Err(); fired != nil {
				L.RaiseError("%v", fired) // a stopped handler does not go on
			}
			L.Push(lua.LNil)
			L.Push(errorValue(err))
			return 2
		}
		L.Push(lua.LTrue)
		for _, r := range rets {
			L.Push(r)
		}
		return 1 + len(rets)
	}))
	L.SetGlobal("store", t)
}

// txTable is the tx argument of store.update; it stops working when done runs.
func (in *instance) txTable(L *lua.LState, tx *engine.Tx) (*lua.LTable, func()) {
	valid := true
	check := func(L *lua.LState) {
		if !valid {
			L.RaiseError("the transaction is over: use tx only inside store.update's function")
		}
	}
	t := L.NewTable()
	t.RawSetString("get", L.NewFunction(func(L *lua.LState) int {
		check(L)
		raw, err := tx.Get(L.CheckString(1))
		return in.pushStored(L, raw, err)
	}))
	t.RawSetString("set", L.NewFunction(func(L *lua.LState) int {
		check(L)
		key := L.CheckString(1)
		if L.Get(2) == lua.LNil {
			if err := tx.Delete(key); err != nil {
				L.RaiseError("tx.set: %v", err)
			}
			return 0
		}
		if err := tx.Set(key, encodeStored(L, 2)); err != nil {
			L.RaiseError("tx.set: %v", err)
		}
		return 0
	}))
	t.RawSetString("incr", L.NewFunction(func(L *lua.LState) int {
		check(L)
		n, err := tx.Incr(L.CheckString(1), checkInt(L, 2, 1))
		if err != nil {
			L.RaiseError("tx.incr: %v", err)
		}
		L.Push(lua.LNumber(n))
		return 1
	}))
	t.RawSetString("delete", L.NewFunction(func(L *lua.LState) int {
		check(L)
		if err := tx.Delete(L.CheckString(1)); err != nil {
			L.RaiseError("tx.delete: %v", err)
		}
		return 0
	}))
	t.RawSetString("keys", L.NewFunction(func(L *lua.LState) int {
		check(L)
		keys, err := tx.Keys(L.OptString(1, ""), L.OptInt(2, 1000))
		if err != nil {
			L.RaiseError("tx.keys: %v", err)
		}
		L.Push(stringList(L, keys))
		return 1
	}))
	return t, func() { valid = false }
}

func (in *instance) pushStored(L *lua.LState, raw json.RawMessage, err error) int {
	if errors.Is(err, engine.ErrNotFound) {
		L.Push(lua.LNil)
		return 1
	}
	if err != nil {
		L.RaiseError("store: %v", err)
	}
	var v any
	dec := json.NewDecoder(bytesReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		L.RaiseError("store: stored value is not JSON: %v", err)
	}
	L.Push(in.keys.toLua(L, v, 0))
	return 1
}

func encodeStored(L *lua.LState, n int) json.RawMessage {
	v, err := fromLua(L.Get(n))
	if err != nil {
		L.ArgError(n, err.Error())
	}
	raw, err := json.Marshal(v)
	if err != nil {
		L.ArgError(n, err.Error())
	}
	return raw
}

func checkInt(L *lua.LState, n int, def int64) int64 {
	v := L.Get(n)
	if v == lua.LNil {
		return def
	}
	f := float64(L.CheckNumber(n))
	if f != float64(int64(f)) {
		L.ArgError(n, fmt.Sprintf("integer expected, got %v", f))
	}
	return int64(f)
}

func stringList(L *lua.LState, items []string) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, s := range items {
		t.Append(lua.LString(s))
	}
	return t
}
