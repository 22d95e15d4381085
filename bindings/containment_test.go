package bindings

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// containCase is one hostile script of the corpus: it runs beside the healthy
// ping module, and the engine must contain it.
type containCase struct {
	name    string
	code    string // after module{ name = "hostile", permissions = {"twitch.chat", "call", "store"} }
	trigger string // chat line that sets it off ("" = nothing)
	wantErr string // in the module's last error ("" = any outcome but a crash or hang)
}

// The cases of the containment classes: the process lives, the healthy
// module answers, the hostile one is stopped or healthy.
var containCases = []containCase{
	// Nothing a script does ends the process.
	{"resume the handler's own thread", `command("!x", function() pcall(coroutine.resume, coroutine.running()) end)`, "!x", ""},
	{"resume the pcall child from inside", `command("!x", function() pcall(function() local ok, err = coroutine.resume(coroutine.running()) error(tostring(err)) end) end)`, "!x", ""},
	{"a coroutine resumes itself", `command("!x", function() local co co = coroutine.create(function() assert(coroutine.resume(co)) end) local ok, err = coroutine.resume(co) error(err, 0) end)`, "!x", "non-suspended"},
	{"two coroutines resume each other", `command("!x", function()
  local a, b
  a = coroutine.create(function() assert(coroutine.resume(b)) end)
  b = coroutine.create(function() assert(coroutine.resume(a)) end)
  local ok, err = coroutine.resume(a) error(err, 0) end)`, "!x", "non-suspended"},
	{"coroutines nested without end", `local function f() local co = coroutine.create(f) assert(coroutine.resume(co)) end command("!x", function() f() end)`, "!x", "nested too deep"},
	{"pcall nested without end", `local function f() pcall(f) pcall(f) end command("!x", function() f() end)`, "!x", ""},
	{"pcall of a waiting call nested without end", `local function f(n) pcall(function() sleep(0) f(n + 1) end) end command("!x", function() f(1) end)`, "!x", ""},
	{"yield from a handler's pcall", `command("!x", function() pcall(coroutine.yield) coroutine.yield() end)`, "!x", "coroutine.yield"},
	{"yield inside a metamethod of a coroutine", `command("!x", function()
  local co = coroutine.create(function() local t = setmetatable({}, {__index = function() coroutine.yield(1) end}) return t.x end)
  local ok, err = coroutine.resume(co) error(err, 0) end)`, "!x", "called back from Go"},
	{"wrap of a coroutine that resumes its wrapper", `command("!x", function() local w w = coroutine.wrap(function() w() end) w() end)`, "!x", "non-suspended"},
	{"coroutines kept alive without end", `local keep = {} command("!x", function() every(0.05, function() for i = 1, 100 do local co = coroutine.create(function() coroutine.yield() end) coroutine.resume(co) keep[#keep + 1] = co end end) end)`, "!x", "too many coroutines alive"},
	{"status of a thread that is not the script's", `command("!x", function() coroutine.status(coroutine.running()) end)`, "!x", "bad argument"},

	// Every entry into Lua is budgeted.
	{"_G whose __index loops", `setmetatable(_G, {__index = function() while true do end end})`, "", ""},
	{"_G whose __newindex loops", `setmetatable(_G, {__newindex = function() while true do end end, __index = function() while true do end end}) command("!x", function() end)`, "", ""},
	{"xpcall handler loops after a wait", `command("!x", function() xpcall(function() sleep(0.01) error("x") end, function() while true do end end) end)`, "!x", "CPU budget"},
	{"xpcall handler loops", `command("!x", function() xpcall(function() error("x") end, function() while true do end end) end)`, "!x", "CPU budget"},
	{"filter loops", `on_event("twitch.chat.message", {filter = function() while true do end end}, function() end)`, "!x", "CPU budget"},
	{"__tostring loops in print", `command("!x", function() print(setmetatable({}, {__tostring = function() while true do end end})) end)`, "!x", "CPU budget"},
	{"__index loops under a sort", `command("!x", function() local m = setmetatable({}, {__lt = function() while true do end end}) table.sort({m, m, m}) end)`, "!x", "CPU budget"},

	// Chains of invocations.
	{"tail-called call to itself without end", `export { f = function(n) return call("hostile.f", n + 1) end } command("!x", function() call("hostile.f", 1) end)`, "!x", "too many handlers in progress"},
	{"emit to itself without end", `on_event("self.tick", function() emit("self.tick", {}) end) command("!x", function() emit("self.tick", {}) end)`, "", ""},
	{"after(0) re-arming itself", `local function again() after(0, again) end command("!x", function() for i = 1, 2000 do after(0, again) end end)`, "!x", "too many timers"},
	{"every(0) with a loop", `command("!x", function() every(0, function() while true do end end) end)`, "!x", "seconds must be"},
}

