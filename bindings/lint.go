package bindings

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// The load-time static pass and the runtime explanation of "attempt to call a
// non-function object" both read compiled code: gopher-lua keeps Lua 5.1's
// instruction layout (opcode 6 bits, A 8, C 9, B 9; Bx 18), and its opcode
// numbers are exported (lua.OP_GETGLOBAL, ...).

func opCode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }

const rkConstant = 1 << 8 // an RK operand with this bit is a constant index

// rkString is the constant string an RK operand names, if it is one.
func rkString(p *lua.FunctionProto, rk int) (string, bool) {
	if rk&rkConstant == 0 {
		return "", false
	}
	k := rk &^ rkConstant
	if k >= len(p.Constants) {
		return "", false
	}
	s, ok := p.Constants[k].(lua.LString)
	return string(s), ok
}

func constString(p *lua.FunctionProto, k int) (string, bool) {
	if k >= len(p.Constants) {
		return "", false
	}
	s, ok := p.Constants[k].(lua.LString)
	return string(s), ok
}

func lineAt(p *lua.FunctionProto, pc int) int {
	if pc >= 0 && pc < len(p.DbgSourcePositions) {
		return p.DbgSourcePositions[pc]
	}
	return p.LineDefined
}

// apiTables are the binding tables whose fields the static pass checks (every
// namespace of the binding table's docs, and Lua's libraries); a constant
// field that a fresh module VM lacks is almost surely a typo.
var apiTables = sync.OnceValue(func() map[string]bool {
	t := map[string]bool{"string": true, "table": true, "math": true, "os": true, "coroutine": true}
	for _, d := range Docs() {
		if ns, _, ok := strings.Cut(d.Name, "."); ok {
			t[ns] = true
		}
	}
	return t
})

// knownNames is what every module VM defines before its script runs: its
// globals and the fields of its API tables.
type knownNames struct {
	globals map[string]bool
	fields  map[string]map[string]bool
}

// vmNames reads the names of a fresh module VM (L must be one whose script
// has not run): a few hundred table entries, read once per load.
func vmNames(L *lua.LState) *knownNames {
	k := &knownNames{globals: map[string]bool{}, fields: map[string]map[string]bool{}}
	L.G.Global.ForEach(func(key, v lua.LValue) {
		name, ok := key.(lua.LString)
		if !ok {
			return
		}
		k.globals[string(name)] = true
		if t, ok := v.(*lua.LTable); ok && apiTables()[string(name)] {
			f := map[string]bool{}
			t.ForEach(func(fk, _ lua.LValue) {
				if s, ok := fk.(lua.LString); ok {
					f[string(s)] = true
				}
			})
			k.fields[string(name)] = f
		}
	})
	for _, d := range Docs() { // defined by the script, but part of the API
		if !strings.Contains(d.Name, ".") {
			k.globals[d.Name] = true
		}
	}
	return k
}

// dynamicGlobals are globals through which a script can define other globals
// without a plain assignment; a script that uses them gets no unknown-global
// warnings, since the pass could not tell them apart from typos.
var dynamicGlobals = map[string]bool{"_G": true, "rawset": true, "load": true, "loadstring": true, "setfenv": true}

