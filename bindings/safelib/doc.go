// Package safelib replaces the gopher-lua library functions that an
// untrusted script can turn against the process (docs/design.md, Sandbox):
// the pattern functions, which recurse once per subject byte and have no
// step limit, and the functions that build strings or value lists of any
// size. A VM builder calls Open after OpenBase, OpenString, OpenTable,
// OpenMath and OpenCoroutine:
//
//	L := lua.NewState(lua.Options{SkipOpenLibs: true})
//	// ... open the safe libraries ...
//	safelib.Open(L, safelib.DefaultLimits())
//
// There are only a few central types: Limits, which bounds one call of a
// replaced function; program, a compiled Lua 5.1 pattern; and matcher,
// which runs a program with an explicit backtracking stack (no Go
// recursion), a step budget, and a look at L.Context() every 1024 steps.
//
// Open replaces string.find, match, gmatch (and gfind), gsub, rep, format
// and byte, table.concat and table.sort (a work budget: stock gopher-lua
// compares long strings byte by byte with no look at the context), os.date
// (a bounded format), unpack, select, math.random and math.randomseed.
// Each LState gets its own bounded cache of compiled patterns, its own
// spare matchers and its own random generator.
//
// Errors read like Lua's own and carry the script position, for example:
//
//	bad argument #2 to 'rep' (resulting string too large: max 1048576 bytes)
//	'find': pattern too complex: more than 1000000 steps (simplify the pattern or match a shorter string)
//	'find': execution cancelled (timeout): context deadline exceeded
//
// # Caveats
//
//   - A gsub replacement function (or a replacement table's __index) is
//     called with L.Call: it must not yield. A binding that yields inside
//     it misbehaves as described in GOPHER-LUA.md; the scheduler's yield
//     guard must refuse it.
//   - Malformed patterns are rejected before matching, even where Lua 5.1
//     would only fail once the matcher reached the faulty part.
//   - Step budgets are per call: one find, match or gsub call, or one call
//     of a gmatch iterator. A gsub over a very long subject with a pattern
//     that matches almost everywhere may need a larger MaxPatternSteps.
//   - The depth budget counts pending backtracking choices ('?', '*', '+',
//     '-' items on the current path), so it also caps how many quantified
//     items a pattern may have.
//   - The concatenation operator (..) is part of the VM, not of a library:
//     a script can still double a string until memory runs out. Only the
//     heap watchdog stops that.
//   - unpack pushes up to MaxUnpack values: keep it below the LState's
//     RegistryMaxSize, or a registry overflow is raised inside a Go function.
//   - Deviations from gopher-lua's stock library, all towards Lua 5.1:
//     %f frontiers and ranges like [%a-z] work; '^' in gmatch is a literal;
//     "%x" in a gsub replacement stands for x; table.concat errors on a
//     missing element instead of stopping early; string.format formats
//     numbers as C does (%x of -1, %g precision 6, inf, nan). A '%' ending
//     a gsub replacement is an error (Lua 5.1 silently added a NUL byte).
package safelib