func TestHostileChainsAndCoroutinesAreContained(t *testing.T) {
	for _, tc := range containCases {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{
				"ping.lua":    pingModule,
				"hostile.lua": "module { name = \"hostile\", permissions = { \"twitch.chat\", \"call\", \"store\" } }\n" + tc.code,
			}, func(c *Config) {
				c.HeapLimit = 256 << 20
				c.HandlerBudget = time.Second // a loaded machine must not cut a quota case by the budget first
			})
			if tc.trigger != "" {
				te.chatLine(tc.trigger)
				if tc.wantErr != "" {
					waitFor(t, 5*time.Second, func() bool { return strings.Contains(te.module("hostile").LastError, tc.wantErr) })
				} else {
					time.Sleep(50 * time.Millisecond)
				}
			}
			if st := te.module("hostile"); tc.wantErr != "" && !strings.Contains(st.LastError, tc.wantErr) {
				t.Fatalf("last error %q does not mention %q", st.LastError, tc.wantErr)
			}
			te.chatLine("!ping")
			te.waitChat("pong m-!ping")
			stopWithin(t, te, 5*time.Second)
		})
	}
}

// stopWithin stops every module and fails if that takes longer than d.
func stopWithin(t *testing.T, te *testEngine, d time.Duration) {
	t.Helper()
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	te.reg.StopAll(ctx)
	if took := time.Since(t0); took > d {
		t.Fatalf("StopAll took %v", took)
	}
}

func TestCoroutineStatusAndRunning(t *testing.T) {
	te := newTestEngine(t, map[string]string{"co.lua": `module { name = "co", permissions = { "twitch.chat" } }
command("!co", function(e)
  local out = {}
  local outer
  local inner = coroutine.create(function()
    out[#out + 1] = coroutine.status(outer)            -- normal
    out[#out + 1] = coroutine.status(coroutine.running()) -- running
    coroutine.yield()
  end)
  outer = coroutine.create(function()
    out[#out + 1] = tostring(coroutine.running() == outer)
    assert(coroutine.resume(inner))
    out[#out + 1] = coroutine.status(inner)            -- suspended
  end)
  out[#out + 1] = tostring(coroutine.running())       -- nil in a handler
  assert(coroutine.resume(outer))
  out[#out + 1] = coroutine.status(outer)              -- dead
  local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  out[#out + 1] = gen() .. gen() .. gen()
  -- finished coroutines do not count against the cap, however many are made
  for i = 1, 1200 do local c = coroutine.create(function() end) coroutine.resume(c) end
  twitch.reply(e, table.concat(out, ","))
end)`}, func(c *Config) { c.HandlerBudget = 2 * time.Second })
	te.chatLine("!co")
	te.waitChat("nil,true,normal,running,suspended,dead,123")
	te.chatLine("!co")
	time.Sleep(20 * time.Millisecond)
	if st := te.module("co"); st.Errors != 0 {
		t.Fatalf("errors: %s", st.LastError)
	}
}

