package stdlib

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// newState is a plain VM with the safe libraries and a require for this package.
func newState(t testing.TB) *lua.LState {
	L := lua.NewState()
	t.Cleanup(L.Close)
	cache := map[string]lua.LValue{}
	L.SetGlobal("require", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		if v, ok := cache[name]; ok {
			L.Push(v)
			return 1
		}
		src, ok := Source(name)
		if !ok {
			L.RaiseError("no library %s", name)
		}
		fn, err := L.Load(strings.NewReader(string(src)), name+".lua")
		if err != nil {
			L.RaiseError("%v", err)
		}
		L.Push(fn)
		L.Call(0, 1)
		cache[name] = L.Get(-1)
		return 1
	}))
	return L
}

// eval runs a Lua expression and returns its value as a string (tostring).
func eval(t testing.TB, L *lua.LState, expr string) string {
	t.Helper()
	if err := L.DoString("__r = tostring(" + expr + ")"); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return L.GetGlobal("__r").String()
}

func TestLibraries(t *testing.T) {
	L := newState(t)
	if err := L.DoString(`strings, json, time, tables, random = require("strings"), require("json"), require("time"), require("tables"), require("random")`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, expr, want string }{
		{"split on a separator keeps empty fields", `table.concat(strings.split("a,b,,c", ","), "|")`, "a|b||c"},
		{"split without separator splits on spaces", `table.concat(strings.split("  a  b c "), "|")`, "a|b|c"},
		{"split with a magic character is plain", `#strings.split("a.b.c", ".")`, "3"},
		{"trim", `"[" .. strings.trim("  hi there \n") .. "]"`, "[hi there]"},
		{"starts_with", `tostring(strings.starts_with("!work", "!")) .. tostring(strings.starts_with("work", "!"))`, "truefalse"},
		{"username drops @ and lowers", `strings.username("@Alice")`, "alice"},
		{"fill replaces known names only", `strings.fill("{a} and {b}", {a = 1})`, "1 and {b}"},
		{"pack fits items into messages", `table.concat(strings.pack({"aaaa", "bbbb", "cccc"}, ", ", 10), "|")`, "aaaa, bbbb|cccc"},
		{"truncate", `strings.truncate("abcdefgh", 6)`, "abc..."},
		{"json encodes sorted objects", `json.encode({b = 1, a = {true, "x"}, c = json.object()})`, `{"a":[true,"x"],"b":1,"c":{}}`},
		{"json escapes", `json.encode("a\"b\n\1")`, `"a\"b\n\u0001"`},
		{"json encodes fractions exactly", `json.encode(0.1)`, `0.10000000000000001`},
		{"json decodes nested values", `json.decode('{"a":[1,2,{"b":null}]}').a[3].b == json.null`, "true"},
		{"json decodes exponents", `json.decode("[-3e2, 1.5E-3, 2e+1]")[1] + json.decode("[1.5E-3]")[1] * 1000 + json.decode("2e+1")`, "-278.5"},
		{"json decodes unicode escapes", `json.decode('"\\u00e9\\ud83d\\ude00"')`, "é😀"},
		{"json rejects trailing text", `select(2, json.decode('[1] x'))`, "json.decode: trailing text at byte 5"},
		{"json rejects leading zeros", `select(2, json.decode('01'))`, "json.decode: bad number at byte 1"},
		{"json rejects too deep nesting", `select(2, json.decode(string.rep("[", 101) .. string.rep("]", 101)))`, "json.decode: nested deeper than 100 at byte 101"},
		{"json refuses cycles", `select(2, pcall(json.encode, (function() local t = {} t.t = t return t end)()))`, "json.encode: a table contains itself"},
		{"json refuses NaN", `select(2, pcall(json.encode, 0/0))`, "json.encode: NaN and infinity are not JSON numbers"},
		{"time formats two units", `time.format(7500)`, "2h 5m"},
		{"time formats days", `time.format(90061)`, "1d 1h"},
		{"time formats whole units alone", `time.format(3600)`, "1h"},
		{"time formats seconds", `time.format(45)`, "45s"},
		{"time formats zero", `time.format(-3)`, "0s"},
		{"time parses units", `time.parse("1h 30m")`, "5400"},
		{"time parses plain seconds", `time.parse("90")`, "90"},
		{"time parses compact", `time.parse("2m30s")`, "150"},
		{"time rejects nonsense", `select(2, time.parse("soon"))`, `bad duration "soon" (use e.g. 5m, 1h 30m)`},
		{"tables keys are sorted", `table.concat(tables.keys({b = 1, a = 2, c = 3}), ",")`, "a,b,c"},
		{"tables slice counts from the end", `table.concat(tables.slice({1, 2, 3, 4}, -2), ",")`, "3,4"},
		{"tables copy is deep", `(function() local a = {x = {1}} local b = tables.copy(a) b.x[1] = 2 return a.x[1] end)()`, "1"},
		{"tables top", `table.concat(tables.top({5, 1, 4, 2}, 2, function(a, b) return a > b end), ",")`, "5,4"},
		{"random is repeatable for a seed", `random.new(42):int(1, 1000000) == random.new(42):int(1, 1000000)`, "true"},
		{"random seeds differ", `random.new(1):float() ~= random.new(2):float()`, "true"},
		{"random int stays in range", `(function() local r = random.new(3) for i = 1, 10000 do local v = r:int(2, 5) if v < 2 or v > 5 or v % 1 ~= 0 then return v end end return "ok" end)()`, "ok"},
		{"random chance 0 and 1", `tostring(random.new(5):chance(0)) .. tostring(random.new(5):chance(1))`, "falsetrue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eval(t, L, tc.expr); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

// TestRandomIsRoughlyUniform guards against a broken generator (all one value).
func TestRandomIsRoughlyUniform(t *testing.T) {
	L := newState(t)
	if err := L.DoString(`local r = require("random").new(9) counts = {0, 0, 0, 0} for i = 1, 40000 do local v = r:int(1, 4) counts[v] = counts[v] + 1 end`); err != nil {
		t.Fatal(err)
	}
	counts := L.GetGlobal("counts").(*lua.LTable)
	for i := 1; i <= 4; i++ {
		if n := int(counts.RawGetInt(i).(lua.LNumber)); n < 9000 || n > 11000 {
			t.Errorf("value %d drawn %d times of 40000", i, n)
		}
	}
}

func TestNamesListsEveryLibrary(t *testing.T) {
	got := strings.Join(Names(), ",")
	for _, want := range []string{"json", "random", "strings", "tables", "time"} {
		if !strings.Contains(got, want) {
			t.Errorf("Names() = %s, missing %s", got, want)
		}
	}
	if _, ok := Source("../stdlib"); ok {
		t.Error("Source accepted a path")
	}
}

// FuzzJSONDecode checks json.decode against Go's encoding/json: it never
// raises, it accepts exactly the valid documents (up to its depth limit), and
// what it decodes encodes to the same value Go decodes.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,-3e2,true,false,null,"x\u00e9"]}`, `[]`, `{}`, `"\ud83d\ude00"`, `01`, `1.`, `[1,]`, `{"a" 1}`, `-0`, `"\x01"`, `"\ud800"`, `"\udc00\ud800x"`, `10000000000000000000`, `-123456789012345678901234.5e-3`} {
		f.Add(s)
	}
	L := newState(f)
	if err := L.DoString(`json = require("json")
function roundtrip(s)
  local v, err = json.decode(s)
  if err then return nil, err end
  local ok, out = pcall(json.encode, v)
  if not ok then return nil, "encode: " .. out end
  return out
end`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "[")+strings.Count(s, "{") > 90 || len(s) > 4096 {
			return
		}
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("roundtrip"), NRet: 2, Protect: true}, lua.LString(s)); err != nil {
			t.Fatalf("decode %q raised: %v", s, err)
		}
		out, errv := L.Get(-2), L.Get(-1)
		L.Pop(2)
		var goVal any
		goErr := json.Unmarshal([]byte(s), &goVal)
		if (goErr == nil) != (errv == lua.LNil) {
			// Lua keeps bytes as they are; Go rejects nothing for bad UTF-8 but
			// replaces it, so only validity of the grammar is compared.
			t.Fatalf("%q: Go error %v, Lua error %v", s, goErr, errv)
		}
		if goErr != nil {
			return
		}
		var back any
		if err := json.Unmarshal([]byte(out.String()), &back); err != nil {
			t.Fatalf("%q: Lua encoded invalid JSON %q: %v", s, out, err)
		}
		if fmt.Sprint(normalize(back)) != fmt.Sprint(normalize(goVal)) {
			t.Fatalf("%q: Lua round trip %v, Go %v", s, back, goVal)
		}
	})
}

// normalize makes empty objects and arrays alike (Lua cannot tell them apart).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return "empty"
		}
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		if len(x) == 0 {
			return "empty"
		}
		for i, e := range x {
			x[i] = normalize(e)
		}
	case string:
		return strings.ToValidUTF8(x, "\uFFFD")
	case float64:
		// Lua scales exponents by hand: compare to 12 digits
		return fmt.Sprintf("%.12g", x+0) // +0 turns -0 into 0
	}
	return v
}

func BenchmarkJSONRoundTrip(b *testing.B) {
	L := newState(b)
	if err := L.DoString(`json = require("json")
doc = json.encode({ user = { id = "123", username = "alice", display_name = "Alice" }, message = "!give @bob 50", badges = { { set_id = "sub", id = "12" } }, n = 42.5 })`); err != nil {
		b.Fatal(err)
	}
	fn, err := L.LoadString(`return json.encode(json.decode(doc))`)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		L.Push(fn)
		L.Call(0, 1)
		L.Pop(1)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}
