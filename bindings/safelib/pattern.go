package safelib

import (
	"errors"
	"math/bits"
)

// maxCaptures is Lua 5.1's LUA_MAXCAPTURES.
const maxCaptures = 32

// specials are the bytes that make string.find leave its plain search
// (Lua 5.1's SPECIALS).
const specials = "^$*+?.([%-"

// charset is a 256-bit membership table: one bit per byte value.
type charset [4]uint64

func (cs *charset) has(c byte) bool { return cs[c>>6]&(1<<(c&63)) != 0 }
func (cs *charset) add(c byte)      { cs[c>>6] |= 1 << (c & 63) }

func (cs *charset) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		cs.add(byte(c))
	}
}

func (cs *charset) union(o *charset) {
	for i := range cs {
		cs[i] |= o[i]
	}
}

func (cs *charset) invert() {
	for i := range cs {
		cs[i] = ^cs[i]
	}
}

func (cs *charset) count() int {
	n := 0
	for _, w := range cs {
		n += bits.OnesCount64(w)
	}
	return n
}

// first returns the smallest member; only meaningful when count() > 0.
func (cs *charset) first() byte {
	for i, w := range cs {
		if w != 0 {
			return byte(i*64 + bits.TrailingZeros64(w))
		}
	}
	return 0
}

// classSets holds the %a, %c, ... classes in the C locale, as Lua 5.1 sees
// them; classKnown says which letters name a class.
var (
	classSets  [256]charset
	classKnown [256]bool
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isUpper := 'A' <= b && b <= 'Z'
		isLower := 'a' <= b && b <= 'z'
		isDigit := '0' <= b && b <= '9'
		isAlpha := isUpper || isLower
		isSpace := b == ' ' || (b >= '\t' && b <= '\r')
		isCntrl := b < 32 || b == 127
		isPunct := b > 32 && b < 127 && !isAlpha && !isDigit
		isXDigit := isDigit || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
		member := map[byte]bool{
			'a': isAlpha, 'c': isCntrl, 'd': isDigit, 'l': isLower, 'p': isPunct,
			's': isSpace, 'u': isUpper, 'w': isAlpha || isDigit, 'x': isXDigit, 'z': b == 0,
		}
		for cl, in := range member {
			if in {
				classSets[cl].add(b)
			}
		}
	}
	for _, cl := range []byte("acdlpsuwxz") {
		classKnown[cl] = true
		up := cl - 'a' + 'A'
		classKnown[up] = true
		classSets[up] = classSets[cl]
		classSets[up].invert()
	}
}

// addClass adds what "%cl" stands for: a class when cl names one, else cl
// itself (so "%." is a dot and "%]" a bracket).
func (cs *charset) addClass(cl byte) {
	if classKnown[cl] {
		cs.union(&classSets[cl])
		return
	}
	cs.add(cl)
}

type itemKind uint8

const (
	itemSingle   itemKind = iota // one byte of a set, maybe quantified
	itemOpen                     // '(' : capture start
	itemPosition                 // '()' : position capture
	itemClose                    // ')' : capture end
	itemBalance                  // %bxy
	itemFrontier                 // %f[set]
	itemBackref                  // %1 .. %9
	itemEnd                      // '$' as the last byte of the pattern
)

// item is one compiled pattern element.
type item struct {
	kind  itemKind
	quant byte // 0, '?', '*', '+', '-' (itemSingle only)
	x, y  byte // %bxy delimiters
	idx   int  // capture index (open, close, backref)
	set   charset
}

// program is a compiled pattern. It is immutable once built, so one program
// may serve any number of matches (and sits in the per-state cache).
type program struct {
	items    []item
	anchored bool // leading '^' (never in gmatch mode)
	ncap     int
	// first, when non-nil, is a set that the subject byte at the start of a
	// match must belong to; unanchored searches skip other positions.
	first *charset
	// firstByte is the only member of first when firstOne is set.
	firstByte byte
	firstOne  bool
}

// patternError is a malformed-pattern error, worded like Lua 5.1's.
type patternError string

func (e patternError) Error() string { return string(e) }

var errNoClose = errors.New("malformed pattern (missing ']')")

