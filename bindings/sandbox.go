package bindings

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Compile limits. gopher-lua's compiler is one Go call that nothing
// interrupts, so what it is given is checked first:
//
//   - maxSourceBytes: parsing and compiling cost about 0.3 ms per KiB, so one
//     chunk (a script file, a file it requires, load()'s text) stays under
//     ~100 ms.
//   - maxASTDepth: the compiler recurses once per nesting level, and a deep
//     enough nest is a fatal Go stack overflow.
//   - maxConstWork: the compiler finds each constant (string, number, global
//     or field name) by a linear search of the function's constants so far,
//     so 110k distinct constants took 56 s. The search is simulated on the
//     AST and a chunk costing more than maxConstWork comparisons (~70 ms) is
//     refused.
const (
	maxSourceBytes = 256 << 10
	maxASTDepth    = 200
	maxConstWork   = 2_000_000
)

// vmOptions are the LState options of every module VM: a bounded call depth
// (runaway recursion is a Lua error), a value stack that may grow but not
// without end, and stacks that shrink back (a coroutine costs ~17 KB, not 100+).
var vmOptions = lua.Options{
	CallStackSize:       200,
	RegistrySize:        1024,
	RegistryMaxSize:     128 * 1024,
	RegistryGrowStep:    256,
	SkipOpenLibs:        true,
	MinimizeStackMemory: true,
}

// compileLua compiles Lua text after checking its size and nesting depth.
// Errors read "file:line: message" like Lua's own.
func compileLua(code []byte, name string) (*lua.FunctionProto, error) {
	if len(code) > maxSourceBytes {
		return nil, fmt.Errorf("%s: %d bytes, at most %d allowed", name, len(code), maxSourceBytes)
	}
	if bytes.HasPrefix(code, []byte("\x1bLua")) {
		return nil, fmt.Errorf("%s: precompiled bytecode is not allowed", name)
	}
	chunk, err := parse.Parse(bytes.NewReader(code), name)
	if err != nil {
		if strings.Contains(err.Error(), " at EOF:") {
			return nil, errors.New(unclosedAtEOF(code, name))
		}
		return nil, errors.New(cleanParseError(err, name))
	}
	if err := checkAST(chunk); err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return proto, nil
}

// cleanParseError turns gopher-lua's "name line:3(column:5) near 'x':   syntax error"
// into "name:3: syntax error near 'x'".
func cleanParseError(err error, name string) string {
	msg := err.Error()
	var line, col int
	var rest string
	if i := strings.Index(msg, "line:"); i >= 0 {
		if n, _ := fmt.Sscanf(msg[i:], "line:%d(column:%d)", &line, &col); n == 2 {
			if j := strings.Index(msg[i:], ")"); j >= 0 {
				rest = strings.TrimSpace(msg[i+j+1:])
			}
			near := ""
			if strings.HasPrefix(rest, "near") {
				if k := strings.Index(rest, ":"); k >= 0 {
					near = " " + strings.TrimSpace(rest[:k])
					rest = strings.TrimSpace(rest[k+1:])
				}
			}
			return fmt.Sprintf("%s:%d: %s%s", name, line, rest, near)
		}
	}
	return name + ": " + msg
}

var (
	stmtType = reflect.TypeOf((*ast.Stmt)(nil)).Elem()
	exprType = reflect.TypeOf((*ast.Expr)(nil)).Elem()
)

// astError is a refusal of checkAST: "line: message".
type astError struct {
	line int
	msg  string
}

