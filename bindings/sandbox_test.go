package bindings

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const pingModule = `
module { name = "ping", permissions = { "twitch.chat" } }
command("!ping", function(event) twitch.reply(event, "pong " .. event.data.message_id) end)
`

// Each hostile script runs beside a healthy module. The engine must contain it
// with a clear error (on load, or on the event that triggers it), and the healthy
// module must keep answering.
func TestHostileScriptsAreContained(t *testing.T) {
	cases := []struct {
		name    string
		code    string
		trigger string // chat line that sets it off ("" = it fails at load)
		wantErr string // in the module's last error
	}{
		{"endless loop in a handler", `command("!x", function() while true do end end)`, "!x", "CPU budget"},
		{"endless loop at top level", `while true do end`, "", "CPU budget"},
		{"endless loop in init", `function init() local n = 0 while true do n = n + 1 end end`, "", "CPU budget"},
		{"endless tail-call loop", `local function f(n) return f(n + 1) end command("!x", function() f(1) end)`, "!x", "CPU budget"},
		{"endless loop inside pcall", `command("!x", function() pcall(function() while true do end end) while true do end end)`, "!x", "CPU budget"},
		{"runaway recursion", `local function f() return 1 + f() end command("!x", function() f() end)`, "!x", "stack overflow"},
		{"table bomb", `command("!x", function() local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end end)`, "!x", "exceeded"},
		{"string doubling", `command("!x", function() local s = "xxxxxxxxxxxxxxxx" while true do s = s .. s end end)`, "!x", "exceeded"},
		{"string.rep bomb", `command("!x", function() local s = string.rep("x", 1e10) end)`, "!x", "too large"},
		{"string.format width bomb", `command("!x", function() local s = ("%999999d"):format(1) end)`, "!x", "format"},
		{"catastrophic pattern", `command("!x", function() string.find(string.rep("a", 1000000), "^a*b") end)`, "!x", "too complex"},
		{"lazy pattern chain", `command("!x", function() string.find(string.rep("x", 10000), ".-.-.-.-b") end)`, "!x", "too complex"},
		{"unpack bomb", `command("!x", function() local t = {} for i = 1, 100000 do t[i] = i end unpack(t) end)`, "!x", "unpack"},
		{"math.random panic", `command("!x", function() math.random(0) end)`, "!x", "interval is empty"},
		{"sparse array bomb", `command("!x", function() local t = {} for i = 1, 1e9 do t[60000000 + i] = true end end)`, "!x", "exceeded"},
		{"sparse insert bomb", `command("!x", function() local t = {} for i = 1, 1e9 do table.insert(t, 60000000 + i, true) end end)`, "!x", "exceeded"},
		{"emit storm", `command("!x", function() while true do emit("storm.tick", { n = 1 }) end end)`, "!x", "emits more than"},
		{"event that re-emits itself", `on_event("loop.tick", function(e) emit("loop.tick", {}) emit("loop.tick", {}) end) command("!x", function() emit("loop.tick", {}) end)`, "!x", "emits more than"},
		{"io is absent", `command("!x", function() io.open("/etc/passwd") end)`, "!x", "io"},
		{"os.execute is absent", `command("!x", function() os.execute("touch /tmp/pwned") end)`, "!x", "execute"},
		{"os.exit is absent", `os.exit(3)`, "", "exit"},
		{"os.getenv is absent", `command("!x", function() return os.getenv("HOME") end)`, "!x", "getenv"},
		{"debug is absent", `command("!x", function() debug.getinfo(1) end)`, "!x", "debug"},
		{"dofile is absent", `dofile("/etc/passwd")`, "", "dofile"},
		{"loadfile is absent", `loadfile("/etc/passwd")`, "", "loadfile"},
		{"require cannot reach the filesystem", `require("os")`, "", "require"},
		{"require cannot climb out", `require("..evil")`, "", "require"},
		{"package is absent", `package.loadlib("libc.so.6", "system")`, "", "package"},
		{"collectgarbage is absent", `collectgarbage()`, "", "collectgarbage"},
		{"load refuses bytecode", `assert(load("\27Lua"))`, "", "bytecode"},
		{"error in init", "function init()\n  error('boom')\nend", "", "hostile.lua:3: boom"},
		{"syntax error", "local x = = 1", "", "hostile.lua:2: syntax error"},
		{"compiler bomb", "local x = " + strings.Repeat("{", 5000) + strings.Repeat("}", 5000), "", "nested more than"},
		{"yield from a handler", `command("!x", function() coroutine.yield() end)`, "!x", "coroutine.yield"},
		{"sleep in a sort comparator", `command("!x", function() table.sort({3,2,1}, function(a, b) sleep(0.01) return a < b end) end)`, "!x", "called back from Go"},
		{"sleep at top level is refused", `sleep(0)`, "", ""},
		// one Go call that nothing would interrupt (issue class 3)
		{"sort of long strings sharing a prefix", `command("!x", function()
			local s = string.rep("a", 1048576) local t = {}
			for i = 1, 1000 do t[i] = s:sub((i * 389) % 1000 + 1) end
			table.sort(t) end)`, "!x", "exceeded"},
		{"load of text with many distinct constants", `command("!x", function()
			local parts = {"return {"} for i = 1, 3000 do parts[#parts + 1] = "'k" .. i .. "'," end parts[#parts + 1] = "}"
			assert(load(table.concat(parts))) end)`, "!x", "too many distinct constants"},
		{"a script file with many distinct constants", "local t = {" + manyNumbers(25000) + "}", "", "hostile.lua:1: too many distinct constants"},
		{"a script file over the compile limit", "local s = [[" + strings.Repeat("x", 300<<10) + "]]", "", "at most 262144 allowed"},
		{"load of text over the compile limit", `command("!x", function() assert(load("return '" .. string.rep("x", 300000) .. "'")) end)`, "!x", "at most 262144 allowed"},
		{"os.date with a huge format", `command("!x", function() os.date(string.rep("%c", 500000)) end)`, "!x", "format too long"},
		{"string.format %q of a huge string", `command("!x", function() string.format("%q", string.rep("\n", 1000000)) end)`, "!x", "too large"},
		// quotas (issue class 5)
		{"on_event called in every handler", `command("!x", function() for i = 1, 2000 do on_event("some.thing", function() end) end end)`, "!x", "handlers, the most a module may have"},
		{"commands registered in a loop", `for i = 1, 300 do command("!c" .. i, function() end) end`, "", "commands, the most a module may have"},
		{"one handler for a thousand types", `local t = {} for i = 1, 1000 do t[i] = "a.b" .. i end on_event(t, function() end)`, "", "at most 64"},
		{"a megabyte cooldown reply", `command("!x", { cooldown = 1, cooldown_reply = string.rep("x", 1000000) }, function() end)`, "", "cooldown_reply is 1000000 bytes, at most 500 allowed"},
		{"a 2 MiB chat message", `command("!x", function() local s = string.rep("x", 1048576) twitch.send_message(s .. s) end)`, "!x", "one call may send at most 4096"},
		{"a user lookup of a megabyte login", `command("!x", function() twitch.user(string.rep("x", 1048576)) end)`, "!x", "not a Twitch login"},
		{"a reply to a forged huge message id", `command("!x", function() twitch.reply({ data = { message_id = string.rep("x", 1000) } }, "hi") end)`, "!x", "not a chat message id"},
		{"emit of a table repeating a big string", `command("!x", function()
			local s, t = string.rep("x", 1048576), {} for i = 1, 10 do t[i] = s end emit("big.one", { t = t }) end)`, "!x", "more than 4194304 bytes of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{
				"ping.lua":    pingModule,
				"hostile.lua": "module { name = \"hostile\", permissions = { \"twitch.chat\" } }\n" + tc.code,
			}, func(c *Config) {
				c.HeapLimit = 256 << 20
				c.EmitBurst = 500   // reached well inside the CPU budget, even under -race
				c.MaxHandlers = 100 // likewise
				c.MaxCommands = 20
				if !budgetCase(tc.wantErr) {
					// a case meant to hit a cap must hit the cap, not the
					// CPU budget of a busy or -race build first
					c.HandlerBudget = 5 * time.Second
				}
			})
			if tc.name == "sleep at top level is refused" {
				// the top level may not wait (nor act): the load fails, naming why
				if st := te.module("hostile"); st.Status != "failed" || !strings.Contains(st.LastError, "sleep cannot wait here (top level)") {
					t.Fatalf("status %s: %s", st.Status, st.LastError)
				}
				return
			}
			if tc.trigger != "" {
				if st := te.module("hostile"); st.Status != "running" {
					t.Fatalf("hostile did not load: %s", st.LastError)
				}
				te.chatLine(tc.trigger)
				waitFor(t, 5*time.Second, func() bool { return te.module("hostile").Errors > 0 })
			}
			st := te.module("hostile")
			if tc.trigger == "" && st.Status != "failed" {
				t.Fatalf("status %s, want failed", st.Status)
			}
			if !strings.Contains(st.LastError, tc.wantErr) {
				t.Fatalf("last error %q does not mention %q", st.LastError, tc.wantErr)
			}
			te.chatLine("!ping")
			te.waitChat("pong m-!ping")
		})
	}
}

