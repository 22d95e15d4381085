package safelib

import (
	"context"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// chatCommand is the pattern a typical command handler runs per message.
const chatCommand = `^!(%w+)%s*(.*)$`

// benchStates are the libraries compared: stock gopher-lua, ours with the
// pattern cache, ours without it.
func benchStates(b *testing.B) map[string]*lua.LState {
	stock := lua.NewState()
	cached := lua.NewState()
	Open(cached, Limits{})
	uncached := lua.NewState()
	Open(uncached, Limits{PatternCache: -1})
	b.Cleanup(func() { stock.Close(); cached.Close(); uncached.Close() })
	return map[string]*lua.LState{"stock": stock, "safe": cached, "safe-nocache": uncached}
}

// benchCall calls string[fn] from Go once per iteration, the way a
// handler's Lua call reaches it, and reports ns/op and allocs/op.
func benchCall(b *testing.B, fn string, args ...lua.LValue) {
	for _, name := range []string{"stock", "safe", "safe-nocache"} {
		L := benchStates(b)[name]
		f := L.GetField(L.GetGlobal("string"), fn)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				L.Push(f)
				for _, a := range args {
					L.Push(a)
				}
				L.Call(len(args), lua.MultRet)
				L.SetTop(0)
			}
		})
	}
}

var chatMessage = lua.LString("!so   some_streamer thanks for the raid")

func BenchmarkChatCommandFind(b *testing.B) {
	benchCall(b, "find", chatMessage, lua.LString(chatCommand))
}

func BenchmarkChatCommandMatch(b *testing.B) {
	benchCall(b, "match", chatMessage, lua.LString(chatCommand))
}

func BenchmarkChatCommandGsub(b *testing.B) {
	benchCall(b, "gsub", chatMessage, lua.LString(`^!(%w+)%s*`), lua.LString("[%1] "))
}

func BenchmarkChatCommandNoMatch(b *testing.B) {
	benchCall(b, "match", lua.LString("just chatting, no command here at all"), lua.LString(chatCommand))
}

func BenchmarkGsubWordsOn4KB(b *testing.B) {
	text := lua.LString(strings.Repeat("lorem ipsum dolor sit amet ", 150))
	benchCall(b, "gsub", text, lua.LString(`%a+`), lua.LString("<%0>"))
}

// BenchmarkCancelLatency measures how long a pathological match keeps
// running after its context is cancelled (p50/p99 in µs).
func BenchmarkCancelLatency(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	Open(L, Limits{MaxPatternSteps: 1 << 60})
	f := L.GetField(L.GetGlobal("string"), "find")
	text := lua.LString(strings.Repeat("x", 3000))
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		L.SetContext(ctx)
		var at time.Time
		timer := time.AfterFunc(time.Millisecond, func() { at = time.Now(); cancel() })
		err := L.CallByParam(lua.P{Fn: f, NRet: lua.MultRet, Protect: true}, text, lua.LString(".-.-.-b"))
		end := time.Now()
		timer.Stop()
		cancel()
		if err == nil || !strings.Contains(err.Error(), "cancelled") {
			b.Fatalf("got %v", err)
		}
		if !at.IsZero() {
			lat = append(lat, end.Sub(at))
		}
		L.SetTop(0)
	}
	if len(lat) > 0 {
		sortDurations(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}
