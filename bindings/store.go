package bindings

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

var storeGroup = register(Group{
	Name: "store", Section: "Store", Order: 50, core: (*instance).installStore,
	Permissions: []Permission{
		{Name: "store", Risk: "low", Words: "Keep its own data (points, counters, settings) in the engine's database"},
	},
	Docs: []Doc{
		{Name: "store.get", Syntax: "store.get(key) -> value | nil", Context: "handler", Permission: "store", Summary: "Reads a value of this module's own space (nil when absent). Values are JSON: nil, booleans, numbers, strings, tables."},
		{Name: "store.set", Syntax: "store.set(key, value)", Context: "handler", Permission: "store", Summary: "Writes a value; durable when it returns. set(key, nil) deletes. A module's keys and values may add up to 16 MiB; past that set raises an error."},
		{Name: "store.incr", Syntax: "store.incr(key [, n]) -> new", Context: "handler", Permission: "store", Summary: "Adds the integer n (default 1) to the integer under key (absent counts as 0), atomically."},
		{Name: "store.delete", Syntax: "store.delete(key)", Context: "handler", Permission: "store", Summary: "Removes key."},
		{Name: "store.keys", Syntax: "store.keys([prefix [, limit]]) -> {key, ...}", Context: "handler", Permission: "store", Summary: "Lists keys with the prefix, in byte order (at most limit, default 1000; 0: all). One call lists at most 100,000 keys; past that it raises an error."},
		{Name: "store.update", Syntax: "store.update(function(tx) ... end) -> true, ... | nil, err", Context: "handler", Permission: "store",
			Summary: "Runs fn(tx) as one transaction: tx.get, tx.set, tx.incr, tx.delete, tx.keys (store.* inside fn join it too). All writes commit together, durably, when fn returns, or none when it raises an error (then update returns nil, err). If data fn read changed before the commit, fn runs again (up to 5 times), so keep it free of other effects. fn cannot wait."},
	},
})

// kv is what the store bindings need of a module's space: the store itself
// (each call its own durable transaction) or a staged transaction.
type kv interface {
	Get(key string) (json.RawMessage, error)
	Set(key string, v json.RawMessage) error
	Delete(key string) error
	Incr(key string, n int64) (int64, error)
	Keys(prefix string, limit int) ([]string, error)
}

// direct is a module's space in the store, one transaction per call.
type direct struct {
	s  *engine.Store
	ns string
}

func (d direct) Get(key string) (json.RawMessage, error)    { return d.s.Get(d.ns, key) }
func (d direct) Set(key string, v json.RawMessage) error    { return d.s.Set(d.ns, key, v) }
func (d direct) Delete(key string) error                    { return d.s.Delete(d.ns, key) }
func (d direct) Incr(key string, n int64) (int64, error)    { return d.s.Incr(d.ns, key, n) }
func (d direct) Keys(p string, limit int) ([]string, error) { return d.s.Keys(d.ns, p, limit) }

// maxUpdateAttempts bounds how often store.update runs its function when
// the data it read changed before it could commit; maxKeysListed the keys
// one keys() call returns (a 16 MiB space can hold millions of tiny keys,
// and building a list of them is one Go call nothing interrupts).
const (
	maxUpdateAttempts = 5
	maxKeysListed     = 100_000
)

