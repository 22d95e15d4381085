package safelib

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// checkEvery is how many matcher steps pass between two looks at the
// context. A step costs a few nanoseconds, so a cancelled context is seen
// within microseconds.
const checkEvery = 1024

const (
	capUnfinished = -1
	capPosition   = -2
)

// capture is one capture slot: start offset and length, or a capPosition /
// capUnfinished marker in len.
type capture struct{ start, len int }

type frameKind uint8

const (
	frameOpt    frameKind = iota // x? : the skip branch is left
	frameGreedy                  // x* / x+ : shorter runs are left
	frameLazy                    // x- : longer runs are left
)

// frame is one pending backtracking choice.
type frame struct {
	kind  frameKind
	pc    int // item to resume at (frameLazy: the quantified item itself)
	s     int // frameOpt/frameLazy: subject position; frameGreedy: base of the run
	n     int // frameGreedy: run length tried last
	trail int // length of the capture trail when the frame was pushed
}

// ErrTooComplex is wrapped by the matcher's step and depth errors.
var ErrTooComplex = errors.New("pattern too complex")

// matcher runs a program against one subject with a step budget. It holds
// its scratch space (captures, backtracking stack) so that a matcher taken
// from a state's free list allocates nothing per call.
//
// It never recurses: backtracking choices live on frames, whose number is
// bounded by maxDepth, and capture changes are undone through trail.
type matcher struct {
	prog  *program
	src   string
	caps  [maxCaptures]capture
	level int

	frames []frame
	trail  []int // capture index<<1 | 1 if it was a close, 0 if an open

	steps     int
	maxSteps  int
	maxDepth  int
	nextCheck int
	ctx       context.Context
	done      <-chan struct{}
	err       error
}

// reset prepares m for a new call: a fresh budget for prog on src.
func (m *matcher) reset(ctx context.Context, prog *program, src string, maxSteps, maxDepth int) {
	m.prog, m.src = prog, src
	m.steps, m.maxSteps, m.maxDepth = 0, maxSteps, maxDepth
	m.ctx, m.done, m.err = ctx, nil, nil
	if ctx != nil {
		m.done = ctx.Done()
	}
	m.nextCheck = min(checkEvery, maxSteps+1)
}

// release drops references so a pooled matcher does not pin big strings.
func (m *matcher) release() {
	m.prog, m.src, m.ctx, m.done = nil, "", nil, nil
}

// overBudget is called when steps reach nextCheck. It records an error in
// m.err and reports true when the call must stop.
func (m *matcher) overBudget() bool {
	if m.steps > m.maxSteps {
		m.err = fmt.Errorf("%w: more than %d steps", ErrTooComplex, m.maxSteps)
		return true
	}
	if m.done != nil {
		select {
		case <-m.done:
			m.err = cancelError(m.ctx.Err())
			return true
		default:
		}
	}
	m.nextCheck = min(m.steps+checkEvery, m.maxSteps+1)
	return false
}

// ErrCancelled is wrapped by the matcher's error when the state's context
// ended during a match; the context's own error is wrapped too.
var ErrCancelled = errors.New("execution cancelled")

func cancelError(cause error) error {
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%w (timeout): %w", ErrCancelled, cause)
	}
	return fmt.Errorf("%w: %w", ErrCancelled, cause)
}

// nextCandidate returns the first position >= s where a match could start,
// or -1. Positions skipped here would fail at the first item, so skipping
// them changes no result; it only saves steps.
func (m *matcher) nextCandidate(s int) int {
	prog := m.prog
	if prog.first == nil || s >= len(m.src) {
		if prog.first != nil {
			return -1 // the first item needs a byte
		}
		return s
	}
	if prog.firstOne {
		k := strings.IndexByte(m.src[s:], prog.firstByte)
		if k < 0 {
			return -1
		}
		return s + k
	}
	for ; s < len(m.src); s++ {
		if prog.first.has(m.src[s]) {
			return s
		}
	}
	return -1
}

