package bindings

// The mailbox and the owner goroutine: how other goroutines hand work to an
// instance (post, do) and the loop that runs it.

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// post queues work for the owner goroutine. Events are dropped (and counted)
// when the mailbox is full; nothing is queued after the loop has exited.
func (in *instance) post(m message) bool {
	in.mu.Lock()
	if in.closed || (m.ev != nil && len(in.queue) >= in.rt.cfg.MailboxSize) {
		full := !in.closed
		in.mu.Unlock()
		if m.ev != nil {
			in.dropped.Add(1)
		}
		if full {
			in.mailboxFull()
		}
		return false
	}
	in.queue = append(in.queue, m)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
	return true
}

// postCtrl queues fn on the control lane: the owner runs it before the next
// queued message (a stop does not wait behind the mailbox).
func (in *instance) postCtrl(fn func()) bool {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return false
	}
	in.ctrl = append(in.ctrl, fn)
	in.hasCtrl.Store(true)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
	return true
}

// runCtrl runs what the control lane holds (owner goroutine).
func (in *instance) runCtrl() {
	for in.hasCtrl.Load() {
		in.mu.Lock()
		fns := in.ctrl
		in.ctrl = nil
		in.hasCtrl.Store(false)
		in.mu.Unlock()
		for _, fn := range fns {
			if !in.exiting {
				fn()
			}
		}
	}
}

// mailboxFull reports, at most once a second, that events for this module are
// being dropped (any goroutine). It is not a strike: a module subscribed to
// what another one floods would be punished for the other's deed.
func (in *instance) mailboxFull() {
	now := time.Now().UnixNano()
	last := in.fullAt.Load()
	if now-last < int64(time.Second) || !in.fullAt.CompareAndSwap(last, now) {
		return
	}
	err := fmt.Errorf("mailbox full: %d events are waiting, later ones are dropped (%d so far); its handlers are slower than the events they subscribe to", in.rt.cfg.MailboxSize, in.dropped.Load())
	in.recordError(&invocation{what: "mailbox"}, &ScriptError{Module: in.name, What: "mailbox", Msg: err.Error()})
}

// Deliver implements engine.Target.
func (in *instance) Deliver(e *engine.Event, subs []*engine.Subscription) {
	in.post(message{ev: e, subs: subs})
}

func (in *instance) loop() {
	defer close(in.done)
	defer func() {
		in.mu.Lock()
		in.closed = true
		in.queue, in.ctrl = nil, nil
		in.mu.Unlock()
	}()
	for {
		<-in.signal
		in.runCtrl()
		in.drained()
		if in.exiting {
			return
		}
		in.mu.Lock()
		batch := in.queue
		in.queue = in.spare[:0]
		in.mu.Unlock()
		for i := range batch {
			if in.hasCtrl.Load() {
				in.runCtrl()
			}
			if in.exiting {
				return
			}
			m := &batch[i]
			switch {
			case m.ev != nil && (in.stopping || in.stopAsked && time.Now().After(in.stopBy)):
				in.dropped.Add(1) // delivered before the stop, but not drained in time
			case m.ev != nil:
				in.handleEvent(m.ev, m.subs)
			case m.fn != nil:
				m.fn()
			}
			*m = message{}
			if in.exiting {
				return
			}
		}
		in.spare = batch[:0]
		in.drained()
		if in.exiting {
			return
		}
	}
}

// do runs fn on the owner goroutine and waits for it (or for ctx).
func (in *instance) do(ctx context.Context, fn func()) error {
	ch := make(chan struct{})
	if !in.post(message{fn: func() { fn(); close(ch) }}) {
		return errNotRunning
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-in.done:
		return errNotRunning
	}
}

// doOnceStarted runs fn on the owner goroutine. It gives up (and fn is not
// run) if fn has not started within wait; once fn has started, it waits for
// it to finish, however long it takes.
func (in *instance) doOnceStarted(wait time.Duration, fn func()) error {
	var state atomic.Int32 // 0 queued, 1 started, 2 abandoned
	finished := make(chan struct{})
	if !in.post(message{fn: func() {
		if state.CompareAndSwap(0, 1) {
			fn()
		}
		close(finished)
	}}) {
		return errNotRunning
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-finished:
		return nil
	case <-in.done:
		return errNotRunning
	case <-timer.C:
		if state.CompareAndSwap(0, 2) {
			return context.DeadlineExceeded
		}
	}
	select { // started: wait for it
	case <-finished:
		return nil
	case <-in.done:
		return errNotRunning
	}
}
