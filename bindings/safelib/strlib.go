package safelib

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// startIndex turns Lua's 1-based, possibly negative init into a 0-based
// offset clamped to [0, n], as Lua 5.1's str_find_aux does.
func startIndex(init, n int) int {
	if init < 0 {
		init += n + 1
	}
	init--
	if init < 0 {
		return 0
	}
	if init > n {
		return n
	}
	return init
}

// pushCaptures pushes the captures of the last match of m. With whole set
// and no captures in the pattern it pushes the whole match src[s:e].
func pushCaptures(L *lua.LState, m *matcher, s, e int, whole bool) int {
	if m.level == 0 {
		if !whole {
			return 0
		}
		L.Push(lua.LString(m.src[s:e]))
		return 1
	}
	for i := 0; i < m.level; i++ {
		L.Push(captureValue(m, i))
	}
	return m.level
}

func captureValue(m *matcher, i int) lua.LValue {
	c := m.caps[i]
	if c.len == capPosition {
		return lua.LNumber(c.start + 1)
	}
	return lua.LString(m.src[c.start : c.start+c.len])
}

// strFind is string.find(s, pattern [, init [, plain]]).
func (lb *lib) strFind(L *lua.LState) int {
	return lb.findAux(L, true)
}

// strMatch is string.match(s, pattern [, init]).
func (lb *lib) strMatch(L *lua.LState) int {
	return lb.findAux(L, false)
}

func (lb *lib) findAux(L *lua.LState, find bool) int {
	src := L.CheckString(1)
	p := L.CheckString(2)
	init := startIndex(L.OptInt(3, 1), len(src))
	if find && (L.ToBool(4) || !strings.ContainsAny(p, specials)) {
		k := strings.Index(src[init:], p)
		if k < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + k + 1))
		L.Push(lua.LNumber(init + k + len(p)))
		return 2
	}
	fname := "match"
	if find {
		fname = "find"
	}
	prog := lb.program(L, fname, p, false)
	m := lb.matcher(L, prog, src)
	s, e, ok := m.find(init)
	if m.err != nil {
		raiseMatchError(L, fname, m.err)
	}
	if !ok {
		lb.put(m)
		L.Push(lua.LNil)
		return 1
	}
	n := 0
	if find {
		L.Push(lua.LNumber(s + 1))
		L.Push(lua.LNumber(e))
		n = 2
	}
	n += pushCaptures(L, m, s, e, !find)
	lb.put(m)
	return n
}

// strGmatch is string.gmatch(s, pattern). The iterator matches lazily, one
// match per call, each call with its own step budget. As in Lua 5.1, a
// leading '^' is an ordinary byte here.
func (lb *lib) strGmatch(L *lua.LState) int {
	src := L.CheckString(1)
	p := L.CheckString(2)
	prog := lb.program(L, "gmatch", p, true)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if pos > len(src) {
			return 0
		}
		m := lb.matcher(L, prog, src)
		s, e, ok := m.find(pos)
		if m.err != nil {
			pos = len(src) + 1
			raiseMatchError(L, "gmatch", m.err)
		}
		if !ok {
			lb.put(m)
			pos = len(src) + 1
			return 0
		}
		pos = e
		if e == s {
			pos++
		}
		n := pushCaptures(L, m, s, e, true)
		lb.put(m)
		return n
	}))
	return 1
}

// replTemplate is a parsed gsub replacement string: literal parts and
// capture references (%0 .. %9).
type replPart struct {
	lit string
	ref int // -1 for a literal, else the digit
}

func parseRepl(L *lua.LState, repl string) []replPart {
	var parts []replPart
	start := 0
	for i := 0; i < len(repl); i++ {
		if repl[i] != '%' {
			continue
		}
		if i+1 >= len(repl) {
			argError(L, 3, "gsub", "invalid use of '%' in replacement string")
		}
		if start < i {
			parts = append(parts, replPart{lit: repl[start:i], ref: -1})
		}
		i++
		if c := repl[i]; c >= '0' && c <= '9' {
			parts = append(parts, replPart{ref: int(c - '0')})
			start = i + 1
		} else {
			start = i // "%x" stands for x (Lua 5.1)
		}
	}
	if start < len(repl) {
		parts = append(parts, replPart{lit: repl[start:], ref: -1})
	}
	return parts
}

// gsubBuilder builds gsub's result and refuses to grow it past its limit.
type gsubBuilder struct {
	L     *lua.LState
	lb    *lib
	b     strings.Builder
	limit int
}

func (g *gsubBuilder) add(s string) {
	if g.b.Len()+len(s) > g.limit {
		g.lb.tooLarge(g.L, 3, "gsub")
	}
	g.b.WriteString(s)
}

