package bindings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzContainment builds Lua programs from a small grammar biased to what
// has broken containment before (metatables on _G, coroutine.* on running
// threads, pcall/xpcall nesting, tail calls into waiting bindings, timers,
// store.update, huge literals), loads each beside the healthy ping module and
// checks the invariant: the process lives, ping answers within a second, and
// the module under test is running or stopped, and stops within 5 s.
//
// An input that starts with "--lua\n" is used as Lua text as it is: the
// corpus of hostile scripts seeds the fuzzer that way.
//
//	go test -run '^$' -fuzz FuzzContainment -fuzztime 20s -fuzzminimizetime 0 ./bindings
//
// (an execution takes tens of milliseconds: minimizing new inputs would
// take the whole fuzz time).
func FuzzContainment(f *testing.F) {
	for _, tc := range containCases {
		f.Add([]byte("--lua\n" + tc.code + "\non_event(\"fz.go\", function() end)"))
	}
	for _, seed := range []string{"\x00\x01\x02", "\x05\x05\x05\x05", "\x01\x03\x04\x0b", "\x10\x11\x12\x13\x14\x15", "\x08\x09\x0a\x06\x07"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		code, ok := strings.CutPrefix(string(input), "--lua\n")
		if !ok {
			code = generateProgram(input)
		}
		checkContained(t, code)
	})
}

// checkContained loads code as module "hostile" beside ping and checks the
// containment invariant.
func checkContained(t *testing.T, code string) {
	t.Helper()
	// a hang anywhere, the engine's cleanup included, is a failure too: it
	// ends the process with the program that caused it
	tm := time.AfterFunc(20*time.Second, func() { panic("containment: hung for 20 s beside:\n" + code) })
	t.Cleanup(func() { tm.Stop() }) // registered first: runs after the engine's cleanup
	te := newTestEngine(t, map[string]string{"ping.lua": pingModule}, func(c *Config) {
		c.HandlerBudget = 50 * time.Millisecond
		c.HeapLimit = 512 << 20
	})
	src := "module { name = \"hostile\", permissions = { \"twitch.chat\", \"call\", \"store\" } }\n" + code
	if err := os.WriteFile(filepath.Join(te.dir, "hostile.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = te.reg.Load(context.Background(), "hostile") // it may fail to load: that is contained too
	te.emit("fz.go", nil)
	te.chatLine("!x")
	time.Sleep(20 * time.Millisecond)
	// the healthy module answers (the goal is within a second; the test
	// allows 3 s, because go test ./... runs many test processes on few
	// cores and this checks for a hang, not for speed)
	te.chatLine("!ping")
	deadline := time.Now().Add(3 * time.Second)
	for !chatHas(te, "pong m-!ping") {
		if time.Now().After(deadline) {
			t.Fatalf("ping did not answer within 3 s beside:\n%s", code)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if st, ok := te.reg.Module("hostile"); ok {
		switch st.Status {
		case "running", "failed", "stopped":
		default:
			t.Fatalf("hostile is %s:\n%s", st.Status, code)
		}
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = te.reg.Unload(ctx, "hostile")
	if took := time.Since(t0); took > 5*time.Second {
		t.Fatalf("unloading took %v:\n%s", took, code)
	}
}

func chatHas(te *testEngine, want string) bool {
	for _, m := range te.chat.Recent() {
		if strings.Contains(m.Text, want) {
			return true
		}
	}
	return false
}

// generateProgram turns fuzz bytes into a module: top-level statements, an
// export f, a handler for fz.go and a command !x, each a sequence of
// statements drawn from the grammar below.
func generateProgram(input []byte) string {
	g := &grammar{in: input}
	var b strings.Builder
	b.WriteString("export { f = function(n) n = (n or 0) + 1 " + g.block(2) + " return call(\"hostile.f\", n) end }\n")
	b.WriteString(g.block(2) + "\n")
	b.WriteString("on_event(\"fz.go\", function(e) " + g.block(3) + " end)\n")
	b.WriteString("command(\"!x\", function(e) " + g.block(3) + " end)\n")
	return b.String()
}

type grammar struct {
	in  []byte
	pos int
}

func (g *grammar) next() int {
	if g.pos >= len(g.in) {
		return -1
	}
	c := int(g.in[g.pos])
	g.pos++
	return c
}

func (g *grammar) num() string {
	switch g.next() % 6 {
	case 0:
		return "0"
	case 1:
		return "1"
	case 2:
		return "1e9"
	case 3:
		return "65"
	case 4:
		return "0.05"
	}
	return "100000"
}

// block is up to 4 statements.
func (g *grammar) block(depth int) string {
	n := g.next()
	if n < 0 {
		return ""
	}
	var parts []string
	for i := 0; i <= n%4; i++ {
		if s := g.stmt(depth); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func (g *grammar) stmt(depth int) string {
	c := g.next()
	if c < 0 {
		return ""
	}
	inner := func() string {
		if depth <= 0 {
			return ""
		}
		return g.block(depth - 1)
	}
	switch c % 28 {
	case 0:
		return "setmetatable(_G, {__index = function(t, k) " + inner() + " end, __newindex = function(t, k, v) " + inner() + " rawset(t, k, v) end})"
	case 1:
		return "pcall(coroutine.resume, coroutine.running())"
	case 2:
		return "do local co = coroutine.create(function() " + inner() + " coroutine.yield() " + inner() + " end) coroutine.resume(co) coroutine.resume(co) coroutine.resume(co) end"
	case 3:
		return "pcall(function() " + inner() + " end)"
	case 4:
		return "xpcall(function() " + inner() + " end, function(err) " + inner() + " return err end)"
	case 5:
		return "do return call(\"hostile.f\", " + g.num() + ") end"
	case 6:
		return "after(" + g.num() + ", function() " + inner() + " end)"
	case 7:
		return "every(0.05, function() " + inner() + " end)"
	case 8:
		return "store.update(function(tx) " + inner() + " tx.set(\"k\", (tx.get(\"k\") or 0) + 1) end)"
	case 9:
		return "local s = string.rep(\"x\", " + g.num() + ")"
	case 10:
		return "do local t = {} for i = 1, " + g.num() + " do t[i] = i end end"
	case 11:
		return "while true do end"
	case 12:
		return "sleep(0)"
	case 13:
		return "emit(\"fz.go\", {})"
	case 14:
		return "error(\"boom\")"
	case 15:
		return "coroutine.wrap(function() " + inner() + " end)()"
	case 16:
		return "tostring(setmetatable({}, {__tostring = function() " + inner() + " return \"x\" end}))"
	case 17:
		return "table.sort({3, 1, 2}, function(a, b) " + inner() + " return a < b end)"
	case 18:
		return "string.gsub(string.rep(\"x\", 10), \".\", function(c) " + inner() + " return c end)"
	case 19:
		return "function shutdown() " + inner() + " end"
	case 20:
		return "for i = 1, " + g.num() + " do " + inner() + " end"
	case 21:
		return "coroutine.status(coroutine.running() or coroutine.create(print))"
	case 22:
		return "do local r = { call(\"hostile.f\", " + g.num() + ") } end"
	case 23:
		return "function init() " + inner() + " end"
	case 24:
		return "local f f = function(n) if n > 0 then return f(n - 1) end " + inner() + " end f(" + g.num() + ")"
	case 25:
		return "do local co = coroutine.running() if co then coroutine.resume(co) end end"
	case 26:
		return fmt.Sprintf("local big%d = %q", g.pos, strings.Repeat("y", 1000))
	}
	return "local ok = pcall(require, \"strings\")"
}
