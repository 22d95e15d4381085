package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func TestHandlersStartInPriorityOrder(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		log := &orderLog{}
		low, high := &recordTarget{name: "low", log: log}, &recordTarget{name: "high", log: log}
		// subscribed lowest first, so insertion order cannot pass for priority order
		sLow := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.*"}, Priority: -5, Target: low})
		sHigh1 := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.follow"}, Priority: 1, Target: high})
		sHigh2 := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"*"}, Priority: 10, Target: high})
		sTie := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.follow"}, Priority: 1, Target: high})

		if err := b.Emit(&engine.Event{Type: "twitch.follow"}); err != nil {
			t.Fatal(err)
		}
		if got, want := log.all(), []string{"high", "low"}; !slices.Equal(got, want) {
			t.Errorf("targets delivered in order %v, want %v (by highest priority)", got, want)
		}
		d := high.deliveries()
		if len(d) != 1 {
			t.Fatalf("high target got %d deliveries, want 1 (one per event, all its handlers in it)", len(d))
		}
		if got, want := ids(d[0].subs), ids([]*engine.Subscription{sHigh2, sHigh1, sTie}); !slices.Equal(got, want) {
			t.Errorf("high target's handlers in order %v, want %v (priority desc, then subscription order)", got, want)
		}
		if got, want := ids(b.Match("twitch.follow")), ids([]*engine.Subscription{sHigh2, sHigh1, sTie, sLow}); !slices.Equal(got, want) {
			t.Errorf("Match = %v, want %v", got, want)
		}
	})
}

func TestExtremePrioritiesKeepTheirOrder(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		tgt := &recordTarget{}
		prios := []int{1, -1 << 62, 0, 1<<63 - 1, -1 << 63, 1 << 62}
		for _, p := range prios {
			mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"x"}, Priority: p, Target: tgt})
		}
		var got []int
		for _, s := range b.Match("x") {
			got = append(got, s.Priority)
		}
		want := []int{1<<63 - 1, 1 << 62, 1, 0, -1 << 62, -1 << 63}
		if !slices.Equal(got, want) {
			t.Errorf("priorities in order %v, want %v", got, want)
		}
	})
}

func TestSubscriptionWithSeveralTypesGetsAnEventOnce(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
	}{
		{"exact listed twice", []string{"twitch.follow", "twitch.follow"}},
		{"exact and a glob", []string{"twitch.follow", "twitch.*"}},
		{"two globs", []string{"*", "twitch.*"}},
		{"glob, exact, glob", []string{"twitch.*", "twitch.follow", "*.follow"}},
	}
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tgt := &recordTarget{}
				s := mustSubscribe(t, b, &engine.Subscription{Patterns: c.patterns, Target: tgt})
				defer b.Unsubscribe(s)
				for i := 0; i < 2; i++ {
					if err := b.Emit(&engine.Event{Type: "twitch.follow"}); err != nil {
						t.Fatal(err)
					}
				}
				d := tgt.deliveries()
				if len(d) != 2 {
					t.Fatalf("got %d deliveries for 2 events, want 2", len(d))
				}
				for _, x := range d {
					if len(x.subs) != 1 {
						t.Errorf("delivery lists the subscription %d times, want once", len(x.subs))
					}
				}
				if n := len(b.Match("twitch.follow")); n != 1 {
					t.Errorf("Match lists %d subscriptions, want 1", n)
				}
			})
		}
	})
}

