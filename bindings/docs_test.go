package bindings

import (
	"context"
	"sort"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/starstreamer/starstreamer/engine"
)

// luaBuiltins are the standard Lua functions a module VM keeps; the API
// reference documents only what StarStreamer adds or changes.
var luaBuiltins = map[string]bool{
	"assert": true, "error": true, "ipairs": true, "next": true, "pairs": true, "rawequal": true,
	"rawget": true, "rawset": true, "select": true, "tonumber": true, "tostring": true, "type": true,
	"unpack": true, "getmetatable": true, "setmetatable": true, "loadstring": true, "try": true,
}

// luaLibs are Lua's own library tables (documented by Lua's manual).
var luaLibs = map[string]bool{"string": true, "table": true, "math": true, "os": true, "coroutine": true}

// TestEveryBindingHasItsOwnDoc walks the globals of a module VM: every
// function and every function of a binding table (twitch.*, obs.*, ...) must
// have a Doc entry of its own name, so no binding is documented by another's
// text.
func TestEveryBindingHasItsOwnDoc(t *testing.T) {
	rt := NewRuntime(Config{Bus: engine.NewBus(engine.BusOptions{})})
	in := newInstance(rt, nil, engine.Source{Name: "docs"})
	defer in.Stop(context.Background())
	documented := map[string]bool{}
	for _, d := range Docs() {
		if documented[d.Name] {
			t.Errorf("%s is documented twice", d.Name)
		}
		documented[d.Name] = true
	}
	var missing []string
	err := in.do(context.Background(), func() {
		in.L.G.Global.ForEach(func(k, v lua.LValue) {
			name := k.String()
			switch v := v.(type) {
			case *lua.LFunction:
				if !documented[name] && !luaBuiltins[name] {
					missing = append(missing, name)
				}
			case *lua.LTable:
				if !apiTables()[name] || luaLibs[name] {
					return
				}
				v.ForEach(func(k2, f lua.LValue) {
					if _, ok := f.(*lua.LFunction); ok && !documented[name+"."+k2.String()] {
						missing = append(missing, name+"."+k2.String())
					}
				})
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s has no Doc entry of its own", m)
	}
}
