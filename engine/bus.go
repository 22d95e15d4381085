package engine

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Target receives the events that match its subscriptions. A Lua module instance is
// a Target: it queues the delivery in its mailbox and its own goroutine runs the
// handlers. Deliver is called on the emitter's goroutine and must not block.
type Target interface {
	// Deliver hands over one event and this target's subscriptions that match it,
	// highest priority first. The slice is shared and must not be modified.
	Deliver(e *Event, subs []*Subscription)
}

// Subscription is one handler's interest in events. Fill the exported fields and
// pass it to Bus.Subscribe; after that treat them as read-only.
//
// A subscription either has a Target (a module: the bus hands it matching events
// and the target runs Filter and the handler on its own goroutine) or a Handler (a
// Go function: the bus runs Filter and Handler on a fresh goroutine per event,
// recovering panics).
type Subscription struct {
	Patterns []string          // exact types or globs with '*'; at least one
	Priority int               // higher starts first
	Filter   func(*Event) bool // optional; false skips the handler
	Handler  func(*Event) error
	Target   Target
	Owner    any    // who subscribed (a module instance); Replace and RemoveOwner use it
	Module   string // module name, for stats and errors ("" for Go code)
	Where    string // source position of the handler, e.g. "scripts/chat.lua:12"
	Ref      any    // the target's own handle (for example the Lua function)

	id          uint64
	globs       []Glob
	invocations atomic.Uint64
	errs        atomic.Uint64
	nanos       atomic.Int64
	lastErr     atomic.Pointer[string]
}

// Record counts one finished invocation of the subscription's handler.
func (s *Subscription) Record(d time.Duration, err error) {
	s.invocations.Add(1)
	s.nanos.Add(int64(d))
	if err != nil {
		s.errs.Add(1)
		msg := err.Error()
		s.lastErr.Store(&msg)
	}
}

// ID is the subscription's bus-wide identity (0 before Subscribe).
func (s *Subscription) ID() uint64 { return s.id }

// Bus matches events against subscriptions and hands them over. Emit reads an
// immutable snapshot of the subscriptions under a shared lock (writers take it
// only to swap the snapshot in), and the handlers for one event type are
// computed once per snapshot and cached.
type Bus struct {
	mu sync.Mutex // serialises writers
	// swap makes an Emit's lookup and delivery one step with respect to a
	// change of the table: once Replace returns, no Emit is still delivering
	// by the old table, so a module stopped after its handlers were replaced
	// has already been handed everything it will get. Emit holds it shared
	// only while it queues deliveries (which never block).
	swap   sync.RWMutex
	tab    atomic.Pointer[table]
	nextID uint64
	log    *slog.Logger
	cache  bool

	// Events emitted while the bus is held wait in held (at most maxHeld)
	// until Release hands them over in order; see Hold.
	holding  atomic.Bool
	holdMu   sync.Mutex
	held     []*Event
	heldLost atomic.Uint64

	events    atomic.Uint64
	goErrs    atomic.Uint64
	perType   sync.Map // string -> *atomic.Uint64
	typeCount atomic.Int32
	latency   Histogram
}

// BusOptions configures a Bus.
type BusOptions struct {
	Logger  *slog.Logger
	NoCache bool // compute routes on every Emit (tests compare both ways)
}

// maxCachedTypes bounds the route cache and the per-type counters, so that a flood
// of distinct custom event types cannot grow memory without end.
const maxCachedTypes = 4096

// NewBus returns an empty bus.
func NewBus(opts BusOptions) *Bus {
	b := &Bus{log: opts.Logger, cache: !opts.NoCache}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.tab.Store(newTable(nil))
	return b
}

type table struct {
	all      []*Subscription            // priority desc, id asc
	exact    map[string][]*Subscription // type -> subs with that exact pattern
	patterns []*Subscription            // subs with at least one glob
	routes   sync.Map                   // type -> *route
	cached   atomic.Int32
}

type route struct {
	groups []group
	goSubs []*Subscription
}

type group struct {
	target Target
	subs   []*Subscription
}

func newTable(all []*Subscription) *table {
	t := &table{all: all, exact: make(map[string][]*Subscription)}
	for _, s := range all {
		hasGlob := false
		for i, g := range s.globs {
			if g.exact {
				// a subscription listing one type twice is still one handler
				if !slices.Contains(s.Patterns[:i], s.Patterns[i]) {
					t.exact[g.src] = append(t.exact[g.src], s)
				}
			} else {
				hasGlob = true
			}
		}
		if hasGlob {
			t.patterns = append(t.patterns, s)
		}
	}
	return t
}

