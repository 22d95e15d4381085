package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// worstCaseScripts is what makes stopping slow, all at once: a mailbox of
// 9,000 queued handlers of almost a second each, shutdown() functions that
// sleep or loop, a handler in an endless loop, one asleep for an hour, a
// metatable on _G that loops on every read, a timer busy 90 % of the time.
var worstCaseScripts = map[string]string{
	"flood.lua": `module { name = "flood" }
on_event("flood.tick", function() local t = os.clock() while os.clock() - t < 0.9 do end end)
function init() after(0.05, function() for i = 1, 9000 do emit("flood.tick", { i = i }) end end) end`,
	"sleepstop.lua": `module { name = "sleepstop" }
function shutdown() sleep(3600) end`,
	"loopstop.lua": `module { name = "loopstop" }
function shutdown() while true do end end`,
	"spin.lua": `module { name = "spin" }
function init() after(0.05, function() while true do end end) end`,
	"asleep.lua": `module { name = "asleep" }
function init() after(0.05, function() sleep(3600) end) end
function shutdown() local t = {} setmetatable(t, {__index = function() while true do end end}) return t.x end`,
	"globals.lua": `module { name = "globals" }
function init() every(0.05, function() end) end
setmetatable(_G, {__index = function() while true do end end, __newindex = function() while true do end end})`,
	"busy.lua": `module { name = "busy" }
function init() every(0.05, function() local t = os.clock() while os.clock() - t < 0.9 do end end) end`,
}

// sigtermWorstCase starts a real engine process with the worst case loaded,
// lets the mailbox fill, sends SIGTERM and returns how long the process took
// to exit.
func sigtermWorstCase(tb testing.TB) time.Duration {
	tb.Helper()
	dir := tb.TempDir()
	scripts := writeScripts(tb, dir, worstCaseScripts)
	db := filepath.Join(dir, "data", "s.db")
	logs := &lockedLog{}
	p := startProcess(tb, logs, "--scripts", scripts, "--data", db, "--addr", freeAddr(tb), "--obs-addr", "")
	defer func() {
		select {
		case <-p.done:
		default:
			p.kill()
		}
	}()
	for start := time.Now(); !strings.Contains(logs.String(), "starstreamer is running"); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			tb.Fatalf("the engine did not come up:\n%s", logs.String())
		}
	}
	time.Sleep(time.Second) // the flood is queued, the timers run
	t0 := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("the engine did not exit within 30 s of SIGTERM:\n%s", logs.String())
	}
	took := time.Since(t0)
	if p.err != nil {
		tb.Errorf("the engine exited with %v:\n%s", p.err, logs.String())
	}
	return took
}

// SIGTERM ends the engine within 5 s, whatever its scripts do.
func TestSIGTERMEndsTheEngineWithinFiveSecondsWhateverTheScriptsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an engine process")
	}
	took := sigtermWorstCase(t)
	t.Logf("SIGTERM to exit: %v", took)
	if took > 5*time.Second {
		t.Fatalf("the engine took %v to exit after SIGTERM", took)
	}
}

// BenchmarkSIGTERMWorstCase: time from SIGTERM to the exit of an engine
// process with the worst case loaded.
func BenchmarkSIGTERMWorstCase(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += sigtermWorstCase(b)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/sigterm")
}
