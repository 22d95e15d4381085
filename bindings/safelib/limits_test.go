package safelib

import (
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// small limits keep these tests fast; the defaults are checked separately.
var small = Limits{MaxStringBytes: 1000, MaxUnpack: 100, MaxSortWork: 5000, MaxDateFormat: 20}

func TestLimits(t *testing.T) {
	args101 := strings.TrimSuffix(strings.Repeat("1,", 101), ",")
	args100 := strings.TrimSuffix(strings.Repeat("1,", 100), ",")
	cases := []struct {
		name    string
		code    string
		want    string // joined results when no error is expected
		wantErr string // substring of the error
	}{
		{"rep up to the limit", `return #string.rep("ab", 500)`, "1000", ""},
		{"rep over the limit", `return string.rep("ab", 501)`, "", "bad argument #2 to 'rep' (resulting string too large: max 1000 bytes)"},
		{"rep 1e10", `return string.rep("x", 1e10)`, "", "bad argument #2 to 'rep' (resulting string too large"},
		{"rep of the empty string", `return #string.rep("", 1e10)`, "0", ""},
		{"rep zero and negative", `return string.rep("x", 0) .. string.rep("x", -5) .. "."`, ".", ""},
		{"rep NaN", `return string.rep("x", 0/0) .. "."`, ".", ""},
		{"rep as a method", `return ("x"):rep(3)`, "xxx", ""},
		{"format width 99", `return #string.format("%99d", 1)`, "99", ""},
		{"format width 100", `return string.format("%100d", 1)`, "", "invalid format (width or precision too long)"},
		{"format huge width", `return string.format("%999999d", 1)`, "", "invalid format (width or precision too long)"},
		{"format precision 100", `return string.format("%.100f", 1)`, "", "invalid format (width or precision too long)"},
		{"format result over the limit", `return string.format("%s%s", string.rep("a", 600), string.rep("b", 600))`, "", "bad argument #1 to 'format' (resulting string too large: max 1000 bytes)"},
		{"format literal text over the limit", `return string.format(string.rep("a", 900) .. "%s", string.rep("b", 101))`, "", "resulting string too large"},
		{"format s with __tostring", `return string.format("%s", setmetatable({}, {__tostring = function() return "obj" end}))`, "obj", ""},
		{"concat up to the limit", `local t = {} for i = 1, 100 do t[i] = "123456789" end return #table.concat(t, ",")`, "999", ""},
		{"concat over the limit", `local t = {} for i = 1, 101 do t[i] = "123456789" end return table.concat(t, ",")`, "", "bad argument #1 to 'concat' (resulting string too large: max 1000 bytes)"},
		{"concat numbers and ranges", `return table.concat({1, "b", 3.5}, "-"), table.concat({1, 2, 3}, "", 2, 3), table.concat({}, "x") .. "."`, "1-b-3.5 | 23 | .", ""},
		{"concat missing element", `return table.concat({1, 2, 3}, ",", 1, 5)`, "", "invalid value (at index 4) in table for 'concat'"},
		{"concat table element", `return table.concat({1, {}, 3})`, "", "invalid value (at index 2) in table for 'concat'"},
		{"gsub growth up to the limit", `return #string.gsub(string.rep("a", 500), "a", "bb")`, "1000", ""},
		{"gsub growth over the limit", `return string.gsub(string.rep("a", 500), "a", "bbb")`, "", "bad argument #3 to 'gsub' (resulting string too large: max 1000 bytes)"},
		{"gsub function growth over the limit", `return string.gsub(string.rep("a", 500), "a", function() return "xyz" end)`, "", "resulting string too large"},
		{"gsub shrinks a subject over the limit", `local s = string.rep("a", 900) .. string.rep("a", 900) return #s, #string.gsub(s, "a", "")`, "1800 | 0", ""},
		{"gsub keeps a subject over the limit", `local s = string.rep("a", 900) .. string.rep("a", 900) return #string.gsub(s, "b", "c")`, "1800", ""},
		{"gsub bad replacement type", `return string.gsub("a", "a", true)`, "", "bad argument #3 to 'gsub' (string/function/table expected, got boolean)"},
		{"gsub bad replacement value", `return string.gsub("a", "a", function() return {} end)`, "", "invalid replacement value (a table)"},
		{"gsub trailing percent", `return string.gsub("a", "a", "x%")`, "", "invalid use of '%' in replacement string"},
		{"gsub invalid capture in replacement", `return string.gsub("a", "(a)", "%2")`, "", "invalid capture index %2"},
		{"unpack up to the limit", `local t = {} for i = 1, 100 do t[i] = i end return select("#", unpack(t))`, "100", ""},
		{"unpack over the limit", `local t = {} for i = 1, 101 do t[i] = i end return unpack(t)`, "", "too many results to unpack (101 values, max 100)"},
		{"unpack huge range", `return unpack({}, 1, 1e9)`, "", "too many results to unpack"},
		{"unpack ranges", `return unpack({1, 2, 3}, 2), select("#", unpack({1, 2}, 3, 2)), unpack({1, 2, 3}, -1, 0)`, "2 | 0 | nil | nil", ""},
		{"select up to the limit", `return select("#", select(1, ` + args100 + `))`, "100", ""},
		{"select over the limit", `return select(1, ` + args101 + `)`, "", "too many results to select (101 values, max 100)"},
		{"select count and negative index", `return select("#", 1, 2, 3), select(-1, "a", "b")`, "3 | b", ""},
		{"select index out of range", `return select(0, 1)`, "", "bad argument #1 to 'select' (index out of range)"},
		{"byte up to the limit", `return select("#", string.byte(string.rep("a", 100), 1, -1))`, "100", ""},
		{"byte over the limit", `return string.byte(string.rep("a", 101), 1, -1)`, "", "bad argument #3 to 'byte' (string slice too long: 101 values, max 100)"},
		{"byte ranges", `return string.byte("abc"), string.byte("abc", -1), select("#", string.byte("abc", 3, 2))`, "97 | 99 | 0", ""},
		{"random zero", `return math.random(0)`, "", "bad argument #1 to 'random' (interval is empty)"},
		{"random empty interval", `return math.random(2, 1)`, "", "bad argument #2 to 'random' (interval is empty)"},
		{"random too many arguments", `return math.random(1, 2, 3)`, "", "wrong number of arguments"},
		{"random one value interval", `return math.random(3, 3), math.random(1)`, "3 | 1", ""},
		{"sort numbers and strings", `local a, b = {3, 1, 2}, {"b", "c", "a"} table.sort(a) table.sort(b) return table.concat(a, ","), table.concat(b, ",")`, "1,2,3 | a,b,c", ""},
		{"sort with a comparator", `local a = {1, 3, 2} table.sort(a, function(x, y) return x > y end) return table.concat(a, ",")`, "3,2,1", ""},
		{"sort with __lt", `local mt = {__lt = function(x, y) return x.v < y.v end}
			local a = {setmetatable({v = 2}, mt), setmetatable({v = 1}, mt)} table.sort(a) return a[1].v .. a[2].v`, "12", ""},
		{"sort of mixed types", `table.sort({1, "x", 3})`, "", "attempt to compare"},
		{"sort with an inconsistent comparator ends", `local a = {} for i = 1, 50 do a[i] = i end table.sort(a, function() return true end) return #a`, "50", ""},
		{"sort leaves the table alone on error", `local a = {3, 2, 1} pcall(table.sort, a, function(x, y) if x == 1 then error("no") end return x < y end) return table.concat(a, ",")`, "3,2,1", ""},
		{"sort over its work budget", `local a = {} for i = 1, 2000 do a[i] = (i * 7919) % 2000 end table.sort(a)`, "", "'sort': too much work: more than 5000 comparison units"},
		{"sort of long strings is charged per KiB", `local s = string.rep("a", 1000) .. string.rep("a", 1000) .. string.rep("a", 1000) .. string.rep("a", 1000) .. string.rep("a", 1000)
			local a = {} for i = 1, 400 do a[i] = s:sub((i * 37) % 400 + 1) end table.sort(a)`, "", "too much work"},
		{"date with a short format", `return os.date("!%Y", 0)`, "1970", ""},
		{"date with a long format", `return os.date(string.rep("%c", 11))`, "", "bad argument #1 to 'date' (format too long: 22 bytes, max 20)"},
		{"format q over the limit", `return string.format("%q", string.rep("a", 999))`, "", "bad argument #1 to 'format' (resulting string too large"},
	}
	L := newSafe(t, small)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errMsg := eval(t, L, c.code)
			if c.wantErr != "" {
				if !strings.Contains(errMsg, c.wantErr) {
					t.Fatalf("got %q (error %q), want error containing %q", join(got), errMsg, c.wantErr)
				}
				return
			}
			if errMsg != "" || join(got) != c.want {
				t.Fatalf("got %q (error %q), want %q", join(got), errMsg, c.want)
			}
		})
	}
}