// TestReplaceSwapsAtomically emits from several goroutines while owners are
// swapped back and forth: every event must reach exactly one of the targets.
func TestReplaceSwapsAtomically(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		targets := []*recordTarget{{name: "a"}, {name: "b"}}
		sub := func(i int) []*engine.Subscription {
			// two subscriptions per version, one exact and one glob, on one target:
			// a mix of old and new would show up as two deliveries
			return []*engine.Subscription{
				{Patterns: []string{"custom.tick"}, Target: targets[i], Owner: targets[i]},
				{Patterns: []string{"custom.*"}, Target: targets[i], Owner: targets[i]},
			}
		}
		if err := b.Replace(nil, sub(0)); err != nil {
			t.Fatal(err)
		}
		const emitters, perEmitter = 2, 2000
		var wg sync.WaitGroup
		var stop atomic.Bool
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; !stop.Load(); i++ {
				if err := b.Replace(targets[(i+1)%2], sub(i%2)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		var ewg sync.WaitGroup
		for g := 0; g < emitters; g++ {
			ewg.Add(1)
			go func() {
				defer ewg.Done()
				for i := 0; i < perEmitter; i++ {
					if err := b.Emit(&engine.Event{Type: "custom.tick"}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		ewg.Wait()
		stop.Store(true)
		wg.Wait()

		seen := map[string]int{}
		for _, tg := range targets {
			for _, d := range tg.deliveries() {
				seen[d.id]++
				if len(d.subs) != 2 {
					t.Fatalf("event %s reached %s with %d handlers, want both of one version", d.id, tg.name, len(d.subs))
				}
				if d.subs[0].Owner != tg || d.subs[1].Owner != tg {
					t.Fatalf("event %s reached %s with another version's handlers", d.id, tg.name)
				}
			}
		}
		if len(seen) != emitters*perEmitter {
			t.Fatalf("%d distinct events delivered, want %d (none dropped)", len(seen), emitters*perEmitter)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("event %s delivered %d times, want exactly once", id, n)
			}
		}
		if n := len(b.Stats().Subscriptions); n != 2 {
			t.Errorf("%d subscriptions left after the swaps, want 2", n)
		}
	})
}

func TestUnsubscribeStopsDeliveries(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		keep, gone := &recordTarget{}, &recordTarget{}
		mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"obs.*"}, Target: keep})
		s := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"obs.scene_changed"}, Target: gone})
		if err := b.Emit(&engine.Event{Type: "obs.scene_changed"}); err != nil {
			t.Fatal(err)
		}
		b.Unsubscribe(s)
		b.Unsubscribe(s) // twice is harmless
		if err := b.Emit(&engine.Event{Type: "obs.scene_changed"}); err != nil {
			t.Fatal(err)
		}
		if n := len(gone.deliveries()); n != 1 {
			t.Errorf("unsubscribed target got %d deliveries, want 1 (only before Unsubscribe)", n)
		}
		if n := len(keep.deliveries()); n != 2 {
			t.Errorf("other target got %d deliveries, want 2", n)
		}
		if _, err := b.Subscribe(s); err == nil {
			t.Error("subscribing a used Subscription again succeeded; want an error")
		}
	})
}

func TestRemoveOwnerRemovesOnlyThatOwner(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		a, c := &recordTarget{name: "a"}, &recordTarget{name: "c"}
		for _, tg := range []*recordTarget{a, c} {
			mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"x"}, Target: tg, Owner: tg})
			mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"x*"}, Target: tg, Owner: tg})
		}
		_ = b.Match("x") // fill the cache
		b.RemoveOwner(a)
		b.RemoveOwner(nil) // removes nothing
		for _, s := range b.Match("x") {
			if s.Owner != c {
				t.Errorf("subscription of %v survived RemoveOwner", s.Owner)
			}
		}
		if n := len(b.Match("x")); n != 2 {
			t.Errorf("%d subscriptions match after removing one owner, want 2", n)
		}
		if n := len(b.SubscriptionsOf(a)); n != 0 {
			t.Errorf("SubscriptionsOf(removed owner) = %d, want 0", n)
		}
		if n := len(b.SubscriptionsOf(c)); n != 2 {
			t.Errorf("SubscriptionsOf(kept owner) = %d, want 2", n)
		}
	})
}

// TestRouteCacheIsInvalidated asks for a route, changes the subscriptions and asks
// again: a stale cache would return the first answer.
func TestRouteCacheIsInvalidated(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		tgt := &recordTarget{}
		if n := len(b.Match("twitch.raid")); n != 0 {
			t.Fatalf("empty bus matches %d", n)
		}
		glob := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.*"}, Target: tgt})
		if got := ids(b.Match("twitch.raid")); !slices.Equal(got, []uint64{glob.ID()}) {
			t.Fatalf("after subscribing a glob: Match = %v, want [%d]", got, glob.ID())
		}
		exact := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.raid"}, Target: tgt})
		if n := len(b.Match("twitch.raid")); n != 2 {
			t.Fatalf("after subscribing the exact type: %d matches, want 2", n)
		}
		b.Unsubscribe(glob)
		if got := ids(b.Match("twitch.raid")); !slices.Equal(got, []uint64{exact.ID()}) {
			t.Fatalf("after unsubscribing the glob: Match = %v, want [%d]", got, exact.ID())
		}
		b.Unsubscribe(exact)
		if n := len(b.Match("twitch.raid")); n != 0 {
			t.Fatalf("after unsubscribing both: %d matches", n)
		}
		if err := b.Emit(&engine.Event{Type: "twitch.raid"}); err != nil {
			t.Fatal(err)
		}
		if n := len(tgt.deliveries()); n != 0 {
			t.Errorf("a removed subscription got %d deliveries", n)
		}
	})
}

