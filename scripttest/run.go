package scripttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// FileTimeout bounds the run time of one test file.
var FileTimeout = 2 * time.Minute

// Run runs the script tests under path: one *_test.lua file, or every such
// file below a folder. It writes a report to out ("ok"/"FAIL" per file, each
// failure with file:line) and returns how many tests failed; a test file that
// does not load counts as one failure. err is for a path that cannot be read.
func Run(path string, out io.Writer) (failed int, err error) {
	files, err := Files(path)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		fmt.Fprintf(out, "no *_test.lua files under %s\n", path)
		return 0, nil
	}
	for _, f := range files {
		res := RunFile(f, nil)
		res.Report(out)
		failed += res.Failed()
	}
	return failed, nil
}

// Files lists the test files path names, sorted: path itself when it is a
// *_test.lua file; a module's tests when it is a module file (NAME.lua: the
// NAME_test.lua beside it; a folder module's init.lua or other file: the
// *_test.lua files of its folder); every *_test.lua below it when it is a
// folder. A module without tests is an error that says where they go.
func Files(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("script tests: %w", err)
	}
	if !fi.IsDir() {
		return moduleTests(path)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), "_test.lua") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// moduleTests is Files for a path that is a file.
func moduleTests(path string) ([]string, error) {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, "_test.lua"):
		return []string{path}, nil
	case !strings.HasSuffix(base, ".lua"):
		return nil, fmt.Errorf("script tests: %s is not a Lua file: give a *_test.lua file, a module or a folder", path)
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(filepath.Join(dir, "init.lua")); err == nil {
		files, err := Files(dir) // a file of a folder module: the folder's tests
		if err == nil && len(files) == 0 {
			err = fmt.Errorf("script tests: module %s has no tests yet: write them in %s (see docs/script-tests.md)", filepath.Base(dir), filepath.Join(dir, filepath.Base(dir)+"_test.lua"))
		}
		return files, err
	}
	test := strings.TrimSuffix(path, ".lua") + "_test.lua"
	if _, err := os.Stat(test); err != nil {
		return nil, fmt.Errorf("script tests: module %s has no tests yet: write them in %s (see docs/script-tests.md)", strings.TrimSuffix(base, ".lua"), test)
	}
	return []string{test}, nil
}

// Result is the outcome of one test file.
type Result struct {
	File  string
	Tests []TestResult
	Err   error // the file itself did not load or run
}

// TestResult is the outcome of one test(...) of a file.
type TestResult struct {
	Name     string
	Failures []string // "file:line: message"
	Duration time.Duration
}

// Failed counts failed tests (a file that did not run counts as one).
func (r Result) Failed() int {
	n := 0
	if r.Err != nil {
		n++
	}
	for _, t := range r.Tests {
		if len(t.Failures) > 0 {
			n++
		}
	}
	return n
}

// Report writes the result in the style of go test.
func (r Result) Report(out io.Writer) {
	for _, t := range r.Tests {
		if len(t.Failures) > 0 {
			fmt.Fprintf(out, "--- FAIL: %s (%.2fs)\n", t.Name, t.Duration.Seconds())
			for _, f := range t.Failures {
				fmt.Fprintf(out, "    %s\n", f)
			}
		}
	}
	if r.Err != nil {
		fmt.Fprintf(out, "FAIL\t%s\t%v\n", r.File, r.Err)
		return
	}
	status := "ok"
	if r.Failed() > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(out, "%s\t%s\t%d tests, %d failed\n", status, r.File, len(r.Tests), r.Failed())
}

// target finds the scripts folder and the module a test file tests:
// scripts/chat_test.lua -> (scripts, chat); scripts/rpg/x_test.lua -> (scripts, rpg).
func target(file string) (root, module string, err error) {
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "init.lua")); err == nil {
		return filepath.Dir(dir), filepath.Base(dir), nil
	}
	name := strings.TrimSuffix(filepath.Base(file), "_test.lua")
	if _, err := os.Stat(filepath.Join(dir, name+".lua")); err == nil {
		return dir, name, nil
	}
	if _, err := os.Stat(filepath.Join(dir, name, "init.lua")); err == nil {
		return dir, name, nil
	}
	return "", "", fmt.Errorf("%s tests no module: expected %s.lua or %s/init.lua beside it", file, name, name)
}

