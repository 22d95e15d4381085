package bindings

import (
	"github.com/starstreamer/starstreamer/bindings/safelib"
	lua "github.com/yuin/gopher-lua"
)

// openSafe swaps gopher-lua's unbounded string, table and math functions for
// the budgeted ones of safelib: patterns with a step and depth budget that also
// checks the VM's context, size caps on rep/format/concat/gsub, bounded unpack,
// and a per-VM random source whose bad intervals are Lua errors, not Go panics.
func (rt *Runtime) openSafe(L *lua.LState) { safelib.Open(L, rt.cfg.SafeLimits) }