func TestGoHandlers(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		ran := make(chan string, 10)
		panicky := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"boom"}, Where: "panicky", Handler: func(*engine.Event) error {
			ran <- "panicky"
			panic("kaboom")
		}})
		failing := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"boom"}, Where: "failing", Handler: func(*engine.Event) error {
			ran <- "failing"
			return errors.New("no luck")
		}})
		filtered := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"boom"}, Where: "filtered",
			Filter:  func(e *engine.Event) bool { return e.Data["pass"] == true },
			Handler: func(*engine.Event) error { ran <- "filtered"; return nil }})

		if err := b.Emit(&engine.Event{Type: "boom", Data: map[string]any{"pass": false}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Emit(&engine.Event{Type: "boom", Data: map[string]any{"pass": true}}); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for i := 0; i < 5; i++ {
			select {
			case w := <-ran:
				counts[w]++
			case <-time.After(5 * time.Second):
				t.Fatalf("only %d handler runs arrived, want 5: %v", i, counts)
			}
		}
		if counts["panicky"] != 2 || counts["failing"] != 2 || counts["filtered"] != 1 {
			t.Errorf("runs = %v, want panicky 2, failing 2, filtered 1 (the filter let one event through)", counts)
		}
		stat := func(s *engine.Subscription) engine.SubscriptionStats {
			for _, ss := range b.Stats().Subscriptions {
				if ss.ID == s.ID() {
					return ss
				}
			}
			t.Fatalf("no stats for subscription %s", s.Where)
			return engine.SubscriptionStats{}
		}
		waitFor(t, "the handlers' runs to be recorded", func() bool {
			return stat(panicky).Invocations == 2 && stat(failing).Invocations == 2 && stat(filtered).Invocations == 1
		})
		if st := stat(panicky); st.Errors != 2 || !strings.Contains(st.LastError, "kaboom") {
			t.Errorf("panicking handler: errors %d, last error %q; want 2 and the panic value", st.Errors, st.LastError)
		}
		if st := stat(failing); st.Errors != 2 || st.LastError != "no luck" {
			t.Errorf("failing handler: errors %d, last error %q; want 2, %q", st.Errors, st.LastError, "no luck")
		}
		if st := stat(filtered); st.Errors != 0 {
			t.Errorf("filtered handler: %d errors, want 0", st.Errors)
		}
		// the bus survived the panics and still routes
		if err := b.Emit(&engine.Event{Type: "boom", Data: map[string]any{"pass": true}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a run after the panics", func() bool { return stat(filtered).Invocations == 2 })
	})
}

func TestStats(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		tgt := &recordTarget{}
		ts := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.*"}, Target: tgt, Module: "chat", Where: "chat.lua:3", Priority: 2})
		done := make(chan struct{}, 4)
		gs := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.follow"}, Handler: func(*engine.Event) error {
			time.Sleep(time.Millisecond)
			done <- struct{}{}
			return nil
		}})
		for _, typ := range []string{"twitch.follow", "twitch.follow", "twitch.raid", "nobody.listens"} {
			if err := b.Emit(&engine.Event{Type: typ}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 2; i++ {
			<-done
		}
		// a target reports its own runs
		d := tgt.deliveries()[0]
		d.subs[0].Record(3*time.Millisecond, errors.New("handler failed"))

		var st engine.BusStats
		waitFor(t, "the Go handler's runs to be recorded", func() bool {
			st = b.Stats()
			for _, s := range st.Subscriptions {
				if s.ID == gs.ID() {
					return s.Invocations == 2
				}
			}
			return false
		})
		if st.Events != 4 {
			t.Errorf("Events = %d, want 4", st.Events)
		}
		wantTypes := map[string]uint64{"twitch.follow": 2, "twitch.raid": 1, "nobody.listens": 1}
		for k, v := range wantTypes {
			if st.PerType[k] != v {
				t.Errorf("PerType[%s] = %d, want %d (all: %v)", k, st.PerType[k], v, st.PerType)
			}
		}
		if st.Handlers != 2 {
			t.Errorf("Handlers = %d, want 2", st.Handlers)
		}
		for _, s := range st.Subscriptions {
			switch s.ID {
			case ts.ID():
				if s.Module != "chat" || s.Where != "chat.lua:3" || s.Priority != 2 || s.Invocations != 1 || s.Errors != 1 ||
					s.LastError != "handler failed" || s.TotalMillis != 3 {
					t.Errorf("target subscription stats = %+v", s)
				}
			case gs.ID():
				if s.Errors != 0 || s.TotalMillis < 1 {
					t.Errorf("Go subscription stats = %+v, want 0 errors and >= 1 ms in total", s)
				}
			}
		}
		if st.Latency.Count != 2 {
			t.Errorf("dispatch latency observed %d times, want 2 (the Go handler's runs)", st.Latency.Count)
		}
		// a target reports when it starts running an emitted event
		b.ObserveDispatch(&engine.Event{Type: "twitch.raid"}, time.Now()) // not emitted: ignored
		if got := b.Stats().Latency.Count; got != 2 {
			t.Errorf("latency count = %d after observing an event never emitted, want 2", got)
		}
		e := &engine.Event{Type: "nobody.listens"}
		_ = b.Emit(e)
		b.ObserveDispatch(e, time.Now())
		if got := b.Stats().Latency.Count; got != 3 {
			t.Errorf("latency count = %d after a target's observation, want 3", got)
		}
	})
}

