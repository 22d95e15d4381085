package safelib_test

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/starstreamer/starstreamer/bindings/safelib"
)

func ExampleOpen() {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, open := range []lua.LGFunction{lua.OpenBase, lua.OpenString, lua.OpenTable, lua.OpenMath} {
		L.Push(L.NewFunction(open))
		L.Call(0, 0)
	}
	safelib.Open(L, safelib.DefaultLimits())

	err := L.DoString(`
		print(("!so  streamer"):match("^!(%w+)%s*(.*)$"))
		print(pcall(string.rep, "x", 1e10))
		print(pcall(string.find, string.rep("a", 1e6), "^a*b"))
	`)
	fmt.Println(err)
	// Output:
	// so	streamer
	// false	<string>:3: bad argument #2 to 'rep' (resulting string too large: max 1048576 bytes)
	// false	<string>:4: 'find': pattern too complex: more than 1000000 steps (simplify the pattern or match a shorter string)
	// <nil>
}
