package bindings

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// callee is the expression a CALL instruction calls, read back from the
// instructions that loaded it: a global (comand), a field chain rooted at a
// global (twitch.sendMessage), a method (store:gett), or a local or upvalue.
type callee struct {
	path   []string // names from the root: {"twitch", "sendMessage"}
	method bool     // the last name was called with ':'
	global bool     // path[0] is a global (else a local or upvalue)
}

func (c callee) String() string {
	if len(c.path) < 2 {
		return strings.Join(c.path, ".")
	}
	sep := "."
	if c.method {
		sep = ":"
	}
	return strings.Join(c.path[:len(c.path)-1], ".") + sep + c.path[len(c.path)-1]
}

const nonFunction = "attempt to call a non-function object"

// explainCall rewrites gopher-lua's "file:line: attempt to call a non-function
// object" into what the author meant: "file:line: twitch.sendMessage is nil —
// did you mean twitch.send_message?". It reads the calls compiled on that line
// and the module's globals as they are now; it runs on the owner goroutine and
// only on the error path. Any other message is returned as it is.
func (in *instance) explainCall(msg string) string {
	if m := indexError.FindStringSubmatchIndex(msg); m != nil {
		return in.explainIndex(msg, m)
	}
	i := strings.Index(msg, nonFunction)
	if i < 0 {
		return msg
	}
	where, proto, line, ok := in.errorSite(msg[:i])
	if !ok {
		return msg
	}
	var calls []callee
	walkProtos(proto, func(p *lua.FunctionProto) {
		for pc, inst := range p.Code {
			if op := opCode(inst); (op == lua.OP_CALL || op == lua.OP_TAILCALL) && lineAt(p, pc) == line {
				if c, ok := calleeAt(p, pc, argA(inst), 0); ok {
					calls = append(calls, c)
				}
			}
		}
	})
	// The culprit is the call whose value, looked up now, is not a function;
	// a local cannot be looked up after the fact, so it is named only when it
	// is the one call on the line.
	for _, c := range calls {
		if !c.global {
			continue
		}
		v, parent := in.lookup(c.path)
		if _, fn := v.(*lua.LFunction); fn {
			continue
		}
		return where + " " + in.describeValue(c, v, parent)
	}
	if len(calls) == 1 && !calls[0].global {
		return fmt.Sprintf("%s %s is not a function (nil or another value)", where, calls[0])
	}
	return msg
}

// errorSite reads "file:line:" in front of a message: the compiled file and
// the line.
func (in *instance) errorSite(prefix string) (where string, proto *lua.FunctionProto, line int, ok bool) {
	where = strings.TrimSuffix(prefix, " ")
	file, lineText, found := cutLast(strings.TrimSuffix(where, ":"), ":")
	line, err := strconv.Atoi(lineText)
	proto = in.protos[file]
	return where, proto, line, found && err == nil && proto != nil
}

// indexError is gopher-lua's message for t.key where t is not a table.
var indexError = regexp.MustCompile(`attempt to index a non-table object\((\w+)\) with key '([^']*)'`)

// explainIndex rewrites "attempt to index a non-table object(nil) with key
// 'send_message'" into "twitc is nil (indexed with 'send_message') — did you
// mean twitch?", from the instructions on the failing line that index with
// that key, like explainCall.
func (in *instance) explainIndex(msg string, m []int) string {
	typ, key := msg[m[2]:m[3]], msg[m[4]:m[5]]
	where, proto, line, ok := in.errorSite(msg[:m[0]])
	if !ok {
		return msg
	}
	var objs []callee
	walkProtos(proto, func(p *lua.FunctionProto) {
		for pc, inst := range p.Code {
			if lineAt(p, pc) != line {
				continue
			}
			var objReg, keyRK int
			switch opCode(inst) {
			case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
				objReg, keyRK = argB(inst), argC(inst)
			case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
				objReg, keyRK = argA(inst), argB(inst)
			default:
				continue
			}
			k, ok := rkString(p, keyRK)
			if !ok {
				k, ok = loadedString(p, pc, keyRK)
			}
			if !ok || k != key {
				continue
			}
			if c, ok := calleeAt(p, pc, objReg, 0); ok {
				objs = append(objs, c)
			}
		}
	})
	for _, c := range objs {
		if !c.global {
			continue
		}
		v, parent := in.lookup(c.path)
		if v.Type().String() != typ {
			continue
		}
		out := fmt.Sprintf("%s %s is %s (indexed with '%s')", where, c, typ, key)
		if v == lua.LNil && parent != nil {
			var names []string
			parent.ForEach(func(k, val lua.LValue) {
				if s, ok := k.(lua.LString); ok {
					if _, tbl := val.(*lua.LTable); tbl {
						names = append(names, string(s))
					}
				}
			})
			if s := nearest(c.path[len(c.path)-1], names); s != "" {
				prefix := strings.Join(c.path[:len(c.path)-1], ".")
				if prefix != "" {
					prefix += "."
				}
				out += " — did you mean " + prefix + s + "?"
			}
		}
		return out
	}
	if len(objs) == 1 && !objs[0].global {
		return fmt.Sprintf("%s %s is %s (indexed with '%s')", where, objs[0], typ, key)
	}
	return msg
}