// installStore installs store.*. store.update never runs Lua inside a bolt
// transaction (a store.set inside it once deadlocked every module's store,
// and a long function stalled everyone's writes): its function runs on a
// staged transaction (engine.StagedTx) whose writes are committed afterwards
// in one short, durable bolt transaction, or not at all. If something the
// function read changed meanwhile, the function runs again (at most
// maxUpdateAttempts times). While it runs, the other store.* calls of the
// module go to the same staged transaction.
func (in *instance) installStore(L *lua.LState) {
	t := L.NewTable()
	var staged *engine.StagedTx // the running store.update's transaction (owner goroutine only)
	space := func(L *lua.LState) kv {
		if staged != nil {
			return staged
		}
		if in.rt.cfg.Store == nil {
			L.RaiseError("store is not available")
		}
		return direct{in.rt.cfg.Store, in.name}
	}
	guard := func(L *lua.LState, what string) { in.acts(L, what); in.need(L, "store", what) }
	for name, f := range storeFuncs(in, "store") {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			guard(L, "store."+name)
			return f(L, space(L))
		}))
	}
	t.RawSetString("update", L.NewFunction(func(L *lua.LState) int {
		guard(L, "store.update")
		fn := L.CheckFunction(1)
		if staged != nil {
			L.RaiseError("store.update cannot be nested: the outer update's writes already commit together")
		}
		if in.rt.cfg.Store == nil {
			L.RaiseError("store is not available")
		}
		var err error
		for attempt := 1; ; attempt++ {
			tx := in.rt.cfg.Store.Stage(in.name)
			txt, done := in.txTable(L, tx)
			base := L.GetTop()
			staged = tx
			err = L.CallByParam(lua.P{Fn: fn, NRet: lua.MultRet, Protect: true}, txt)
			staged = nil
			done()
			if err != nil {
				L.SetTop(base)
				if fired := in.bctx.Err(); fired != nil {
					L.RaiseError("%v", fired) // a stopped handler does not go on
				}
				break
			}
			rets := make([]lua.LValue, 0, L.GetTop()-base)
			for i := base + 1; i <= L.GetTop(); i++ {
				rets = append(rets, L.Get(i))
			}
			L.SetTop(base)
			err = tx.Commit()
			if errors.Is(err, engine.ErrConflict) {
				if attempt < maxUpdateAttempts {
					continue
				}
				err = fmt.Errorf("store.update: the data changed while the function ran, %d times in a row; nothing was written", attempt)
			}
			if err != nil {
				break
			}
			L.Push(lua.LTrue)
			for _, r := range rets {
				L.Push(r)
			}
			return 1 + len(rets)
		}
		L.Push(lua.LNil)
		L.Push(errorValue(err))
		return 2
	}))
	L.SetGlobal("store", t)
}

// storeFuncs are get, set, incr, delete and keys on a space, for store.* and
// for store.update's tx (prefix names them in errors).
func storeFuncs(in *instance, prefix string) map[string]func(L *lua.LState, sp kv) int {
	return map[string]func(L *lua.LState, sp kv) int{
		"get": func(L *lua.LState, sp kv) int {
			raw, err := sp.Get(L.CheckString(1))
			return in.pushStored(L, raw, err)
		},
		"set": func(L *lua.LState, sp kv) int {
			key := L.CheckString(1)
			var err error
			if L.Get(2) == lua.LNil {
				err = sp.Delete(key)
			} else {
				err = sp.Set(key, encodeStored(L, 2))
			}
			if err != nil {
				L.RaiseError("%s.set: %v", prefix, err)
			}
			return 0
		},
		"incr": func(L *lua.LState, sp kv) int {
			n, err := sp.Incr(L.CheckString(1), checkInt(L, 2, 1))
			if err != nil {
				L.RaiseError("%s.incr: %v", prefix, err)
			}
			L.Push(lua.LNumber(n))
			return 1
		},
		"delete": func(L *lua.LState, sp kv) int {
			if err := sp.Delete(L.CheckString(1)); err != nil {
				L.RaiseError("%s.delete: %v", prefix, err)
			}
			return 0
		},
		"keys": func(L *lua.LState, sp kv) int {
			limit := L.OptInt(2, 1000)
			if limit > maxKeysListed {
				L.ArgError(2, fmt.Sprintf("limit %d: one call lists at most %d keys", limit, maxKeysListed))
			}
			all := limit <= 0
			if all {
				limit = maxKeysListed + 1
			}
			keys, err := sp.Keys(L.OptString(1, ""), limit)
			if err != nil {
				L.RaiseError("%s.keys: %v", prefix, err)
			}
			if all && len(keys) > maxKeysListed {
				L.RaiseError("%s.keys: more than %d keys with prefix %q: list them in parts (a longer prefix, or a limit)", prefix, maxKeysListed, truncate(L.OptString(1, ""), 64))
			}
			L.Push(stringList(L, keys))
			return 1
		},
	}
}

// txTable is the tx argument of store.update; it stops working when done runs.
func (in *instance) txTable(L *lua.LState, tx kv) (*lua.LTable, func()) {
	valid := true
	t := L.NewTable()
	for name, f := range storeFuncs(in, "tx") {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if !valid {
				L.RaiseError("the transaction is over: use tx only inside store.update's function")
			}
			return f(L, tx)
		}))
	}
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
