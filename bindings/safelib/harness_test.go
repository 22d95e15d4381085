package safelib

import (
	"context"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// prelude defines run(kind, s, p, r), which calls one pattern function and
// serializes what it returned (strings in hex, so any byte survives) or
// "error". The same text runs in the stock library, in ours, and in a real
// Lua 5.1 when one is installed, so the three can be compared line by line.
// It uses only string.byte, string.format("%02x"/"%d"), select and
// table.concat on strings, which all three implement alike.
const prelude = `
local function ser1(v)
  local t = type(v)
  if t == "string" then
    local out = {}
    for i = 1, #v do out[i] = string.format("%02x", string.byte(v, i)) end
    return "s" .. table.concat(out)
  elseif t == "number" then
    return "n" .. string.format("%d", v)
  end
  return tostring(v)
end
local function ser(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = ser1((select(i, ...))) end
  if #out == 0 then return "none" end
  return table.concat(out, " ")
end
function run(kind, s, p, r)
  local ok, res = pcall(function()
    if kind == "find" then return ser(string.find(s, p))
    elseif kind == "find3" then return ser(string.find(s, p, r))
    elseif kind == "match" then
      local got = {string.match(s, p)}
      if #got == 0 then return "nil" end -- stock gopher-lua returns nothing instead of nil
      return ser(string.match(s, p))
    elseif kind == "gmatch" then
      local out, n = {}, 0
      for a, b, c in string.gmatch(s, p) do
        n = n + 1
        out[n] = ser(a, b, c)
        if n >= 40 then break end
      end
      return table.concat(out, ";")
    elseif kind == "gsub" then return ser(string.gsub(s, p, r))
    end
    error("unknown kind " .. kind)
  end)
  if ok then return res end
  return "error"
end
`

// newSafe returns a state with our library opened over the stock one.
func newSafe(t testing.TB, lim Limits) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	Open(L, lim)
	if err := L.DoString(prelude); err != nil {
		t.Fatal(err)
	}
	return L
}

// newStock returns a state with gopher-lua's own library.
func newStock(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	if err := L.DoString(prelude); err != nil {
		t.Fatal(err)
	}
	return L
}

// runIn calls run(kind, s, p, r) in L.
func runIn(t testing.TB, L *lua.LState, kind, s, p, r string) string {
	t.Helper()
	err := L.CallByParam(lua.P{Fn: L.GetGlobal("run"), NRet: 1, Protect: true},
		lua.LString(kind), lua.LString(s), lua.LString(p), lua.LString(r))
	if err != nil {
		return "error"
	}
	v := L.Get(-1)
	L.Pop(1)
	return lua.LVAsString(v)
}

// eval runs a Lua chunk that returns values and gives them back as strings,
// or the error message as the only element with ok false.
func eval(t testing.TB, L *lua.LState, code string) (vals []string, errMsg string) {
	t.Helper()
	fn, err := L.LoadString(code)
	if err != nil {
		t.Fatalf("compile %q: %v", code, err)
	}
	top := L.GetTop()
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		L.SetTop(top)
		return nil, err.Error()
	}
	for i := top + 1; i <= L.GetTop(); i++ {
		v := L.Get(i)
		if v.Type() == lua.LTNil {
			vals = append(vals, "nil")
			continue
		}
		vals = append(vals, lua.LVAsString(v))
	}
	L.SetTop(top)
	return vals, ""
}

// limitsVariants are the two ways every semantic test runs: with the
// pattern cache and without it.
var limitsVariants = []struct {
	name string
	lim  Limits
}{
	{"cache", Limits{}},
	{"nocache", Limits{PatternCache: -1}},
}

// ctxWithCancel is a small helper so tests read linearly.
func ctxWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// join renders results for failure messages.
func join(v []string) string { return strings.Join(v, " | ") }