// budgetCase reports whether a hostile case is meant to be stopped by the
// CPU budget or the heap limit (then the budget stays small), rather than by
// a cap that does not depend on the machine's speed.
func budgetCase(wantErr string) bool {
	return wantErr == "CPU budget" || wantErr == "exceeded" || wantErr == "stack overflow"
}

// manyNumbers is "1,2,...,n," : n distinct number constants.
func manyNumbers(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return b.String()
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestStringMetatableTamperingStaysInItsVM(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"evil.lua": `module { name = "evil" }
getmetatable("").__index = function() error("poisoned") end`,
		"good.lua": `module { name = "good", permissions = { "twitch.chat" } }
command("!up", function(event) twitch.reply(event, ("shout"):upper()) end)`,
	})
	te.chatLine("!up")
	te.waitChat("SHOUT")
}

func TestPcallAroundAWaitingCallWaits(t *testing.T) {
	te := newTestEngine(t, map[string]string{"p.lua": `module { name = "p", permissions = { "twitch.chat" } }
command("!p", function(event)
  local ok, v = pcall(function() sleep(0.02) return "slept" end)
  local ok2, err = pcall(function() sleep(0.01) error("inner", 0) end)
  local ok3, msg = xpcall(function() error("x", 0) end, function(e) return "handled " .. e end)
  twitch.reply(event, table.concat({tostring(ok), v, tostring(ok2), err, tostring(ok3), msg}, ","))
end)`})
	te.chatLine("!p")
	te.waitChat("true,slept,false,inner,false,handled x")
}

