package obs

import "sync"

// itemKind says what a queued item carries.
type itemKind int

const (
	kindEvent        itemKind = iota // an OBS event decoded by goobs
	kindConnected                    // a session became live
	kindDisconnected                 // a session ended
	kindStop                         // Run is returning: the mapper stops
)

// item is one entry of the event queue. The connection markers travel in the
// same queue as the events, so obs.connected / obs.disconnected keep their
// place relative to the events of the session.
type item struct {
	kind   itemKind
	event  any    // kindEvent
	reason string // kindConnected, kindDisconnected
	scene  string // kindConnected: the program scene when the session began
}

// maxQueue bounds the queue so that an Emit that stops returning cannot eat
// all memory; items past it are dropped and counted.
const maxQueue = 1 << 16

// queue is an unbounded-in-practice FIFO between the goroutine that drains
// goobs' event channel (which must never wait) and the mapper (which may
// wait on requests and on Emit).
type queue struct {
	mu      sync.Mutex
	items   []item
	ready   chan struct{} // holds a token while items may be waiting
	dropped int64
}

func newQueue() *queue {
	return &queue{ready: make(chan struct{}, 1)}
}

// push appends it and reports false when the queue was full and it was dropped.
// Markers are never dropped.
func (q *queue) push(it item) bool {
	q.mu.Lock()
	if it.kind == kindEvent && len(q.items) >= maxQueue {
		q.dropped++
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// popAll takes every waiting item. buf, a slice the caller is done with, is
// reused as the next backing array.
func (q *queue) popAll(buf []item) []item {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	clear(buf)
	q.items = buf[:0]
	return out
}

func (q *queue) droppedCount() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