func TestDefaultLimitsApplyToZeroFields(t *testing.T) {
	d := DefaultLimits()
	if got := (Limits{}).withDefaults(); got != d {
		t.Fatalf("zero limits: %+v, want %+v", got, d)
	}
	if d.MaxStringBytes != 1<<20 || d.MaxUnpack != 8000 || d.PatternCache != 64 || d.MaxSortWork != 10_000_000 || d.MaxDateFormat != 256 {
		t.Fatalf("defaults changed: %v", d)
	}
	L := newSafe(t, Limits{})
	_, errMsg := eval(t, L, `return string.rep("x", 1048577)`)
	if !strings.Contains(errMsg, "bad argument #2 to 'rep' (resulting string too large: max 1048576 bytes)") {
		t.Fatalf("got %q", errMsg)
	}
}

func TestRandomIsPerStateAndReseedable(t *testing.T) {
	seq := func(L *lua.LState, seed string) string {
		code := `local t = {} for i = 1, 8 do t[i] = math.random(1, 1000000) end t[9] = math.random() return table.concat(t, ",")`
		if seed != "" {
			code = "math.randomseed(" + seed + ") " + code
		}
		got, errMsg := eval(t, L, code)
		if errMsg != "" {
			t.Fatal(errMsg)
		}
		return got[0]
	}
	a, b := newSafe(t, Limits{}), newSafe(t, Limits{})
	if seq(a, "") == seq(b, "") {
		t.Fatal("two fresh states drew the same numbers: not seeded per state")
	}
	if x, y := seq(a, "42"), seq(b, "42"); x != y {
		t.Fatalf("same seed, different sequences: %s / %s", x, y)
	}
	if x, y := seq(a, "42"), seq(a, "43"); x == y {
		t.Fatal("different seeds, same sequence")
	}
	// Ranges stay inside their bounds, including extreme ones.
	got, errMsg := eval(t, a, `for i = 1, 2000 do
			local v = math.random(-3, 3) if v < -3 or v > 3 or v % 1 ~= 0 then return "out: " .. v end
			local f = math.random() if f < 0 or f >= 1 then return "float out: " .. f end
		end
		local big = math.random(-2^53, 2^53)
		return "ok"`)
	if errMsg != "" || join(got) != "ok" {
		t.Fatalf("%v %s", got, errMsg)
	}
}