func (e *astError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

// constScope simulates one function's constant table during checkAST.
type constScope struct {
	index map[string]int
	line  int
}

// checkAST walks the AST, with a walk that itself stops at the limits, and
// refuses code nested deeper than maxASTDepth or whose constants would cost
// the compiler more than maxConstWork comparisons.
func checkAST(chunk []ast.Stmt) error {
	var (
		failed *astError
		scopes = []*constScope{{index: map[string]int{}, line: 1}}
		work   int
	)
	ref := func(key string) {
		sc := scopes[len(scopes)-1]
		if i, ok := sc.index[key]; ok {
			work += i + 1
		} else {
			work += len(sc.index)
			sc.index[key] = len(sc.index)
		}
		if work > maxConstWork && failed == nil {
			failed = &astError{line: sc.line, msg: "too many distinct constants (strings, numbers, global and field names) in one function: split the data into several functions or files"}
		}
	}
	var walk func(v reflect.Value, depth int) bool
	walk = func(v reflect.Value, depth int) bool {
		if failed != nil {
			return false
		}
		switch v.Kind() {
		case reflect.Interface:
			if v.IsNil() {
				return true
			}
			if v.Type() == stmtType || v.Type() == exprType {
				depth++
				if depth > maxASTDepth {
					line := 0
					if n, ok := v.Interface().(interface{ Line() int }); ok {
						line = n.Line()
					}
					failed = &astError{line: line, msg: fmt.Sprintf("code nested more than %d levels deep", maxASTDepth)}
					return false
				}
			}
			return walk(v.Elem(), depth)
		case reflect.Pointer:
			if v.IsNil() {
				return true
			}
			switch n := v.Interface().(type) {
			case *ast.StringExpr:
				ref("s" + n.Value)
			case *ast.NumberExpr:
				ref("n" + n.Value)
			case *ast.IdentExpr:
				ref("s" + n.Value) // a local costs nothing; counting it too errs on the safe side
			case *ast.FuncCallExpr:
				if n.Method != "" {
					ref("s" + n.Method)
				}
			case *ast.FunctionExpr:
				scopes = append(scopes, &constScope{index: map[string]int{}, line: n.Line()})
				ok := walk(v.Elem(), depth)
				scopes = scopes[:len(scopes)-1]
				return ok
			}
			return walk(v.Elem(), depth)
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() && !walk(v.Field(i), depth) {
					return false
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				if !walk(v.Index(i), depth) {
					return false
				}
			}
		}
		return true
	}
	walk(reflect.ValueOf(chunk), 0)
	if failed != nil {
		return failed
	}
	return nil
}

// protoCache keeps compiled chunks by content hash: compile once, run per VM.
type protoCache struct {
	mu sync.Mutex
	m  map[string]*lua.FunctionProto
}

const protoCacheMax = 256

func (c *protoCache) get(key string, compile func() (*lua.FunctionProto, error)) (*lua.FunctionProto, error) {
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := compile()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= protoCacheMax {
		c.m = map[string]*lua.FunctionProto{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p, nil
}

// fakeableTime replaces os.time() (no argument) with the runtime's clock, so
// script tests can move time; os.time{...} keeps Lua's meaning.
func fakeableTime(L *lua.LState, now func() time.Time) {
	os, ok := L.GetGlobal("os").(*lua.LTable)
	if !ok {
		return
	}
	stock, _ := os.RawGetString("time").(*lua.LFunction)
	os.RawSetString("time", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 0 || L.Get(1) == lua.LNil {
			L.Push(lua.LNumber(now().Unix()))
			return 1
		}
		return stock.GFunction(L)
	}))
}

// openSandbox opens the safe libraries in L and removes every way out: no io,
// no os but time/date/clock, no debug, no package, no dofile/loadfile, no
// collectgarbage (it stops the world for every VM), no getfenv/setfenv.
func openSandbox(L *lua.LState) {
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "collectgarbage", "_printregs", "module", "require", "getfenv", "setfenv", "newproxy", "_VERSION", "channel"} {
		L.SetGlobal(name, lua.LNil)
	}
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		safe := L.NewTable()
		for _, name := range []string{"time", "date", "clock", "difftime"} {
			safe.RawSetString(name, os.RawGetString(name))
		}
		L.SetGlobal("os", safe)
	}
	L.SetGlobal("package", lua.LNil)
	L.SetGlobal("_VERSION", lua.LString("Lua 5.1"))
}