// describeValue says what c is instead of a function, with the nearest name
// when it is nil.
func (in *instance) describeValue(c callee, v lua.LValue, parent *lua.LTable) string {
	if v != lua.LNil {
		return fmt.Sprintf("%s is a %s, not a function", c, v.Type())
	}
	msg := c.String() + " is nil"
	if parent == nil {
		return msg
	}
	var names []string
	parent.ForEach(func(k, val lua.LValue) {
		if s, ok := k.(lua.LString); ok {
			if _, fn := val.(*lua.LFunction); fn || parent == in.L.G.Global {
				names = append(names, string(s))
			}
		}
	})
	if s := nearest(c.path[len(c.path)-1], names); s != "" {
		prefix := strings.Join(c.path[:len(c.path)-1], ".")
		if prefix != "" {
			prefix += "."
		}
		msg += " — did you mean " + prefix + s + "?"
	}
	return msg
}

// lookup reads a global path raw (no metamethods run on the error path). It
// returns the value and the table it was looked up in, nil when a step before
// the last is not a table.
func (in *instance) lookup(path []string) (lua.LValue, *lua.LTable) {
	t := in.L.G.Global
	for i, name := range path {
		v := t.RawGetString(name)
		if i == len(path)-1 {
			return v, t
		}
		next, ok := v.(*lua.LTable)
		if !ok {
			return v, nil
		}
		t = next
	}
	return lua.LNil, nil
}

// calleeAt reads back what register reg holds at pc.
func calleeAt(p *lua.FunctionProto, pc, reg, depth int) (callee, bool) {
	if depth > 8 || reg >= rkConstant {
		return callee{}, false
	}
	if name, ok := localName(p, reg, pc); ok {
		return callee{path: []string{name}}, true
	}
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		if argA(inst) != reg && !(opCode(inst) == lua.OP_LOADNIL && reg >= argA(inst) && reg <= argB(inst)) {
			continue
		}
		switch opCode(inst) {
		case lua.OP_GETGLOBAL:
			name, ok := constString(p, argBx(inst))
			return callee{path: []string{name}, global: true}, ok
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			key, ok := rkString(p, argC(inst))
			if !ok {
				return callee{}, false
			}
			obj, ok := calleeAt(p, i, argB(inst), depth+1)
			if !ok {
				return callee{}, false
			}
			obj.path = append(obj.path, key)
			obj.method = opCode(inst) == lua.OP_SELF
			return obj, true
		case lua.OP_MOVE:
			return calleeAt(p, i, argB(inst), depth+1)
		case lua.OP_GETUPVAL:
			if b := argB(inst); b < len(p.DbgUpvalues) {
				return callee{path: []string{p.DbgUpvalues[b]}}, true
			}
			return callee{}, false
		case lua.OP_SETGLOBAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_SETUPVAL, lua.OP_EQ, lua.OP_LT,
			lua.OP_LE, lua.OP_TEST, lua.OP_JMP, lua.OP_RETURN, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP:
			continue // these read A, they do not write it
		default:
			return callee{}, false // a call's result, an expression: not a name
		}
	}
	return callee{}, false
}

// localName is the name of the local variable in register reg at pc.
func localName(p *lua.FunctionProto, reg, pc int) (string, bool) {
	n := reg + 1
	for i := 0; i < len(p.DbgLocals) && p.DbgLocals[i].StartPc <= pc; i++ {
		if pc < p.DbgLocals[i].EndPc {
			n--
			if n == 0 {
				return p.DbgLocals[i].Name, true
			}
		}
	}
	return "", false
}

var locationPrefix = regexp.MustCompile(`^([^\n]*?:\d+): `)

// atLine puts the "file:line" of err, the error Lua raised where a slice was
// cut (the instruction that was running), in front of reason: an endless loop
// is reported at the loop, not at the handler's first line.
func atLine(err, reason error) error {
	if err == nil {
		return reason
	}
	if m := locationPrefix.FindStringSubmatch(errorValue(err).String()); m != nil {
		return fmt.Errorf("%s: %w", m[1], reason)
	}
	return reason
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