func bySubOrder(a, b *Subscription) int {
	if a.Priority != b.Priority {
		return cmp.Compare(b.Priority, a.Priority) // not b-a: that overflows for extreme priorities
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// Subscribe adds s and returns it. It fails when s has no pattern, a bad pattern,
// or neither a Target nor a Handler.
func (b *Bus) Subscribe(s *Subscription) (*Subscription, error) {
	if err := b.Replace(nil, []*Subscription{s}); err != nil {
		return nil, err
	}
	return s, nil
}

// Unsubscribe removes s; removing one that is not subscribed does nothing.
func (b *Bus) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.tab.Load()
	all := slices.DeleteFunc(slices.Clone(old.all), func(x *Subscription) bool { return x == s })
	if len(all) != len(old.all) {
		nt := newTable(all)
		b.swap.Lock()
		b.tab.Store(nt)
		b.swap.Unlock()
	}
}

// Replace atomically removes every subscription owned by removeOwner (when it is
// not nil) and adds the subscriptions in add. An event emitted concurrently is
// matched either against the old set or against the new one, never a mix: this is
// how a reload swaps a module's handlers without dropping or doubling an event.
func (b *Bus) Replace(removeOwner any, add []*Subscription) error {
	for _, s := range add {
		if err := checkSubscription(s); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.tab.Load()
	all := make([]*Subscription, 0, len(old.all)+len(add))
	for _, s := range old.all {
		if removeOwner == nil || s.Owner != removeOwner {
			all = append(all, s)
		}
	}
	for _, s := range add {
		if s.id != 0 {
			return fmt.Errorf("subscription %s is already subscribed", s.Where)
		}
	}
	for _, s := range add {
		b.nextID++
		s.id = b.nextID
		s.globs = make([]Glob, len(s.Patterns))
		for i, p := range s.Patterns {
			s.globs[i] = CompileGlob(p)
		}
		all = append(all, s)
	}
	slices.SortStableFunc(all, bySubOrder)
	nt := newTable(all)
	b.swap.Lock()
	b.tab.Store(nt)
	b.swap.Unlock()
	return nil
}

// RemoveOwner removes every subscription of owner.
func (b *Bus) RemoveOwner(owner any) {
	if owner == nil {
		return
	}
	_ = b.Replace(owner, nil)
}

func checkSubscription(s *Subscription) error {
	if s == nil {
		return errors.New("nil subscription")
	}
	if len(s.Patterns) == 0 {
		return fmt.Errorf("subscription %s has no event type", s.Where)
	}
	for _, p := range s.Patterns {
		if err := ValidatePattern(p); err != nil {
			return err
		}
	}
	if (s.Target == nil) == (s.Handler == nil) {
		return fmt.Errorf("subscription %s needs exactly one of Target and Handler", s.Where)
	}
	return nil
}

// maxHeld bounds the events a held bus keeps: a flood while modules load
// cannot grow memory without end.
const maxHeld = 100_000

// ErrHeldFull is returned by Emit when the bus is held and already keeps
// maxHeld events; the event is dropped.
var ErrHeldFull = errors.New("the bus is holding events until the modules have loaded and its queue is full: event dropped")

// Hold makes Emit keep events instead of handing them over, until Release.
// The engine holds its bus while it loads the modules at start, so that an
// event that comes in meanwhile (twitch.connected, obs.connected, a chat
// line, an API call) reaches every module, not just those loaded so far.
func (b *Bus) Hold() {
	b.holdMu.Lock()
	b.holding.Store(true)
	b.holdMu.Unlock()
}

// Release hands over the events kept since Hold, in the order they were
// emitted, and lets later events through at once. Emits that happen during
// the hand-over wait for it, so they come after every kept event. Releasing a
// bus that is not held does nothing.
func (b *Bus) Release() {
	b.holdMu.Lock()
	defer b.holdMu.Unlock()
	if !b.holding.Load() {
		return
	}
	held := b.held
	b.held = nil
	b.holding.Store(false)
	if lost := b.heldLost.Swap(0); lost > 0 {
		b.log.Warn("events were dropped while the modules loaded", "dropped", lost, "kept", len(held))
	}
	for _, e := range held {
		e.emitted = time.Now() // the latency measures dispatch, not the wait
		b.deliver(e)
	}
}

// Emit stamps e (ID, Timestamp when empty) and hands it to every matching
// subscription. It never blocks on a handler. It returns an error for an
// invalid event type, and when a held bus is full (see Hold); an event
// nobody listens to is fine.
func (b *Bus) Emit(e *Event) error {
	if err := ValidateType(e.Type); err != nil {
		return err
	}
	now := time.Now()
	e.emitted = now
	if e.ID == "" {
		e.ID = NewEventID()
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = now
	}
	if b.holding.Load() {
		b.holdMu.Lock()
		if b.holding.Load() { // not released meanwhile
			defer b.holdMu.Unlock()
			if len(b.held) >= maxHeld {
				b.heldLost.Add(1)
				return ErrHeldFull
			}
			b.events.Add(1)
			b.countType(e.Type)
			b.held = append(b.held, e)
			return nil
		}
		b.holdMu.Unlock()
	}
	b.events.Add(1)
	b.countType(e.Type)
	b.deliver(e)
	return nil
}

// deliver hands e to every subscription that matches it now.
func (b *Bus) deliver(e *Event) {
	b.swap.RLock()
	r := b.route(b.tab.Load(), e.Type)
	for i := range r.groups {
		r.groups[i].target.Deliver(e, r.groups[i].subs)
	}
	for _, s := range r.goSubs {
		go b.runGo(s, e)
	}
	b.swap.RUnlock()
}

// HasTarget reports whether a Target subscription (a module's handler)
// matches events of type typ now; Go handlers such as the panel's feed do
// not count. The panel marks an event nobody handles.
func (b *Bus) HasTarget(typ string) bool {
	if ValidateType(typ) != nil {
		return false
	}
	return len(b.route(b.tab.Load(), typ).groups) > 0
}

func (b *Bus) countType(t string) {
	if c, ok := b.perType.Load(t); ok {
		c.(*atomic.Uint64).Add(1)
		return
	}
	if b.typeCount.Load() >= maxCachedTypes {
		t = "(other)"
	}
	c, loaded := b.perType.LoadOrStore(t, new(atomic.Uint64))
	if !loaded {
		b.typeCount.Add(1)
	}
	c.(*atomic.Uint64).Add(1)
}

var emptyRoute = &route{}

func (b *Bus) route(t *table, typ string) *route {
	if b.cache {
		if r, ok := t.routes.Load(typ); ok {
			return r.(*route)
		}
	}
	r := computeRoute(t, typ)
	if b.cache && t.cached.Load() < maxCachedTypes {
		if _, loaded := t.routes.LoadOrStore(typ, r); !loaded {
			t.cached.Add(1)
		}
	}
	return r
}

// computeRoute lists the subscriptions matching typ in priority order and groups
// them by target, targets ordered by their highest-priority subscription.
func computeRoute(t *table, typ string) *route {
	exact := t.exact[typ]
	var matched []*Subscription
	for _, s := range t.patterns {
		for i := range s.globs {
			if !s.globs[i].exact && s.globs[i].Match(typ) {
				if !slices.Contains(exact, s) {
					matched = append(matched, s)
				}
				break
			}
		}
	}
	if len(exact) == 0 && len(matched) == 0 {
		return emptyRoute
	}
	matched = append(matched, exact...)
	slices.SortFunc(matched, bySubOrder)
	r := &route{}
	for _, s := range matched {
		if s.Target == nil {
			r.goSubs = append(r.goSubs, s)
			continue
		}
		found := false
		for i := range r.groups {
			if r.groups[i].target == s.Target {
				r.groups[i].subs = append(r.groups[i].subs, s)
				found = true
				break
			}
		}
		if !found {
			r.groups = append(r.groups, group{target: s.Target, subs: []*Subscription{s}})
		}
	}
	return r
}

func (b *Bus) runGo(s *Subscription, e *Event) {
	start := time.Now()
	b.latency.Observe(start.Sub(e.emitted))
	var err error
	skipped := false
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			b.log.Error("event handler panicked", "handler", s.Where, "event", e.Type, "panic", p, "stack", string(debug.Stack()))
		}
		if err != nil {
			b.goErrs.Add(1)
		}
		if !skipped || err != nil { // a filtered-out event is not an invocation (as for targets)
			s.Record(time.Since(start), err)
		}
	}()
	if s.Filter != nil && !s.Filter(e) {
		skipped = true
		return
	}
	if err = s.Handler(e); err != nil {
		b.log.Warn("event handler failed", "handler", s.Where, "event", e.Type, "err", err)
	}
}