// compile translates a Lua 5.1 pattern. In gmatch mode a leading '^' is an
// ordinary byte, as in Lua 5.1's gmatch.
//
// Malformed patterns are rejected here, before any matching, even where Lua
// 5.1 would only notice when the matcher reached the faulty part.
func compile(p string, gmatch bool) (*program, error) {
	prog := &program{}
	i := 0
	if !gmatch && len(p) > 0 && p[0] == '^' {
		prog.anchored = true
		i = 1
	}
	var open []int // indices of captures not yet closed
	closed := 0    // bitmask of closed captures (including position ones)
	for i < len(p) {
		c := p[i]
		switch c {
		case '(':
			if prog.ncap >= maxCaptures {
				return nil, patternError("too many captures")
			}
			if i+1 < len(p) && p[i+1] == ')' {
				prog.items = append(prog.items, item{kind: itemPosition, idx: prog.ncap})
				closed |= 1 << prog.ncap
				prog.ncap++
				i += 2
				continue
			}
			prog.items = append(prog.items, item{kind: itemOpen, idx: prog.ncap})
			open = append(open, prog.ncap)
			prog.ncap++
			i++
			continue
		case ')':
			if len(open) == 0 {
				return nil, patternError("invalid pattern capture")
			}
			idx := open[len(open)-1]
			open = open[:len(open)-1]
			closed |= 1 << idx
			prog.items = append(prog.items, item{kind: itemClose, idx: idx})
			i++
			continue
		case '$':
			if i+1 == len(p) {
				prog.items = append(prog.items, item{kind: itemEnd})
				i++
				continue
			}
		case '%':
			if i+1 >= len(p) {
				return nil, patternError("malformed pattern (ends with '%')")
			}
			switch e := p[i+1]; {
			case e == 'b':
				if i+3 >= len(p) {
					return nil, patternError("malformed pattern (missing arguments to '%b')")
				}
				prog.items = append(prog.items, item{kind: itemBalance, x: p[i+2], y: p[i+3]})
				i += 4
				continue
			case e == 'f':
				i += 2
				if i >= len(p) || p[i] != '[' {
					return nil, patternError("missing '[' after '%f' in pattern")
				}
				set, next, err := parseSet(p, i)
				if err != nil {
					return nil, err
				}
				prog.items = append(prog.items, item{kind: itemFrontier, set: set})
				i = next
				continue
			case e >= '0' && e <= '9':
				l := int(e) - '1'
				if l < 0 || l >= prog.ncap || closed&(1<<l) == 0 {
					return nil, patternError("invalid capture index")
				}
				prog.items = append(prog.items, item{kind: itemBackref, idx: l})
				i += 2
				continue
			}
		}
		it := item{kind: itemSingle}
		next, err := parseSingle(p, i, &it.set)
		if err != nil {
			return nil, err
		}
		if next < len(p) {
			switch q := p[next]; q {
			case '?', '*', '+', '-':
				it.quant = q
				next++
			}
		}
		prog.items = append(prog.items, it)
		i = next
	}
	if len(open) > 0 {
		return nil, patternError("unfinished capture")
	}
	prog.setFirst()
	return prog, nil
}

// setFirst finds the set the first consumed byte must belong to, if any.
func (prog *program) setFirst() {
	for k := range prog.items {
		it := &prog.items[k]
		switch it.kind {
		case itemOpen, itemPosition:
			continue // consume nothing
		case itemSingle:
			if it.quant == 0 || it.quant == '+' {
				prog.first = &it.set
			}
		case itemBalance:
			var cs charset
			cs.add(it.x)
			prog.first = &cs
		}
		break
	}
	if prog.first != nil && prog.first.count() == 1 {
		prog.firstOne = true
		prog.firstByte = prog.first.first()
	}
}

// parseSingle reads one single-byte class at p[i] into cs and returns the
// index after it.
func parseSingle(p string, i int, cs *charset) (int, error) {
	switch p[i] {
	case '.':
		cs.invert() // every byte
		return i + 1, nil
	case '%':
		if i+1 >= len(p) {
			return 0, patternError("malformed pattern (ends with '%')")
		}
		cs.addClass(p[i+1])
		return i + 2, nil
	case '[':
		set, next, err := parseSet(p, i)
		*cs = set
		return next, err
	default:
		cs.add(p[i])
		return i + 1, nil
	}
}

// parseSet reads a set "[...]" starting at p[i] == '[' with Lua 5.1's rules:
// a ']' right after '[' or "[^" is a member, "%x" escapes, "a-z" ranges.
func parseSet(p string, i int) (charset, int, error) {
	var cs charset
	j := i + 1
	neg := false
	if j < len(p) && p[j] == '^' {
		neg = true
		j++
	}
	first := j
	// Find the closing ']' exactly as Lua's classEnd does.
	for {
		if j >= len(p) {
			return cs, 0, errNoClose
		}
		c := p[j]
		j++
		if c == '%' && j < len(p) {
			j++
		}
		if j >= len(p) {
			return cs, 0, errNoClose
		}
		if p[j] == ']' {
			break
		}
	}
	end := j // index of the closing ']'
	for k := first; k < end; k++ {
		switch {
		case p[k] == '%':
			k++
			cs.addClass(p[k])
		case k+1 < end && p[k+1] == '-' && k+2 < end:
			cs.addRange(p[k], p[k+2])
			k += 2
		default:
			cs.add(p[k])
		}
	}
	if neg {
		cs.invert()
	}
	return cs, end + 1, nil
}
