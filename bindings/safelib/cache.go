package safelib

// cacheKey names a compiled pattern: the same text compiles differently for
// gmatch, where a leading '^' is not an anchor.
type cacheKey struct {
	pattern string
	gmatch  bool
}

type cacheEntry struct {
	key  cacheKey
	prog *program
	used bool // second-chance bit for the clock
}

// patternCache keeps at most len(ring) compiled patterns. Eviction is the
// clock algorithm: close to LRU, and a hit costs a map lookup and one store.
// It belongs to one LState, so it has no lock.
type patternCache struct {
	index map[cacheKey]int // key -> slot in ring
	ring  []cacheEntry
	hand  int
	// Hits and Misses count lookups, for tests and benchmarks.
	hits, misses int
}

func newPatternCache(size int) *patternCache {
	if size <= 0 {
		return nil
	}
	return &patternCache{index: make(map[cacheKey]int, size), ring: make([]cacheEntry, 0, size)}
}

func (c *patternCache) get(k cacheKey) *program {
	if c == nil {
		return nil
	}
	if slot, ok := c.index[k]; ok {
		c.hits++
		c.ring[slot].used = true
		return c.ring[slot].prog
	}
	c.misses++
	return nil
}

func (c *patternCache) put(k cacheKey, p *program) {
	if c == nil {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.index[k] = len(c.ring)
		c.ring = append(c.ring, cacheEntry{key: k, prog: p})
		return
	}
	for c.ring[c.hand].used {
		c.ring[c.hand].used = false
		c.hand = (c.hand + 1) % len(c.ring)
	}
	delete(c.index, c.ring[c.hand].key)
	c.ring[c.hand] = cacheEntry{key: k, prog: p}
	c.index[k] = c.hand
	c.hand = (c.hand + 1) % len(c.ring)
}

func (c *patternCache) len() int {
	if c == nil {
		return 0
	}
	return len(c.ring)
}