// ObserveDispatch records the time from Emit to the start of a handler. Targets
// call it when they begin running an event's handlers.
func (b *Bus) ObserveDispatch(e *Event, start time.Time) {
	if !e.emitted.IsZero() {
		b.latency.Observe(start.Sub(e.emitted))
	}
}

// SubscriptionStats describes one subscription.
type SubscriptionStats struct {
	ID          uint64   `json:"id"`
	Module      string   `json:"module,omitempty"`
	Where       string   `json:"where,omitempty"`
	Patterns    []string `json:"patterns"`
	Priority    int      `json:"priority"`
	Invocations uint64   `json:"invocations"`
	Errors      uint64   `json:"errors"`
	TotalMillis float64  `json:"total_ms"`
	LastError   string   `json:"last_error,omitempty"`
}

// BusStats is a snapshot of the bus counters.
type BusStats struct {
	Events        uint64              `json:"events"`
	PerType       map[string]uint64   `json:"per_type"`
	Handlers      int                 `json:"handlers"`
	Subscriptions []SubscriptionStats `json:"subscriptions"`
	Latency       LatencySummary      `json:"dispatch_latency"`
}

// Stats returns the current counters.
func (b *Bus) Stats() BusStats {
	t := b.tab.Load()
	st := BusStats{Events: b.events.Load(), PerType: map[string]uint64{}, Handlers: len(t.all), Latency: b.latency.Summary()}
	b.perType.Range(func(k, v any) bool {
		st.PerType[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	for _, s := range t.all {
		ss := SubscriptionStats{
			ID: s.id, Module: s.Module, Where: s.Where, Patterns: s.Patterns, Priority: s.Priority,
			Invocations: s.invocations.Load(), Errors: s.errs.Load(),
			TotalMillis: float64(s.nanos.Load()) / 1e6,
		}
		if p := s.lastErr.Load(); p != nil {
			ss.LastError = *p
		}
		st.Subscriptions = append(st.Subscriptions, ss)
	}
	return st
}
