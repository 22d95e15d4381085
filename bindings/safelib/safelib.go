package safelib

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	lua "github.com/yuin/gopher-lua"
)

// Limits bounds what one call of a replaced library function may do.
// A zero field takes its default from DefaultLimits.
type Limits struct {
	MaxStringBytes  int // largest string rep/format/concat/gsub may build (default 1 MiB)
	MaxPatternSteps int // matcher steps per call before an error (default 1,000,000)
	MaxPatternDepth int // backtracking-stack depth of the matcher (default 200)
	MaxPatternBytes int // longest pattern the matcher compiles (default 16 KiB)
	MaxUnpack       int // most values unpack, select or string.byte return (default 8000)
	PatternCache    int // compiled patterns kept per LState (default 64; negative: no cache)
	MaxSortWork     int // table.sort work units: one per comparison plus one per KiB compared (default 10,000,000)
	MaxDateFormat   int // longest os.date format (default 256 bytes)
}

// DefaultLimits returns the limits Open uses for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxStringBytes:  1 << 20,
		MaxPatternSteps: 1_000_000,
		MaxPatternDepth: 200,
		MaxPatternBytes: 16 << 10,
		MaxUnpack:       8000,
		PatternCache:    64,
		MaxSortWork:     10_000_000,
		MaxDateFormat:   256,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (lim Limits) withDefaults() Limits {
	d := DefaultLimits()
	if lim.MaxStringBytes <= 0 {
		lim.MaxStringBytes = d.MaxStringBytes
	}
	if lim.MaxPatternSteps <= 0 {
		lim.MaxPatternSteps = d.MaxPatternSteps
	}
	if lim.MaxPatternDepth <= 0 {
		lim.MaxPatternDepth = d.MaxPatternDepth
	}
	if lim.MaxPatternBytes <= 0 {
		lim.MaxPatternBytes = d.MaxPatternBytes
	}
	if lim.MaxUnpack <= 0 {
		lim.MaxUnpack = d.MaxUnpack
	}
	if lim.MaxSortWork <= 0 {
		lim.MaxSortWork = d.MaxSortWork
	}
	if lim.MaxDateFormat <= 0 {
		lim.MaxDateFormat = d.MaxDateFormat
	}
	if lim.PatternCache == 0 {
		lim.PatternCache = d.PatternCache
	}
	return lim
}

// lib is the per-LState state behind the replaced functions: limits, the
// pattern cache, spare matchers and the random source. Like the LState it
// belongs to, it is used by one goroutine at a time.
type lib struct {
	lim   Limits
	cache *patternCache
	free  []*matcher
	pcg   *rand.PCG
	rng   *rand.Rand
}

// Open replaces, in L's already opened libraries, string.find, match,
// gmatch (and its alias gfind), gsub, rep, format and byte, table.concat
// and table.sort, os.date, the globals unpack and select, and math.random
// and math.randomseed.
// The string metatable's __index is the string table itself, so method
// calls (s:find(...)) reach the replacements too.
//
// A library that is not open in L (no global table of that name) is left
// alone: Open never adds a library the sandbox did not choose.
func Open(L *lua.LState, lim Limits) {
	open(L, lim)
}

// open is Open, returning the per-state library for tests.
func open(L *lua.LState, lim Limits) *lib {
	lb := newLib(lim)
	if t, ok := L.GetGlobal(lua.StringLibName).(*lua.LTable); ok {
		gmatch := L.NewFunction(lb.strGmatch)
		for name, fn := range map[string]lua.LGFunction{
			"find":   lb.strFind,
			"match":  lb.strMatch,
			"gsub":   lb.strGsub,
			"rep":    lb.strRep,
			"format": lb.strFormat,
			"byte":   lb.strByte,
		} {
			t.RawSetString(name, L.NewFunction(fn))
		}
		t.RawSetString("gmatch", gmatch)
		t.RawSetString("gfind", gmatch)
	}
	if t, ok := L.GetGlobal(lua.TabLibName).(*lua.LTable); ok {
		t.RawSetString("concat", L.NewFunction(lb.tabConcat))
		t.RawSetString("sort", L.NewFunction(lb.tabSort))
	}
	if t, ok := L.GetGlobal(lua.OsLibName).(*lua.LTable); ok {
		if stock, ok := t.RawGetString("date").(*lua.LFunction); ok && stock.IsG {
			t.RawSetString("date", L.NewFunction(lb.osDate(stock.GFunction)))
		}
	}
	if t, ok := L.GetGlobal(lua.MathLibName).(*lua.LTable); ok {
		t.RawSetString("random", L.NewFunction(lb.mathRandom))
		t.RawSetString("randomseed", L.NewFunction(lb.mathRandomseed))
	}
	if L.GetGlobal("unpack") != lua.LNil {
		L.SetGlobal("unpack", L.NewFunction(lb.baseUnpack))
	}
	if L.GetGlobal("select") != lua.LNil {
		L.SetGlobal("select", L.NewFunction(lb.baseSelect))
	}
	return lb
}

func newLib(lim Limits) *lib {
	lim = lim.withDefaults()
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // never fails on supported platforms (Go 1.24+)
	pcg := rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))
	return &lib{lim: lim, cache: newPatternCache(lim.PatternCache), pcg: pcg, rng: rand.New(pcg)}
}

// program returns the compiled pattern p, from the cache when it is there.
// fname names the Lua function for error messages.
func (lb *lib) program(L *lua.LState, fname, p string, gmatch bool) *program {
	k := cacheKey{pattern: p, gmatch: gmatch}
	if prog := lb.cache.get(k); prog != nil {
		return prog
	}
	if len(p) > lb.lim.MaxPatternBytes {
		argError(L, 2, fname, fmt.Sprintf("pattern too long: max %d bytes", lb.lim.MaxPatternBytes))
	}
	prog, err := compile(p, gmatch)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	lb.cache.put(k, prog)
	return prog
}

// matcher hands out a matcher with a fresh budget for one call. Give it back
// with put; a matcher lost to a Lua error is simply garbage collected.
func (lb *lib) matcher(L *lua.LState, prog *program, src string) *matcher {
	var m *matcher
	if n := len(lb.free); n > 0 {
		m = lb.free[n-1]
		lb.free = lb.free[:n-1]
	} else {
		m = &matcher{}
	}
	m.reset(L.Context(), prog, src, lb.lim.MaxPatternSteps, lb.lim.MaxPatternDepth)
	return m
}

func (lb *lib) put(m *matcher) {
	m.release()
	if len(lb.free) < 4 {
		lb.free = append(lb.free, m)
	}
}

// raiseMatchError turns a matcher budget error into a Lua error.
func raiseMatchError(L *lua.LState, fname string, err error) {
	if errors.Is(err, ErrCancelled) {
		L.RaiseError("'%s': %s", fname, err.Error())
	}
	L.RaiseError("'%s': %s (simplify the pattern or match a shorter string)", fname, err.Error())
}

// argError raises Lua's "bad argument #n to 'fname' (msg)".
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// tooLarge raises the error of a result over MaxStringBytes.
func (lb *lib) tooLarge(L *lua.LState, n int, fname string) {
	argError(L, n, fname, fmt.Sprintf("resulting string too large: max %d bytes", lb.lim.MaxStringBytes))
}
