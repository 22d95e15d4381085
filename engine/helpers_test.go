package engine_test

import (
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

var quiet = slog.New(slog.DiscardHandler)

// busModes are the two ways a Bus routes: every matcher and routing test runs in
// both, so the cache can never hide a wrong answer (NATS sublist style).
var busModes = []struct {
	name string
	opts engine.BusOptions
}{
	{"cached", engine.BusOptions{Logger: quiet}},
	{"uncached", engine.BusOptions{Logger: quiet, NoCache: true}},
}

// eachBus runs f once with a caching bus and once with an uncached one.
func eachBus(t *testing.T, f func(t *testing.T, b *engine.Bus)) {
	t.Helper()
	for _, m := range busModes {
		t.Run(m.name, func(t *testing.T) { f(t, engine.NewBus(m.opts)) })
	}
}

// delivery is one Deliver call seen by a recordTarget.
type delivery struct {
	id   string
	typ  string
	subs []*engine.Subscription
}

// recordTarget is a Target that remembers every delivery.
type recordTarget struct {
	name string
	mu   sync.Mutex
	got  []delivery
	log  *orderLog // optional: shared log of deliveries across targets
}

func (r *recordTarget) Deliver(e *engine.Event, subs []*engine.Subscription) {
	r.mu.Lock()
	r.got = append(r.got, delivery{id: e.ID, typ: e.Type, subs: slices.Clone(subs)})
	r.mu.Unlock()
	if r.log != nil {
		r.log.add(r.name)
	}
}

func (r *recordTarget) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// orderLog records names in the order things happened.
type orderLog struct {
	mu  sync.Mutex
	seq []string
}

func (l *orderLog) add(s string) {
	l.mu.Lock()
	l.seq = append(l.seq, s)
	l.mu.Unlock()
}

func (l *orderLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seq)
}

// waitFor polls cond until it holds or 5 s pass. It is a bounded wait for work
// that finishes on another goroutine, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustSubscribe(t testing.TB, b *engine.Bus, s *engine.Subscription) *engine.Subscription {
	t.Helper()
	if _, err := b.Subscribe(s); err != nil {
		t.Fatalf("Subscribe(%v): %v", s.Patterns, err)
	}
	return s
}

func ids(subs []*engine.Subscription) []uint64 {
	out := make([]uint64, len(subs))
	for i, s := range subs {
		out[i] = s.ID()
	}
	return out
}
