package safelib

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// callString calls string[fn](args...) from Go and returns the error.
func callString(L *lua.LState, fn string, args ...lua.LValue) error {
	f := L.GetField(L.GetGlobal("string"), fn)
	return L.CallByParam(lua.P{Fn: f, NRet: lua.MultRet, Protect: true}, args...)
}

// TestHostilePatternsFailQuickly: the inputs that crash or hang the stock
// matcher (a fatal Go stack overflow, or hours of backtracking) end in a
// clear Lua error here. A regression shows up as a crash or a test timeout.
func TestHostilePatternsFailQuickly(t *testing.T) {
	aaaa := lua.LString(strings.Repeat("a", 4<<20))
	text := lua.LString(strings.Repeat("lorem ipsum dolor ", 600)[:10000])
	cases := []struct {
		name    string
		fn      string
		args    []lua.LValue
		wantErr string
	}{
		{"anchored star on 4 MiB", "find", []lua.LValue{aaaa, lua.LString("^a*b")}, "pattern too complex: more than 1000000 steps"},
		{"unanchored star on 4 MiB", "find", []lua.LValue{aaaa, lua.LString("a*b")}, "pattern too complex"},
		{"lazy chain on 10 kB", "find", []lua.LValue{text, lua.LString(".-.-.-b")}, "pattern too complex"},
		{"lazy chain in match", "match", []lua.LValue{text, lua.LString("(.-)(.-)(.-)b")}, "pattern too complex"},
		{"lazy chain in gsub", "gsub", []lua.LValue{text, lua.LString(".-.-.-b"), lua.LString("")}, "'gsub': pattern too complex"},
		{"nested stars", "find", []lua.LValue{text, lua.LString("%a*%a*%a*%a*%a*%a*%a*%a*!")}, "pattern too complex"},
		{"captures with backrefs", "find", []lua.LValue{aaaa, lua.LString("(a*)%1%1%1b")}, "pattern too complex"},
		{"deep pattern", "find", []lua.LValue{lua.LString(strings.Repeat("a", 400)), lua.LString(strings.Repeat("a?", 300) + "b")}, "more than 200 backtracking levels"},
		{"huge pattern", "find", []lua.LValue{lua.LString("a"), lua.LString(strings.Repeat("%a", 20000))}, "bad argument #2 to 'find' (pattern too long: max 16384 bytes)"},
	}
	L := lua.NewState()
	defer L.Close()
	Open(L, Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := callString(L, c.fn, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}

// TestHostileGmatchFailsPerIteration: each gmatch iteration has its own
// budget, and an iteration over it raises.
func TestHostileGmatchFailsPerIteration(t *testing.T) {
	L := newSafe(t, Limits{MaxPatternSteps: 10000})
	L.SetGlobal("text", lua.LString(strings.Repeat("ab ", 2000)))
	_, errMsg := eval(t, L, `local n = 0 for w in string.gmatch(text, "%a+") do n = n + 1 end
		for w in string.gmatch(text, ".-.-.-c") do n = n + 1 end return n`)
	if !strings.Contains(errMsg, "'gmatch': pattern too complex: more than 10000 steps") {
		t.Fatalf("got %q", errMsg)
	}
}

// TestCancelledContextStopsMatch: with a step budget too large to matter,
// the state's context alone stops the matcher.
func TestCancelledContextStopsMatch(t *testing.T) {
	huge := Limits{MaxPatternSteps: 1 << 60}
	text := lua.LString(strings.Repeat("x", 2000)) // ~1e9 steps: seconds without cancellation
	t.Run("already cancelled", func(t *testing.T) {
		L := lua.NewState()
		defer L.Close()
		Open(L, huge)
		ctx, cancel := ctxWithCancel()
		cancel()
		L.SetContext(ctx)
		err := callString(L, "find", text, lua.LString(".-.-.-b"))
		if err == nil || !strings.Contains(err.Error(), "'find': execution cancelled: context canceled") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("cancelled during the match", func(t *testing.T) {
		L := lua.NewState()
		defer L.Close()
		Open(L, huge)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		L.SetContext(ctx)
		err := callString(L, "gsub", text, lua.LString(".-.-.-b"), lua.LString(""))
		if err == nil || !strings.Contains(err.Error(), "'gsub': execution cancelled (timeout): context deadline exceeded") {
			t.Fatalf("got %v", err)
		}
		// The state stays usable with a fresh context.
		L.SetContext(context.Background())
		if got, errMsg := eval(t, L, `return string.find("abc", "b")`); errMsg != "" || join(got) != "2 | 2" {
			t.Fatalf("after cancel: %v %s", got, errMsg)
		}
	})
}

// TestMatcherErrorsWrapSentinels: Go callers of the matcher can tell a
// budget error from a cancellation.
func TestMatcherErrorsWrapSentinels(t *testing.T) {
	prog, err := compile(".-.-.-b", false)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Repeat("x", 500)
	var m matcher
	m.reset(nil, prog, src, 1000, 200)
	if _, _, ok := m.find(0); ok || !errors.Is(m.err, ErrTooComplex) {
		t.Fatalf("steps: ok=%v err=%v", ok, m.err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	m.reset(ctx, prog, src, 1<<40, 200)
	if _, _, ok := m.find(0); ok || !errors.Is(m.err, ErrCancelled) || !errors.Is(m.err, context.DeadlineExceeded) {
		t.Fatalf("ctx: ok=%v err=%v", ok, m.err)
	}
}
