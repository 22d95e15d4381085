package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// A held bus keeps what is emitted and hands it, in order, to the
// subscriptions that exist at Release: a module loaded after the first event
// still gets it.
func TestHeldBusHandsKeptEventsToLaterSubscribersInOrder(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		early := &recordTarget{}
		mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"*"}, Target: early})
		b.Hold()
		for i := range 3 {
			if err := b.Emit(&engine.Event{Type: "twitch.connected", ID: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		late := &recordTarget{}
		mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"twitch.*"}, Target: late})
		if n := len(early.deliveries()) + len(late.deliveries()); n != 0 {
			t.Fatalf("%d deliveries while held", n)
		}
		b.Release()
		if err := b.Emit(&engine.Event{Type: "twitch.follow", ID: "after"}); err != nil {
			t.Fatal(err)
		}
		want := []string{"0", "1", "2", "after"}
		for name, tgt := range map[string]*recordTarget{"early": early, "late": late} {
			var got []string
			for _, d := range tgt.deliveries() {
				got = append(got, d.id)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s subscriber got %v, want %v", name, got, want)
			}
		}
		b.Release() // a second Release does nothing
		if n := len(late.deliveries()); n != 4 {
			t.Errorf("after a second Release: %d deliveries, want 4", n)
		}
	})
}

// Emitters racing with Release lose nothing and each one's events keep their
// order: every kept event is handed over before any later one.
func TestReleaseDuringEmitsLosesAndReordersNothing(t *testing.T) {
	b := engine.NewBus(engine.BusOptions{})
	tgt := &recordTarget{}
	mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"*"}, Target: tgt})
	b.Hold()
	const emitters, each = 4, 2000
	var wg sync.WaitGroup
	for g := range emitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := b.Emit(&engine.Event{Type: "x", ID: fmt.Sprintf("%d-%06d", g, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	b.Release()
	wg.Wait()
	got := tgt.deliveries()
	if len(got) != emitters*each {
		t.Fatalf("%d deliveries, want %d", len(got), emitters*each)
	}
	last := map[byte]string{}
	for _, d := range got {
		if prev := last[d.id[0]]; prev >= d.id {
			t.Fatalf("emitter %c: %s handed over after %s", d.id[0], d.id, prev)
		}
		last[d.id[0]] = d.id
	}
}

func TestHeldBusRefusesPastItsBound(t *testing.T) {
	b := engine.NewBus(engine.BusOptions{})
	tgt := &recordTarget{}
	mustSubscribe(t, b, &engine.Subscription{Patterns: []string{"*"}, Target: tgt})
	b.Hold()
	var refused int
	for range 100_010 {
		if err := b.Emit(&engine.Event{Type: "x"}); err != nil {
			if !errors.Is(err, engine.ErrHeldFull) {
				t.Fatalf("err %v", err)
			}
			refused++
		}
	}
	b.Release()
	if refused != 10 || len(tgt.deliveries()) != 100_000 {
		t.Fatalf("refused %d, delivered %d; want 10 and 100000", refused, len(tgt.deliveries()))
	}
}