func TestEmit(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		tgt := &recordTarget{}
		mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"*"}, Target: tgt})
		for _, typ := range []string{"", "has space", "semi;colon", strings.Repeat("a", engine.MaxTypeLen+1), "star*"} {
			if err := b.Emit(&engine.Event{Type: typ}); err == nil {
				t.Errorf("Emit(%q) succeeded; want an error", typ)
			}
		}
		if n := len(tgt.deliveries()); n != 0 {
			t.Fatalf("invalid events were delivered %d times", n)
		}
		ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		keep := &engine.Event{Type: "a", ID: "given", Timestamp: ts}
		stamp := &engine.Event{Type: "a"}
		before := time.Now()
		for _, e := range []*engine.Event{keep, stamp} {
			if err := b.Emit(e); err != nil {
				t.Fatal(err)
			}
		}
		if keep.ID != "given" || !keep.Timestamp.Equal(ts) {
			t.Errorf("Emit overwrote a given ID/Timestamp: %q %v", keep.ID, keep.Timestamp)
		}
		if stamp.ID == "" || stamp.Timestamp.Before(before) || stamp.EmittedAt().Before(before) {
			t.Errorf("Emit did not stamp the event: id %q timestamp %v emitted %v", stamp.ID, stamp.Timestamp, stamp.EmittedAt())
		}
	})
}

func TestSubscribeRefusesBadSubscriptions(t *testing.T) {
	h := func(*engine.Event) error { return nil }
	tgt := &recordTarget{}
	cases := []struct {
		name string
		sub  *engine.Subscription
	}{
		{"nil", nil},
		{"no pattern", &engine.Subscription{Target: tgt}},
		{"empty pattern", &engine.Subscription{Patterns: []string{""}, Target: tgt}},
		{"pattern with a space", &engine.Subscription{Patterns: []string{"twitch chat"}, Target: tgt}},
		{"neither target nor handler", &engine.Subscription{Patterns: []string{"a"}}},
		{"both target and handler", &engine.Subscription{Patterns: []string{"a"}, Target: tgt, Handler: h}},
	}
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		for _, c := range cases {
			if _, err := b.Subscribe(c.sub); err == nil {
				t.Errorf("%s: Subscribe succeeded; want an error", c.name)
			}
		}
		if n := b.Stats().Handlers; n != 0 {
			t.Errorf("%d handlers after only bad subscriptions", n)
		}
		// a Replace with one bad subscription changes nothing
		good := &engine.Subscription{Patterns: []string{"a"}, Target: tgt}
		if err := b.Replace(nil, []*engine.Subscription{good, {Patterns: []string{"b b"}, Target: tgt}}); err == nil {
			t.Error("Replace with a bad subscription succeeded")
		}
		if n := len(b.Match("a")); n != 0 {
			t.Errorf("a failed Replace added %d subscriptions", n)
		}
	})
}

func TestEventIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := engine.NewEventID()
		if seen[id] {
			t.Fatalf("duplicate event id %s", id)
		}
		seen[id] = true
	}
}

func TestChatSinkKeepsTheLastMessages(t *testing.T) {
	b := engine.NewBus(engine.BusOptions{Logger: quiet})
	tgt := &recordTarget{}
	mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"engine.chat.sent"}, Target: tgt})
	c := engine.NewChatSink(3, b)
	for i := 1; i <= 5; i++ {
		c.Add(engine.ChatMessage{Module: "chat", Text: fmt.Sprint("m", i)})
	}
	var texts []string
	for _, m := range c.Recent() {
		texts = append(texts, m.Text)
		if m.At.IsZero() {
			t.Error("message without a time")
		}
	}
	if want := []string{"m3", "m4", "m5"}; !slices.Equal(texts, want) {
		t.Errorf("Recent = %v, want %v", texts, want)
	}
	if n := len(tgt.deliveries()); n != 5 {
		t.Errorf("%d engine.chat.sent events, want 5", n)
	}
}