// lintProtos warns about what a script reads but nothing defines: globals that
// are neither the engine's nor assigned anywhere in the module (defined lists
// the globals other files of the module assign), and constant fields of the
// engine's API tables that do not exist. Warnings read "file:line: ...", one
// per name. It never rejects a script: a warning may be a false alarm when a
// script defines names in ways the pass cannot see.
func lintProtos(k *knownNames, protos []*lua.FunctionProto, defined map[string]bool) []string {
	sets := map[string]bool{}
	for n := range defined {
		sets[n] = true
	}
	dynamic := false
	// Constant keys the module assigns to any table: `function twitch.x()`
	// adds a field to an API table, and the pass does not follow which table
	// a register holds, so such a key is never reported.
	assigned := map[string]bool{}
	for _, p := range protos {
		walkProtos(p, func(p *lua.FunctionProto) {
			for pc, inst := range p.Code {
				switch opCode(inst) {
				case lua.OP_SETGLOBAL:
					if s, ok := constString(p, argBx(inst)); ok {
						sets[s] = true
					}
				case lua.OP_GETGLOBAL:
					if s, ok := constString(p, argBx(inst)); ok && dynamicGlobals[s] {
						dynamic = true
					}
				case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
					if key, ok := rkString(p, argB(inst)); ok {
						assigned[key] = true
					} else if key, ok := loadedString(p, pc, argB(inst)); ok {
						assigned[key] = true // `function t.name()` loads its key first
					}
				}
			}
		})
	}
	var out []string
	seen := map[string]bool{}
	warn := func(p *lua.FunctionProto, pc int, key, msg string) {
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, fmt.Sprintf("%s:%d: %s", p.SourceName, lineAt(p, pc), msg))
	}
	for _, p := range protos {
		walkProtos(p, func(p *lua.FunctionProto) {
			for pc, inst := range p.Code {
				switch opCode(inst) {
				case lua.OP_GETGLOBAL:
					name, ok := constString(p, argBx(inst))
					if !ok || dynamic || k.globals[name] || sets[name] {
						continue
					}
					msg := fmt.Sprintf("%s is not defined anywhere (a global nobody sets is nil)", name)
					if s := nearest(name, keys(k.globals, sets)); s != "" {
						msg = fmt.Sprintf("%s is not defined anywhere — did you mean %s?", name, s)
					}
					warn(p, pc, "g:"+name, msg)
				case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
					tbl, ok := globalIn(p, pc, argB(inst))
					if !ok || sets[tbl] {
						continue
					}
					fields, ok := k.fields[tbl]
					if !ok {
						continue
					}
					key, ok := rkString(p, argC(inst))
					if !ok || fields[key] || assigned[key] {
						continue
					}
					sep := "."
					if opCode(inst) == lua.OP_SELF {
						sep = ":"
					}
					msg := fmt.Sprintf("%s%s%s does not exist", tbl, sep, key)
					if s := nearest(key, keys(fields)); s != "" {
						msg = fmt.Sprintf("%s%s%s does not exist — did you mean %s.%s?", tbl, sep, key, tbl, s)
					}
					warn(p, pc, "f:"+tbl+"."+key, msg)
				}
			}
		})
	}
	return out
}

// globalIn reports the global that register reg holds at pc, when the
// instruction right before pc loaded it with GETGLOBAL (the shape of every
// `twitch.x` and `twitch:x`). Anything else is not guessed at.
func globalIn(p *lua.FunctionProto, pc, reg int) (string, bool) {
	if reg >= rkConstant || pc == 0 {
		return "", false
	}
	prev := p.Code[pc-1]
	if opCode(prev) != lua.OP_GETGLOBAL || argA(prev) != reg {
		return "", false
	}
	return constString(p, argBx(prev))
}

// loadedString is the string constant the nearest LOADK before pc put in reg.
func loadedString(p *lua.FunctionProto, pc, reg int) (string, bool) {
	for i := pc - 1; i >= 0; i-- {
		if in := p.Code[i]; opCode(in) == lua.OP_LOADK && argA(in) == reg {
			return constString(p, argBx(in))
		}
	}
	return "", false
}

func walkProtos(p *lua.FunctionProto, fn func(*lua.FunctionProto)) {
	fn(p)
	for _, c := range p.FunctionPrototypes {
		walkProtos(c, fn)
	}
}

func keys(sets ...map[string]bool) []string {
	var out []string
	for _, s := range sets {
		for k := range s {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// nearest returns the candidate closest to name: equal but for case and
// underscores (sendMessage, send_message), or within a small edit distance.
// "" when nothing is close.
func nearest(name string, candidates []string) string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	n := norm(name)
	best, bestD := "", 1<<30
	limit := 1
	if len(name) >= 5 {
		limit = 2
	}
	for _, c := range candidates {
		if c == name || strings.HasPrefix(c, "_") {
			continue
		}
		d := editDistance(n, norm(c))
		if d == 0 {
			return c
		}
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the edit distance of a and b counting a swap of two
// neighbours as one edit (inof -> info), as typos go.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
