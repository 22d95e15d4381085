package engine

// Test-only views of the bus and events, for the tests of package engine_test.

import (
	"slices"
	"time"
)

// Match lists the subscriptions that an event of type typ reaches, in priority
// order (Go handlers after targets' handlers of equal rank are not distinguished).
func (b *Bus) Match(typ string) []*Subscription {
	r := b.route(b.tab.Load(), typ)
	var out []*Subscription
	for _, g := range r.groups {
		out = append(out, g.subs...)
	}
	out = append(out, r.goSubs...)
	slices.SortStableFunc(out, bySubOrder)
	return out
}

// SubscriptionsOf lists the live subscriptions of owner.
func (b *Bus) SubscriptionsOf(owner any) []*Subscription {
	var out []*Subscription
	for _, s := range b.tab.Load().all {
		if s.Owner == owner {
			out = append(out, s)
		}
	}
	return out
}

// EmittedAt is the instant the bus accepted the event (monotonic clock).
func (e *Event) EmittedAt() time.Time { return e.emitted }
