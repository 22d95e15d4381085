package bindings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// The handler of the performance goals: it matches a command and updates a table.
const counterModule = `module { name = "counter" }
local counts = {}
on_event("twitch.chat.message", function(event)
  local msg = event.data.message
  if msg:sub(1, 6) == "!count" then
    local id = event.data.user.id
    counts[id] = (counts[id] or 0) + 1
  end
end)`

func chatEvent(i int) *engine.Event {
	return &engine.Event{Type: "twitch.chat.message", Source: engine.SourceTwitch, Data: map[string]any{
		"user": map[string]any{
			"id": "1001", "username": "viewer", "display_name": "Viewer",
			"badges":      []any{map[string]any{"set_id": "subscriber", "id": "12"}},
			"broadcaster": false, "moderator": false, "vip": false, "subscriber": true,
		},
		"message": "!count please", "message_id": "m", "badges": []any{},
	}}
}

func benchEngine(b *testing.B, scripts map[string]string) *testEngine {
	t := &testing.T{}
	te := newTestEngine(t, scripts, func(c *Config) { c.HandlerBudget = time.Second })
	b.Cleanup(func() {
		te.reg.StopAll(context.Background())
		te.store.Close()
	})
	return te
}

// runningInstance is module name's instance and its subscriptions.
func runningInstance(b *testing.B, te *testEngine, name string) (*instance, []*engine.Subscription) {
	for _, in := range te.rt.wd.instances() {
		if in.name != name {
			continue
		}
		var subs []*engine.Subscription
		_ = in.do(context.Background(), func() {
			for h := range in.handlers {
				subs = append(subs, h.sub)
			}
		})
		return in, subs
	}
	b.Fatalf("module %s has no running instance", name)
	return nil, nil
}

func handled(te *testEngine) uint64 {
	var n uint64
	for _, s := range te.bus.Stats().Subscriptions {
		n += s.Invocations
	}
	return n
}

// BenchmarkCommandHandlerThroughput: events/s from Emit through the bus and the
// module's mailbox to the end of its Lua handler.
func BenchmarkCommandHandlerThroughput(b *testing.B) {
	te := benchEngine(b, map[string]string{"counter.lua": counterModule})
	events := make([]*engine.Event, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		e := chatEvent(i)
		events[i%len(events)] = e
		te.bus.Emit(e)
		if i%4096 == 4095 && i > 8192 { // keep the mailbox from growing without end
			for handled(te) < uint64(i-8192) {
				runtime.Gosched()
			}
		}
	}
	for handled(te) < uint64(b.N) {
		time.Sleep(50 * time.Microsecond)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	if d := te.module("counter").Dropped; d > 0 {
		b.Fatalf("%d events dropped", d)
	}
}

// BenchmarkCommandHandlerCost: the VM side alone, on the owner goroutine: event
// table built from Go + coroutine + the handler.
func BenchmarkCommandHandlerCost(b *testing.B) {
	te := benchEngine(b, map[string]string{"counter.lua": counterModule})
	in, subs := runningInstance(b, te, "counter")
	e := chatEvent(0)
	b.ReportAllocs()
	var el time.Duration
	_ = in.do(context.Background(), func() {
		b.ResetTimer()
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			in.handleEvent(e, subs)
		}
		el = time.Since(t0)
		b.StopTimer()
	})
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N)/1e3, "µs/event")
}

// BenchmarkDispatchLatency: emit -> handler start at 10,000 events/s, emitted
// the way a network source does: bursts of 10 every millisecond from a
// goroutine that blocks in between (a spinning emitter would keep the module's
// goroutine off the CPU and measure the benchmark, not the engine).
func BenchmarkDispatchLatency(b *testing.B) {
	te := benchEngine(b, map[string]string{"counter.lua": counterModule})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := te.bus.Stats().Latency.Count
		tick := time.NewTicker(time.Millisecond)
		const n = 5000 // half a second per iteration
		for j := 0; j < n; j++ {
			if j%10 == 0 {
				<-tick.C
			}
			te.bus.Emit(chatEvent(j))
		}
		tick.Stop()
		for te.bus.Stats().Latency.Count < before+n {
			time.Sleep(time.Millisecond)
		}
	}
	st := te.bus.Stats().Latency
	b.ReportMetric(st.P50, "p50-µs")
	b.ReportMetric(st.P99, "p99-µs")
	b.ReportMetric(st.Max, "max-µs")
}

// BenchmarkSaveToLive: write a new version of a module; how long until the new
// handler answers, through fsnotify, the default 100 ms debounce and the reload.
func BenchmarkSaveToLive(b *testing.B) {
	te := benchEngine(b, map[string]string{"echo.lua": versioned(0)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := engine.NewWatcher(te.dir, 100*time.Millisecond, nil, func(m string) { te.reg.FileChanged(ctx, m) })
	if err != nil {
		b.Fatal(err)
	}
	go w.Run(ctx)
	acks := make(chan int64, 1024)
	te.bus.Subscribe(&engine.Subscription{Patterns: []string{"load.ack"}, Handler: func(e *engine.Event) error {
		acks <- e.Data["v"].(int64)
		return nil
	}})
	var took []time.Duration
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		t0 := time.Now()
		os.WriteFile(filepath.Join(te.dir, "echo.lua"), []byte(versioned(i)), 0o644)
		for live := false; !live; {
			te.emit("load.test", map[string]any{"n": 0})
			select {
			case v := <-acks:
				live = v == int64(i)
			case <-time.After(5 * time.Second):
				b.Fatal("no answer")
			}
			if !live {
				time.Sleep(2 * time.Millisecond)
			}
		}
		took = append(took, time.Since(t0))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1e3, "p50-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1e3, "max-ms")
}

// BenchmarkIdleModuleHeap: live heap per loaded, idle module (a typical small
// module with a few commands, a timer and an export).
func BenchmarkIdleModuleHeap(b *testing.B) {
	const n = 50
	scripts := map[string]string{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("m%02d", i)
		scripts[name+".lua"] = strings.ReplaceAll(`module { name = "NAME", permissions = { "twitch.chat", "store" } }
local greetings = { "hi", "hello", "hey" }
command("!hi", { cooldown = 5 }, function(e) twitch.reply(e, greetings[1] .. " " .. e.data.user.display_name) end)
command("!roll", function(e, cmd) twitch.reply(e, "rolled " .. math.random(6)) end)
on_event("twitch.follow", function(e) twitch.send_message("thanks " .. e.data.user.display_name) end)
every(60, function() end)
export { hello = function(name) return "hello " .. name end }`, "NAME", name)
	}
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		te := benchEngine(b, scripts)
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/n/1024, "KiB/module")
		te.reg.StopAll(context.Background())
	}
}