// find looks for the first match at or after init (only at init when the
// program is anchored). On a match the captures are in m.caps[:m.level].
// When ok is false, m.err tells whether the budget ran out.
func (m *matcher) find(init int) (start, end int, ok bool) {
	for s := init; s <= len(m.src); s++ {
		if !m.prog.anchored {
			if s = m.nextCandidate(s); s < 0 {
				return 0, 0, false
			}
		}
		if e := m.run(s); e >= 0 {
			return s, e, true
		}
		if m.err != nil || m.prog.anchored {
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// push records a backtracking choice; false means the depth budget is spent.
func (m *matcher) push(f frame) bool {
	if len(m.frames) >= m.maxDepth {
		m.err = fmt.Errorf("%w: more than %d backtracking levels", ErrTooComplex, m.maxDepth)
		return false
	}
	f.trail = len(m.trail)
	m.frames = append(m.frames, f)
	return true
}

// undo rolls capture changes back to trail length n.
func (m *matcher) undo(n int) {
	for len(m.trail) > n {
		t := m.trail[len(m.trail)-1]
		m.trail = m.trail[:len(m.trail)-1]
		if t&1 == 1 {
			m.caps[t>>1].len = capUnfinished
		} else {
			m.level--
		}
	}
}

// run matches the program anchored at s. It returns the end of the match,
// or -1 on failure or when the budget ran out (then m.err is set).
//
// The order in which alternatives are tried is Lua 5.1's: greedy
// quantifiers longest first, '-' shortest first, '?' with the byte first.
func (m *matcher) run(s int) int {
	m.level = 0
	m.frames = m.frames[:0]
	m.trail = m.trail[:0]
	items := m.prog.items
	src := m.src
	pc := 0
	for {
		m.steps++
		if m.steps >= m.nextCheck && m.overBudget() {
			return -1
		}
		if pc == len(items) {
			return s
		}
		it := &items[pc]
		matched := true
		switch it.kind {
		case itemSingle:
			switch it.quant {
			case 0:
				if s < len(src) && it.set.has(src[s]) {
					s++
					pc++
				} else {
					matched = false
				}
			case '?':
				if s < len(src) && it.set.has(src[s]) {
					if !m.push(frame{kind: frameOpt, pc: pc + 1, s: s}) {
						return -1
					}
					s++
				}
				pc++
			case '*', '+':
				base := s
				if it.quant == '+' {
					if s >= len(src) || !it.set.has(src[s]) {
						matched = false
						break
					}
					base++
				}
				// Count the run, but never further than the budget allows.
				limit := len(src)
				if rest := m.maxSteps - m.steps + 1; rest < limit-base {
					limit = base + rest
				}
				e := base
				for e < limit && it.set.has(src[e]) {
					e++
				}
				m.steps += e - base
				if m.steps >= m.nextCheck && m.overBudget() {
					return -1
				}
				if e > base && !m.push(frame{kind: frameGreedy, pc: pc + 1, s: base, n: e - base}) {
					return -1
				}
				s = e
				pc++
			case '-':
				if !m.push(frame{kind: frameLazy, pc: pc, s: s}) {
					return -1
				}
				pc++
			}
		case itemOpen:
			m.caps[m.level] = capture{start: s, len: capUnfinished}
			m.level++
			m.trail = append(m.trail, it.idx<<1)
			pc++
		case itemPosition:
			m.caps[m.level] = capture{start: s, len: capPosition}
			m.level++
			m.trail = append(m.trail, it.idx<<1)
			pc++
		case itemClose:
			m.caps[it.idx].len = s - m.caps[it.idx].start
			m.trail = append(m.trail, it.idx<<1|1)
			pc++
		case itemBalance:
			e, ok := m.balance(s, it.x, it.y)
			if m.err != nil {
				return -1
			}
			if ok {
				s = e
				pc++
			} else {
				matched = false
			}
		case itemFrontier:
			var prev, cur byte
			if s > 0 {
				prev = src[s-1]
			}
			if s < len(src) {
				cur = src[s]
			}
			if !it.set.has(prev) && it.set.has(cur) {
				pc++
			} else {
				matched = false
			}
		case itemBackref:
			c := m.caps[it.idx]
			if c.len >= 0 && len(src)-s >= c.len && src[s:s+c.len] == src[c.start:c.start+c.len] {
				m.steps += c.len >> 4
				s += c.len
				pc++
			} else {
				matched = false
			}
		case itemEnd:
			if s == len(src) {
				pc++
			} else {
				matched = false
			}
		}
		if matched {
			continue
		}
		// Backtrack to the newest choice that still has an alternative.
		for {
			if len(m.frames) == 0 {
				return -1
			}
			f := &m.frames[len(m.frames)-1]
			m.undo(f.trail)
			if f.kind == frameOpt {
				s, pc = f.s, f.pc
				m.frames = m.frames[:len(m.frames)-1]
				break
			}
			if f.kind == frameGreedy {
				f.n--
				s, pc = f.s+f.n, f.pc
				if f.n == 0 {
					m.frames = m.frames[:len(m.frames)-1]
				}
				break
			}
			// frameLazy: take one more byte if the item allows it.
			if f.s < len(src) && items[f.pc].set.has(src[f.s]) {
				f.s++
				s, pc = f.s, f.pc+1
				break
			}
			m.frames = m.frames[:len(m.frames)-1]
			m.steps++
		}
	}
}

// balance matches %bxy at s and returns the position after the closing y.
func (m *matcher) balance(s int, x, y byte) (int, bool) {
	src := m.src
	if s >= len(src) || src[s] != x {
		return 0, false
	}
	depth := 1
	for k := s + 1; k < len(src); k++ {
		c := src[k]
		if c == y {
			depth--
			if depth == 0 {
				m.steps += (k - s) >> 4
				return k + 1, true
			}
		} else if c == x {
			depth++
		}
		if k&4095 == 0 {
			m.steps += 256
			if m.steps >= m.nextCheck && m.overBudget() {
				return 0, false
			}
		}
	}
	m.steps += (len(src) - s) >> 4
	return 0, false
}
