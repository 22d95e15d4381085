package safelib

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// tabSort is table.sort(t [, comp]) with a work budget. Stock gopher-lua
// compares strings byte by byte in Go with no look at the context, so sorting
// a thousand long strings that share a prefix ran for over a minute in one
// uninterruptible call. Here every comparison costs one unit plus one per KiB
// of the shorter string, the sort stops with an error past MaxSortWork units,
// and the context is checked every 1024 units. A comparator function runs as
// Lua (the VM checks the context itself) and must not wait.
//
// It sorts t[1..#t] like Lua 5.1 (elements read and written raw); on an error
// t is left unchanged.
func (lb *lib) tabSort(L *lua.LState) int {
	t := L.CheckTable(1)
	var cmp *lua.LFunction
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		cmp = L.CheckFunction(2)
	}
	n := t.Len()
	if n < 2 {
		return 0
	}
	vals := make([]lua.LValue, n)
	for i := range vals {
		vals[i] = t.RawGetInt(i + 1)
	}
	s := &sorter{L: L, vals: vals, cmp: cmp, limit: int64(lb.lim.MaxSortWork), next: 1024}
	sort.Sort(s)
	for i, v := range vals {
		t.RawSetInt(i+1, v)
	}
	return 0
}

type sorter struct {
	L     *lua.LState
	vals  []lua.LValue
	cmp   *lua.LFunction
	work  int64
	limit int64
	next  int64 // work at which the context is checked next
}

func (s *sorter) Len() int      { return len(s.vals) }
func (s *sorter) Swap(i, j int) { s.vals[i], s.vals[j] = s.vals[j], s.vals[i] }

func (s *sorter) Less(i, j int) bool {
	a, b := s.vals[i], s.vals[j]
	s.charge(1)
	if s.cmp != nil {
		s.L.Push(s.cmp)
		s.L.Push(a)
		s.L.Push(b)
		s.L.Call(2, 1)
		r := s.L.Get(-1)
		s.L.Pop(1)
		return lua.LVAsBool(r)
	}
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			return x < y
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			s.charge(int64(min(len(x), len(y)) >> 10))
			return strings.Compare(string(x), string(y)) < 0
		}
	}
	return s.L.LessThan(a, b) // metamethods, or Lua's "attempt to compare" error
}

// charge adds units of work, checking the budget and, now and then, the context.
func (s *sorter) charge(units int64) {
	s.work += units
	if s.work > s.limit {
		s.L.RaiseError("'sort': too much work: more than %d comparison units (sort fewer or shorter values)", s.limit)
	}
	if s.work >= s.next {
		s.next = s.work + 1024
		if ctx := s.L.Context(); ctx != nil {
			if err := ctx.Err(); err != nil {
				s.L.RaiseError("'sort': %s", fmt.Sprintf("execution cancelled: %v", err))
			}
		}
	}
}
