package engine_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// countTarget only counts: what is left of Emit is the routing.
type countTarget struct{ n atomic.Uint64 }

func (c *countTarget) Deliver(*engine.Event, []*engine.Subscription) { c.n.Add(1) }

// BenchmarkEmitRouting measures Emit with n subscriptions spread over 8 targets:
// half on exact types, half on globs (a realistic mix: "twitch.*", "svcN.*"),
// emitting a rotation of types of which some match several handlers and some none.
func BenchmarkEmitRouting(b *testing.B) {
	types := []string{"twitch.chat.message", "svc3.event", "svc42.event", "obs.scene_changed", "nobody.listens", "svc7.other"}
	for _, n := range []int{10, 100, 1000} {
		for _, m := range busModes {
			b.Run(fmt.Sprintf("subs=%d/%s", n, m.name), func(b *testing.B) {
				bus := engine.NewBus(m.opts)
				targets := make([]*countTarget, 8)
				for i := range targets {
					targets[i] = &countTarget{}
				}
				for i := 0; i < n; i++ {
					p := fmt.Sprintf("svc%d.event", i)
					switch {
					case i == 0:
						p = "twitch.*"
					case i == 1:
						p = "obs.scene_changed"
					case i%2 == 1:
						p = fmt.Sprintf("svc%d.*", i)
					}
					mustSubscribe(b, bus, &engine.Subscription{Patterns: []string{p}, Priority: i % 5, Target: targets[i%len(targets)]})
				}
				events := make([]engine.Event, len(types))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					k := i % len(types)
					events[k] = engine.Event{Type: types[k], ID: "x"}
					if err := bus.Emit(&events[k]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkEmitToCountingTarget is the hot path: one exact subscription, one
// target that counts. With a given ID the only allocation is the event itself;
// "fresh-id" adds NewEventID.
func BenchmarkEmitToCountingTarget(b *testing.B) {
	for _, withID := range []bool{true, false} {
		name := "given-id"
		if !withID {
			name = "fresh-id"
		}
		b.Run(name, func(b *testing.B) {
			bus := engine.NewBus(engine.BusOptions{Logger: quiet})
			tgt := &countTarget{}
			mustSubscribe(b, bus, &engine.Subscription{Patterns: []string{"twitch.follow"}, Target: tgt})
			data := map[string]any{"user": "someone"}
			b.ReportAllocs()
			for b.Loop() {
				e := &engine.Event{Type: "twitch.follow", Data: data}
				if withID {
					e.ID = "given"
				}
				if err := bus.Emit(e); err != nil {
					b.Fatal(err)
				}
			}
			if tgt.n.Load() == 0 {
				b.Fatal("the target got nothing")
			}
		})
	}
}

// chanTarget is a module-like Target: Deliver hands the event to its own
// goroutine through a buffered channel and never blocks; the goroutine records
// the time from Emit to the moment it picked the event up.
type chanTarget struct {
	ch      chan *engine.Event
	hist    *engine.Histogram
	dropped atomic.Uint64
	done    chan struct{}
}

func newChanTarget(h *engine.Histogram) *chanTarget {
	c := &chanTarget{ch: make(chan *engine.Event, 1024), hist: h, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for e := range c.ch {
			c.hist.Observe(time.Since(e.EmittedAt()))
		}
	}()
	return c
}

func (c *chanTarget) Deliver(e *engine.Event, _ []*engine.Subscription) {
	select {
	case c.ch <- e:
	default:
		c.dropped.Add(1)
	}
}

// BenchmarkDispatchLatency emits at a paced 10,000 events/s (one op = one event;
// the default -benchtime=1s makes that about a second) to a target running on its
// own goroutine, and reports the Emit-to-pickup latency percentiles.
func BenchmarkDispatchLatency(b *testing.B) {
	const rate = 10000
	interval := time.Second / rate
	bus := engine.NewBus(engine.BusOptions{Logger: quiet})
	var hist engine.Histogram
	tgt := newChanTarget(&hist)
	mustSubscribe(b, bus, &engine.Subscription{Patterns: []string{"twitch.*"}, Target: tgt})
	mustSubscribe(b, bus, &engine.Subscription{Patterns: []string{"twitch.chat.message"}, Target: &countTarget{}})
	start := time.Now()
	for i := 0; i < b.N; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if err := bus.Emit(&engine.Event{Type: "twitch.chat.message", ID: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	close(tgt.ch)
	<-tgt.done
	if n := hist.Summary().Count + tgt.dropped.Load(); n != uint64(b.N) {
		b.Fatalf("%d events accounted for, want %d", n, b.N)
	}
	s := hist.Summary()
	b.ReportMetric(s.P50, "p50-µs")
	b.ReportMetric(s.P99, "p99-µs")
	b.ReportMetric(s.Max, "max-µs")
	b.ReportMetric(float64(tgt.dropped.Load()), "dropped")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