func TestPatternCacheIsBounded(t *testing.T) {
	for _, size := range []int{-1, 1, 8} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			L := lua.NewState()
			defer L.Close()
			lb := open(L, Limits{PatternCache: size})
			if err := L.DoString(`for i = 1, 100 do assert(string.find("x" .. i, "x(%d+)")) assert(string.match("k" .. i, "k" .. i .. "$")) end`); err != nil {
				t.Fatal(err)
			}
			wantLen := max(size, 0)
			if got := lb.cache.len(); got != wantLen {
				t.Fatalf("cache holds %d patterns, want %d", got, wantLen)
			}
			if size > 1 && lb.cache.hits < 99 {
				t.Fatalf("the repeated pattern hit the cache %d times, want >= 99", lb.cache.hits)
			}
		})
	}
}

// TestCacheEvictsColdPatternsFirst: the clock keeps a pattern that is used
// between newcomers.
func TestCacheEvictsColdPatternsFirst(t *testing.T) {
	c := newPatternCache(4)
	hot := cacheKey{pattern: "hot"}
	c.put(hot, &program{})
	for i := range 20 {
		if c.get(hot) == nil {
			t.Fatalf("hot pattern evicted after %d newcomers", i)
		}
		k := cacheKey{pattern: fmt.Sprint("cold", i)}
		if c.get(k) == nil {
			c.put(k, &program{})
		}
	}
	if c.len() != 4 || len(c.index) != 4 {
		t.Fatalf("ring %d, index %d entries, want 4", c.len(), len(c.index))
	}
}

// TestGmatchNestedInGsubCallback: a gsub callback may use the matcher
// itself; each call has its own matcher.
func TestGmatchNestedInGsubCallback(t *testing.T) {
	L := newSafe(t, Limits{})
	got, errMsg := eval(t, L, `return (string.gsub("a1 b22 c333", "%w+", function(w)
		local n = 0 for d in w:gmatch("%d") do n = n + 1 end
		return w:match("%a") .. n end))`)
	if errMsg != "" || join(got) != "a1 b2 c3" {
		t.Fatalf("%v %s", got, errMsg)
	}
}