// RunFile runs one test file. log receives the engine's logs (nil: none).
func RunFile(file string, log *slog.Logger) Result {
	res := Result{File: file}
	if log == nil {
		log = discardLogger()
	}
	root, module, err := target(file)
	if err != nil {
		res.Err = err
		return res
	}
	code, err := readTestFile(file)
	if err != nil {
		res.Err = err
		return res
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024})
	defer L.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, n := range []string{"dofile", "loadfile", "collectgarbage", "require", "module"} {
		L.SetGlobal(n, lua.LNil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), FileTimeout)
	defer cancel()
	L.SetContext(ctx)
	required := map[string]lua.LValue{}
	L.SetGlobal("require", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		if v, ok := required[name]; ok {
			L.Push(v)
			return 1
		}
		src, ok := stdlib.Source(name)
		if !ok {
			L.RaiseError("require %q: test files can require the standard library only", name)
		}
		fn, err := L.Load(strings.NewReader(string(src)), "stdlib/"+name+".lua")
		if err != nil {
			L.RaiseError("require %q: %v", name, err)
		}
		L.Push(fn)
		L.Call(0, 1)
		required[name] = L.Get(-1)
		return 1
	}))
	type pending struct {
		name string
		fn   *lua.LFunction
	}
	var tests []pending
	L.SetGlobal("test", L.NewFunction(func(L *lua.LState) int {
		tests = append(tests, pending{L.CheckString(1), L.CheckFunction(2)})
		return 0
	}))
	fn, err := L.Load(strings.NewReader(string(code)), file)
	if err != nil {
		res.Err = err
		return res
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		res.Err = err
		return res
	}
	for _, p := range tests {
		res.Tests = append(res.Tests, runTest(L, p.name, p.fn, root, module, log))
		if ctx.Err() != nil {
			res.Err = fmt.Errorf("test file ran longer than %v", FileTimeout)
			break
		}
	}
	return res
}

// errStop unwinds a test after a failed assertion.
const stopMarker = "\x00scripttest: stop"

func runTest(L *lua.LState, name string, fn *lua.LFunction, root, module string, log *slog.Logger) TestResult {
	start := time.Now()
	tr := TestResult{Name: name}
	e, err := newEnv(root, log)
	if err != nil {
		tr.Failures = append(tr.Failures, err.Error())
		return tr
	}
	defer e.close()
	if err := e.load(module); err != nil {
		tr.Failures = append(tr.Failures, fmt.Sprintf("module %s did not load: %v", module, err))
		return tr
	}
	api := &testAPI{env: e, module: module, result: &tr}
	t := api.table(L)
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, t); err != nil {
		msg := err.Error()
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			msg = lua.LVAsString(apiErr.Object)
		}
		if !strings.Contains(msg, stopMarker) {
			tr.Failures = append(tr.Failures, "error: "+msg)
		}
	}
	if len(tr.Failures) == 0 {
		tr.Failures = append(tr.Failures, api.finish()...)
	}
	if len(tr.Failures) > 0 {
		for _, m := range e.reg.Modules() {
			if m.LastError != "" {
				tr.Failures = append(tr.Failures, fmt.Sprintf("(module %s last error: %s)", m.Name, m.LastError))
			}
		}
	}
	tr.Duration = time.Since(start)
	return tr
}

// readTestFile reads a test file the way the engine reads scripts: never
// blocking on a named pipe, never a device, the size checked before reading.
func readTestFile(file string) ([]byte, error) {
	dir, err := os.OpenRoot(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	code, err := engine.ReadScriptFile(dir, filepath.Base(file), engine.MaxModuleBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return code, nil
}
