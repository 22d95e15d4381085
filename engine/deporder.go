package engine

import (
	"context"
	"slices"
	"sort"
)

// depOrder sorts the names of pending so that dependencies come first; names on
// a cycle are returned separately.
func depOrder[T any](pending map[string]T, deps func(T) []string) (order, cyclic []string) {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			i := slices.Index(stack, n)
			for _, c := range append(stack[i:], n) {
				if !slices.Contains(cyclic, c) {
					cyclic = append(cyclic, c)
				}
			}
			return false
		case done:
			return true
		}
		state[n] = visiting
		stack = append(stack, n)
		ok := true
		for _, d := range deps(pending[n]) {
			if _, isPending := pending[d]; isPending && !visit(d) {
				ok = false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		if !slices.Contains(cyclic, n) {
			// also when a dependency is on a cycle: finish then marks n failed
			// (and stops its instance) instead of leaving it loaded and unlisted
			order = append(order, n)
		}
		return ok
	}
	names := make([]string, 0, len(pending))
	for n := range pending {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		visit(n)
	}
	return order, cyclic
}

// retryDependents loads the modules that failed only because name was not running.
func (r *Registry) retryDependents(ctx context.Context, name string) {
	r.mu.RLock()
	var retry []*module
	for _, m := range r.mods {
		m.mu.Lock()
		if m.depErr && m.inst == nil && slices.Contains(m.info.Dependencies, name) {
			retry = append(retry, m)
		}
		m.mu.Unlock()
	}
	r.mu.RUnlock()
	for _, m := range retry {
		go func() { _ = r.Load(ctx, m.name) }()
	}
}