func TestSleepingHandlerHoldsUpNobody(t *testing.T) {
	te := newTestEngine(t, map[string]string{"s.lua": `module { name = "s", permissions = { "twitch.chat" } }
command("!forever", function() sleep(3600) end)
command("!slow", function(event) sleep(0.05) twitch.reply(event, "slow done") end)
command("!fast", function(event) twitch.reply(event, "fast done") end)`})
	te.chatLine("!forever")
	te.chatLine("!slow")
	te.chatLine("!fast")
	te.waitChat("fast done")
	if len(te.chat.Recent()) != 1 {
		t.Fatalf("fast should answer before slow: %v", te.chat.Recent())
	}
	te.waitChat("slow done")
	if st := te.module("s"); st.Status != "running" || st.Errors != 0 {
		t.Fatalf("module: %+v", st)
	}
}

func TestMissingPermissionIsNamed(t *testing.T) {
	te := newTestEngine(t, map[string]string{"np.lua": `module { name = "np" }
command("!x", function(event) twitch.send_message("hi") end)`})
	te.chatLine("!x")
	waitFor(t, 2*time.Second, func() bool { return te.module("np").Errors > 0 })
	if st := te.module("np"); !strings.Contains(st.LastError, `"twitch.chat" permission`) || !strings.Contains(st.LastError, "np.lua:2") {
		t.Fatalf("error %q", st.LastError)
	}
}

// A module that keeps growing a table between events, each run well inside
// its budget, holds the heap over the limit; it is found by walking the VMs
// and stopped, and the other modules go on.
func TestModuleHoardingMemoryIsStopped(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"hoard.lua": `module { name = "hoard" }
local hoard = {}
every(0.05, function()
  for i = 1, 50000 do hoard[#hoard + 1] = { i, "x" .. i } end
end)`,
	}, func(c *Config) { c.HeapLimit = 128 << 20 })
	waitFor(t, 30*time.Second, func() bool { return te.module("hoard").Status == "failed" })
	st := te.module("hoard")
	// on a loaded machine (or under -race) its ticks may run past the budget:
	// then it is quarantined as a repeat offender before the walk finds it;
	// either way the module that holds the memory is the one stopped
	memory := strings.Contains(st.LastError, "held about") && strings.Contains(st.LastError, "over the 128 MiB limit")
	if !memory && !strings.Contains(st.LastError, "quarantined") {
		t.Fatalf("hoard stopped with %q", st.LastError)
	}
	if st := te.module("ping"); st.Status != "running" {
		t.Fatalf("ping: %s %s", st.Status, st.LastError)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

func TestLargeIntegerKeysStillWork(t *testing.T) {
	te := newTestEngine(t, map[string]string{"k.lua": `module { name = "k", permissions = { "twitch.chat" } }
command("!k", function(e)
  local t = {}
  t[60000000] = "far"
  for i = 1, 5 do t[#t + 1] = i end
  twitch.reply(e, t[60000000] .. " " .. #t .. " " .. t[5])
end)`})
	te.chatLine("!k")
	te.waitChat("far 5 5")
}

// The memory check walks a VM on its owner goroutine. It gives up on a VM
// that is busy elsewhere, but a walk that has started is waited for however
// long it takes: the walk of the module that hoards takes longest, and a
// full test run on a loaded machine once timed it out, so the hoarder was
// never found.
func TestDoOnceStartedWaitsForAStartedWalkButNotForABusyVM(t *testing.T) {
	te := newTestEngine(t, map[string]string{"m.lua": `module { name = "m" }`})
	ins := te.rt.wd.instances()
	if len(ins) != 1 {
		t.Fatalf("%d instances", len(ins))
	}
	in := ins[0]

	ran := false
	if err := in.doOnceStarted(10*time.Millisecond, func() { time.Sleep(100 * time.Millisecond); ran = true }); err != nil || !ran {
		t.Fatalf("a started fn longer than the wait: err %v, ran %v", err, ran)
	}

	release := make(chan struct{})
	busy := make(chan struct{})
	go func() { _ = in.do(context.Background(), func() { close(busy); <-release }) }()
	<-busy
	var late atomic.Bool
	if err := in.doOnceStarted(20*time.Millisecond, func() { late.Store(true) }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("busy VM: err %v, want a deadline", err)
	}
	close(release)
	if err := in.do(context.Background(), func() {}); err != nil { // everything queued before has run
		t.Fatal(err)
	}
	if late.Load() {
		t.Fatal("an abandoned fn still ran when the VM got to it")
	}
}