// `return call(...)` keeps its results and its invocation: the frame of a
// function that tail-calls a waiting binding is gone in gopher-lua.
func TestTailCalledWaitingBindingKeepsItsResults(t *testing.T) {
	te := newTestEngine(t, map[string]string{"tc.lua": `module { name = "tc", permissions = { "twitch.chat", "call" } }
export {
  f = function(n) if n >= 3 then return n, "deep" end return call("tc.f", n + 1) end,
}
local function slept() return sleep(0.01) end
command("!tc", function(e)
  local a, b = call("tc.f", 1)
  local ok, c, d = pcall(function() return call("tc.f", 2) end)
  local s = select("#", slept())
  twitch.reply(e, table.concat({tostring(a), tostring(b), tostring(ok), tostring(c), tostring(d), s}, ","))
end)
command("!tail", function(e) return call("tc.f", 1) end)`})
	te.chatLine("!tc")
	te.waitChat("3,deep,true,3,deep,0")
	te.chatLine("!tail")
	waitFor(t, 2*time.Second, func() bool { return te.module("tc").Invocations >= 7 })
	if st := te.module("tc"); st.Errors != 0 {
		t.Fatalf("errors: %s", st.LastError)
	}
}

// A shutdown() that sleeps past its limit tears the VM down once (it used to
// close it twice: SIGSEGV), and stopping takes no longer than the limit.
func TestShutdownThatSleepsPastItsLimit(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"slow.lua": `module { name = "slow" }
function shutdown() sleep(30) end`,
	})
	t0 := time.Now()
	if err := te.reg.Unload(context.Background(), "slow"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(t0); took > 3*time.Second {
		t.Fatalf("unload took %v", took)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// A module cut again and again is quarantined with the reason, and stays
// stopped; the others go on.
func TestRepeatOffenderIsQuarantined(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"loop.lua": `module { name = "loop" }
function init() every(0.05, function() while true do end end) end`,
	})
	waitFor(t, 15*time.Second, func() bool { return te.module("loop").Status == "failed" })
	st := te.module("loop")
	if !strings.Contains(st.LastError, "quarantined: cut 5 times") || !strings.Contains(st.LastError, "CPU budget") {
		t.Fatalf("last error %q", st.LastError)
	}
	inv := st.Invocations
	time.Sleep(200 * time.Millisecond)
	if st := te.module("loop"); st.Status != "failed" || st.Invocations != inv {
		t.Fatalf("after quarantine: %s, %d invocations (was %d)", st.Status, st.Invocations, inv)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// Chains that each stay within the budget draw on one CPU meter per module:
// a module busy most of the time is struck until it is quarantined.
func TestModuleBusyMostOfTheTimeIsStruck(t *testing.T) {
	te := newTestEngine(t, map[string]string{"m.lua": `module { name = "m" }
function init() every(3600, function() end) end`})
	var inst *instance // the only instance the runtime watches
	for _, i := range te.rt.wd.instances() {
		inst = i
	}
	if inst == nil {
		t.Fatal("no instance")
	}
	now := time.Now()
	if err := inst.do(context.Background(), func() {
		// 20 s of slices of 0.9 s, each 0.95 s apart: 95 % of a core
		for i := 0; i < 22; i++ {
			inst.spend(now.Add(time.Duration(i)*950*time.Millisecond), 900*time.Millisecond)
		}
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return te.module("m").Status == "failed" })
	if st := te.module("m"); !strings.Contains(st.LastError, "of a CPU core") {
		t.Fatalf("last error %q", st.LastError)
	}
}

func TestQuotasHaveClearErrors(t *testing.T) {
	cases := []struct {
		name, code, want string
	}{
		{"timers alive", `for i = 1, 300 do after(10, function() end) end`, "too many timers (at most 256"},
		{"results returned by call: count", `local r, err = call("q.many") error(err, 0)`, "65 results, at most 64"},
		{"results returned by call: size", `local r, err = call("q.big") error(err, 0)`, "bytes of strings"},
		{"arguments of call", `call("q.many", unpack((function() local t = {} for i = 1, 70 do t[i] = i end return t end)()))`, "70 arguments, at most 64"},
		{"coroutines alive", `local k = {} for i = 1, 1001 do k[i] = coroutine.create(print) end`, "too many coroutines alive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"q.lua": `module { name = "q", permissions = { "call" } }
export {
  many = function() local t = {} for i = 1, 65 do t[i] = i end return unpack(t) end,
  big = function() local s = string.rep("x", 1048576) return s, s, s, s, s end,
}
on_event("q.go", function() ` + tc.code + ` end)`}, func(c *Config) { c.HandlerBudget = time.Second })
			te.emit("q.go", nil)
			waitFor(t, 5*time.Second, func() bool { return strings.Contains(te.module("q").LastError, tc.want) })
		})
	}
}

// after(0) that re-arms itself fires at most every 50 ms.
func TestAfterZeroHasAMinimumDelay(t *testing.T) {
	te := newTestEngine(t, map[string]string{"a.lua": `module { name = "a" }
local function again() after(0, again) end
function init() after(0, again) end`})
	time.Sleep(300 * time.Millisecond)
	n0 := te.module("a").Invocations
	time.Sleep(500 * time.Millisecond)
	if n := te.module("a").Invocations - n0; n > 15 {
		t.Fatalf("%d timer runs in 0.5 s", n)
	}
}

// A full mailbox drops events for that module, says so, and holds up no one.
func TestFullMailboxSaysSo(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"slow.lua": `module { name = "slow" }
on_event("slow.tick", function() local t = os.clock() while os.clock() - t < 0.05 do end end)`,
	}, func(c *Config) { c.MailboxSize = 10 })
	for i := 0; i < 50; i++ {
		te.emit("slow.tick", nil)
	}
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(te.module("slow").LastError, "mailbox full") })
	if st := te.module("slow"); st.Dropped == 0 {
		t.Fatalf("nothing dropped: %+v", st)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// Memory a module holds in the locals of sleeping handlers is found, and
// that module is the one stopped. Ten invocations each gather 20 MB in steps
// with a sleep between them, so that the heap passes the limit while they
// sleep (a cut of one that runs frees only its share).
func TestMemoryHeldBySleepingLocalsIsFound(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"sleeper.lua": `module { name = "sleeper" }
on_event("hold.it", function()
  local s, t = string.rep("x", 1048576), {}
  for i = 1, 20 do t[i] = s .. i sleep(0.01) end
  sleep(3600)
end)`,
	}, func(c *Config) { c.HeapLimit = 128 << 20 })
	for i := 0; i < 10; i++ {
		te.emit("hold.it", nil)
	}
	waitFor(t, 30*time.Second, func() bool { return te.module("sleeper").Status == "failed" })
	if st := te.module("sleeper"); !strings.Contains(st.LastError, "held about") {
		t.Fatalf("last error %q", st.LastError)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// Events waiting in mailboxes are charged to the module that emitted them,
// once each, not to an innocent module that receives them too.
func TestQueuedEventsAreChargedToTheirEmitter(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"listener.lua": `module { name = "listener" }
on_event("big.*", function() end)`,
		"flooder.lua": `module { name = "flooder" }
on_event("big.ev", function() end)`,
	})
	byName := map[string]*instance{}
	for _, in := range te.rt.wd.instances() {
		byName[in.name] = in
	}
	// hold both loops, so that what is emitted stays queued
	release := make(chan struct{})
	for _, in := range byName {
		in.post(message{fn: func() { <-release }})
	}
	defer close(release)
	big := strings.Repeat("x", 1<<20)
	for i := 0; i < 20; i++ {
		te.bus.Emit(&engine.Event{Type: "big.ev", Source: "module:flooder", Data: map[string]any{"s": big}})
	}
	te.emit("big.other", map[string]any{"s": big}) // from outside: charged to the mailbox that holds it
	held := te.rt.queuedBytes([]*instance{byName["listener"], byName["flooder"]})
	if f, l := held[byName["flooder"]], held[byName["listener"]]; f < 20<<20 || f > 22<<20 || l < 1<<20 || l > 2<<20 {
		t.Fatalf("flooder holds %d bytes, listener %d", f, l)
	}
}
