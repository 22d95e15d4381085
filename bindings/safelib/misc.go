package safelib

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// tabConcat is table.concat(t [, sep [, i [, j]]]) with Lua 5.1's rules
// (every element in i..j must be a string or a number) and a result of at
// most MaxStringBytes.
func (lb *lib) tabConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	var b strings.Builder
	limit := lb.lim.MaxStringBytes
	for k := i; k <= j; k++ {
		var s string
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			s = string(v)
		case lua.LNumber:
			s = lua.LVAsString(v)
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		n := len(s)
		if k < j {
			n += len(sep)
		}
		if b.Len()+n > limit {
			lb.tooLarge(L, 1, "concat")
		}
		b.WriteString(s)
		if k == j { // also keeps k++ from overflowing when j is MaxInt
			break
		}
		b.WriteString(sep)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// baseUnpack is unpack(t [, i [, j]]), refusing more than MaxUnpack values.
func (lb *lib) baseUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	j := L.OptInt(3, t.Len())
	if i > j {
		return 0
	}
	if n := float64(j) - float64(i) + 1; n > float64(lb.lim.MaxUnpack) {
		L.RaiseError("too many results to unpack (%.0f values, max %d)", n, lb.lim.MaxUnpack)
	}
	for k := i; ; k++ {
		L.Push(t.RawGetInt(k))
		if k == j {
			break
		}
	}
	return j - i + 1
}

// baseSelect is select(n, ...) and select('#', ...), refusing to return
// more than MaxUnpack values.
func (lb *lib) baseSelect(L *lua.LState) int {
	top := L.GetTop()
	switch v := L.Get(1).(type) {
	case lua.LString:
		if string(v) != "#" {
			L.TypeError(1, lua.LTNumber)
		}
		L.Push(lua.LNumber(top - 1))
		return 1
	case lua.LNumber:
		n := numberToInt(float64(v))
		if n < 0 {
			n += top
		} else if n > top {
			n = top
		}
		if n < 1 {
			argError(L, 1, "select", "index out of range")
		}
		if ret := top - n; ret > lb.lim.MaxUnpack {
			L.RaiseError("too many results to select (%d values, max %d)", ret, lb.lim.MaxUnpack)
		}
		return top - n
	default:
		L.TypeError(1, lua.LTNumber)
		return 0
	}
}

// mathRandom is math.random([m [, n]]) on this state's own generator.
// An empty interval is a Lua error, never a Go panic.
func (lb *lib) mathRandom(L *lua.LState) int {
	var lo, hi int64
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(lb.rng.Float64()))
		return 1
	case 1:
		lo, hi = 1, int64(numberToInt(float64(L.CheckNumber(1))))
		if lo > hi {
			argError(L, 1, "random", "interval is empty")
		}
	case 2:
		lo = int64(numberToInt(float64(L.CheckNumber(1))))
		hi = int64(numberToInt(float64(L.CheckNumber(2))))
		if lo > hi {
			argError(L, 2, "random", "interval is empty")
		}
	default:
		L.RaiseError("wrong number of arguments")
	}
	span := uint64(hi) - uint64(lo) + 1 // wraps to 0 for the full int64 range
	var r uint64
	if span == 0 {
		r = lb.rng.Uint64()
	} else {
		r = lb.rng.Uint64N(span)
	}
	L.Push(lua.LNumber(float64(int64(uint64(lo) + r))))
	return 1
}

// mathRandomseed is math.randomseed(x): it reseeds this state's generator,
// so the same seed gives the same sequence.
func (lb *lib) mathRandomseed(L *lua.LState) int {
	x := float64(L.CheckNumber(1))
	seed := uint64(int64(numberToInt(x)))
	if x != math.Trunc(x) {
		seed = math.Float64bits(x) // keep fractional seeds (os.clock()) distinct
	}
	lb.pcg.Seed(seed, 0x5eed_5afe_11b5)
	return 0
}

// osDate wraps the stock os.date, refusing a format longer than
// MaxDateFormat: the stock one expands a format of any length in one Go call
// (a 1 MB format made a multi-megabyte string).
func (lb *lib) osDate(stock lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if f, ok := L.Get(1).(lua.LString); ok && len(f) > lb.lim.MaxDateFormat {
			argError(L, 1, "date", fmt.Sprintf("format too long: %d bytes, max %d", len(f), lb.lim.MaxDateFormat))
		}
		return stock(L)
	}
}

// String reports the limits, for logs.
func (lim Limits) String() string {
	return fmt.Sprintf("string %dB, pattern %d steps/%d depth/%dB, unpack %d, cache %d, sort %d, date format %dB",
		lim.MaxStringBytes, lim.MaxPatternSteps, lim.MaxPatternDepth, lim.MaxPatternBytes, lim.MaxUnpack, lim.PatternCache, lim.MaxSortWork, lim.MaxDateFormat)
}
