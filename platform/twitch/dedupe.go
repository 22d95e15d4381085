package twitch

import "sync"

// dedupe remembers the last size message ids (EventSub delivers at least
// once) and forgets the oldest first.
type dedupe struct {
	mu   sync.Mutex
	ring []string
	pos  int
	seen map[string]struct{}
}

func newDedupe(size int) *dedupe {
	return &dedupe{ring: make([]string, size), seen: make(map[string]struct{}, size)}
}

// seenBefore records id and reports whether it was already recorded. The
// empty id is never a duplicate.
func (d *dedupe) seenBefore(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return true
	}
	if old := d.ring[d.pos]; old != "" {
		delete(d.seen, old)
	}
	d.ring[d.pos] = id
	d.seen[id] = struct{}{}
	d.pos = (d.pos + 1) % len(d.ring)
	return false
}