// strGsub is string.gsub(s, pattern, repl [, n]). repl is a string (with %0
// .. %9 and %%), a table indexed by the first capture, or a function called
// with the captures.
//
// A function (or an __index metamethod of a table) replacement runs through
// L.Call: it must not yield. The result may not grow past MaxStringBytes
// (a subject already larger than that may come back unchanged or shrunk).
func (lb *lib) strGsub(L *lua.LState) int {
	src := L.CheckString(1)
	p := L.CheckString(2)
	repl := L.Get(3)
	var parts []replPart
	switch r := repl.(type) {
	case lua.LString:
		parts = parseRepl(L, string(r))
	case lua.LNumber:
		parts = parseRepl(L, lua.LVAsString(r))
	case *lua.LTable, *lua.LFunction:
	default:
		argError(L, 3, "gsub", "string/function/table expected, got "+repl.Type().String())
	}
	maxN := L.OptInt(4, len(src)+1)
	prog := lb.program(L, "gsub", p, false)
	m := lb.matcher(L, prog, src)
	g := gsubBuilder{L: L, lb: lb, limit: max(lb.lim.MaxStringBytes, len(src))}
	pos, n := 0, 0
	for n < maxN {
		if !prog.anchored {
			c := m.nextCandidate(pos)
			if c < 0 {
				break
			}
			g.add(src[pos:c])
			pos = c
		}
		e := m.run(pos)
		if m.err != nil {
			raiseMatchError(L, "gsub", m.err)
		}
		if e >= 0 {
			n++
			lb.addValue(&g, m, repl, parts, pos, e)
		}
		if e > pos {
			pos = e
		} else if pos < len(src) {
			g.add(src[pos : pos+1])
			pos++
		} else {
			break
		}
		if prog.anchored {
			break
		}
	}
	g.add(src[pos:])
	lb.put(m)
	L.Push(lua.LString(g.b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// addValue appends the replacement of the match src[s:e].
func (lb *lib) addValue(g *gsubBuilder, m *matcher, repl lua.LValue, parts []replPart, s, e int) {
	L := g.L
	var v lua.LValue
	switch r := repl.(type) {
	case *lua.LFunction:
		L.Push(r)
		n := pushCaptures(L, m, s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		var key lua.LValue = lua.LString(m.src[s:e])
		if m.level > 0 {
			key = captureValue(m, 0)
		}
		v = L.GetTable(r, key)
	default:
		for _, part := range parts {
			switch {
			case part.ref < 0:
				g.add(part.lit)
			case part.ref == 0:
				g.add(m.src[s:e])
			case part.ref == 1 && m.level == 0:
				g.add(m.src[s:e]) // %1 is the whole match without captures
			case part.ref > m.level:
				L.RaiseError("invalid capture index %%%d in replacement string", part.ref)
			default:
				g.add(lua.LVAsString(captureValue(m, part.ref-1)))
			}
		}
		return
	}
	switch rv := v.(type) {
	case lua.LString:
		g.add(string(rv))
	case lua.LNumber:
		g.add(lua.LVAsString(rv))
	default:
		if lua.LVIsFalse(v) {
			g.add(m.src[s:e]) // keep the original text
			return
		}
		L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
}

// strRep is string.rep(s, n).
func (lb *lib) strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := float64(L.CheckNumber(2))
	if len(s) == 0 || !(n >= 1) { // also catches NaN
		L.Push(lua.LString(""))
		return 1
	}
	if n*float64(len(s)) > float64(lb.lim.MaxStringBytes) {
		lb.tooLarge(L, 2, "rep")
	}
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// strByte is string.byte(s [, i [, j]]), refusing more than MaxUnpack values.
func (lb *lib) strByte(L *lua.LState) int {
	s := L.CheckString(1)
	i := posrelat(L.OptInt(2, 1), len(s))
	j := posrelat(L.OptInt(3, i), len(s))
	if i <= 0 {
		i = 1
	}
	if j > len(s) {
		j = len(s)
	}
	if i > j {
		return 0
	}
	if n := j - i + 1; n > lb.lim.MaxUnpack {
		argError(L, 3, "byte", fmt.Sprintf("string slice too long: %d values, max %d", n, lb.lim.MaxUnpack))
	}
	for k := i; k <= j; k++ {
		L.Push(lua.LNumber(s[k-1]))
	}
	return j - i + 1
}

// posrelat is Lua 5.1's posrelat: a negative position counts from the end.
func posrelat(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	if pos < 0 {
		return 0
	}
	return pos
}

// numberToInt converts a Lua number to an int the way a C cast would, but
// without Go's undefined result for out-of-range floats.
func numberToInt(f float64) int {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int(f)
}
