package bindings

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// budgetCtx is the context every thread of one VM runs with. gopher-lua checks
// ctx.Done() before every instruction, so Done must be cheap: it is one atomic
// load. The watchdog closes the channel when the running slice has used up its
// budget; the owner then installs a fresh channel before running anything else.
// Only the owner goroutine arms and disarms it.
type budgetCtx struct {
	done   atomic.Pointer[chan struct{}]
	reason atomic.Pointer[error]

	mu      sync.Mutex   // orders arm/disarm (owner) against cuts (watchdog)
	armedAt atomic.Int64 // unix nanos of the start of the running slice; 0 = idle
	limit   atomic.Int64 // nanos the running slice may use
}

var errBudget = errors.New("budget exceeded")

// errHeap is the reason of a slice cut because the Go heap passed its limit.
// It does not count against the module whose slice happened to run: the
// module that holds the memory is found by memoryPressure.
var errHeap = errors.New("memory limit exceeded")

func newBudgetCtx() *budgetCtx {
	b := &budgetCtx{}
	ch := make(chan struct{})
	b.done.Store(&ch)
	return b
}

func (b *budgetCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (b *budgetCtx) Done() <-chan struct{}       { return *b.done.Load() }
func (b *budgetCtx) Value(any) any               { return nil }
func (b *budgetCtx) Err() error {
	select {
	case <-*b.done.Load():
		if r := b.reason.Load(); r != nil {
			return *r
		}
		return errBudget
	default:
		return nil
	}
}

// arm starts a slice, begun at now, that may run for limit.
func (b *budgetCtx) arm(limit time.Duration, now time.Time) {
	b.mu.Lock()
	b.freshLocked()
	b.limit.Store(int64(limit))
	b.armedAt.Store(now.UnixNano())
	b.mu.Unlock()
}

// freshLocked replaces a closed done channel.
func (b *budgetCtx) freshLocked() (wasClosed bool, reason error) {
	select {
	case <-*b.done.Load():
		reason = errBudget
		if r := b.reason.Load(); r != nil {
			reason = *r
		}
		ch := make(chan struct{})
		b.done.Store(&ch)
		b.reason.Store(nil)
		return true, reason
	default:
		return false, nil
	}
}

// disarm ends the slice and returns whether it was cut short, and why.
func (b *budgetCtx) disarm() (fired bool, reason error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armedAt.Store(0)
	return b.freshLocked()
}

// cutIf stops the running slice with reason(now) when over reports it should.
func (b *budgetCtx) cutIf(over func(armedAt, limit int64) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := b.armedAt.Load()
	if at == 0 {
		return
	}
	reason := over(at, b.limit.Load())
	if reason == nil {
		return
	}
	select {
	case <-*b.done.Load():
	default:
		b.reason.Store(&reason)
		close(*b.done.Load())
	}
}

// cutNow stops the running slice, if any, with reason.
func (b *budgetCtx) cutNow(reason error) {
	b.cutIf(func(int64, int64) error { return reason })
}

// watchdog checks every armed budget every tick and cuts slices that ran past
// their limit, and all running slices when the Go heap passes its limit. Its
// goroutine runs only while it watches something.
type watchdog struct {
	mu      sync.Mutex
	budgets map[*budgetCtx]*instance
	running bool // run's goroutine is up
	tick    time.Duration
	heapMax uint64
	onHeap  func() // handlers were cut for memory (called on its own goroutine)
}

func newWatchdog(tick time.Duration, heapMax uint64) *watchdog {
	return &watchdog{budgets: map[*budgetCtx]*instance{}, tick: tick, heapMax: heapMax}
}

func (w *watchdog) add(b *budgetCtx, in *instance) {
	w.mu.Lock()
	w.budgets[b] = in
	if !w.running {
		w.running = true
		go w.run()
	}
	w.mu.Unlock()
}

// instances lists the instances being watched.
func (w *watchdog) instances() []*instance {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*instance, 0, len(w.budgets))
	for _, in := range w.budgets {
		out = append(out, in)
	}
	return out
}

func (w *watchdog) remove(b *budgetCtx) {
	w.mu.Lock()
	delete(w.budgets, b)
	w.mu.Unlock()
}

func (w *watchdog) run() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	heapEvery := 0
	for range t.C {
		now := time.Now().UnixNano()
		w.mu.Lock()
		if len(w.budgets) == 0 {
			w.running = false // add starts a new one
			w.mu.Unlock()
			return
		}
		for b := range w.budgets {
			b.cutIf(func(at, limit int64) error {
				if now-at <= limit {
					return nil
				}
				return fmt.Errorf("CPU budget of %v exceeded (endless loop?)", time.Duration(limit).Round(time.Millisecond))
			})
		}
		w.mu.Unlock()
		heapEvery++
		if w.heapMax > 0 && heapEvery%2 == 0 {
			if h := heapBytes(); h > w.heapMax {
				w.mu.Lock()
				for b := range w.budgets {
					b.cutIf(func(int64, int64) error {
						return fmt.Errorf("%w: the engine's heap reached %d MiB (limit %d MiB) while this handler ran", errHeap, h>>20, w.heapMax>>20)
					})
				}
				w.mu.Unlock()
				// also when nothing ran: a module may hold the memory in
				// sleeping invocations or queued events (onHeap limits itself)
				if w.onHeap != nil {
					go w.onHeap()
				}
			}
		}
	}
}
