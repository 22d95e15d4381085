package bindings

import (
	"strings"
	"testing"
)

// FuzzCompileLua: whatever text a script file, load() or the inspect API
// gives the compiler, compileLua returns (a proto or an error); it never
// panics, and what it accepts stays within the compile limits.
func FuzzCompileLua(f *testing.F) {
	for _, seed := range []string{
		"return 1",
		"local t = {1, 2, 'x', y = 3} return t.y",
		"function f(a, ...) return a, ... end",
		"local s = [[long\nstring]] -- comment",
		"if a then elseif b then else end",
		"while true do break end repeat until false",
		"for i = 1, 10, 2 do end for k, v in pairs({}) do end",
		"x = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300),
		"return {" + strings.Repeat("'k',", 50) + "}",
		"a.b.c:d(1)('x'){y = 2}",
		"local x <const> = 1",
		"goto x ::x::",
		"\x1bLua",
		"return 0x1p4, 1e308, .5, 'a\\z b', \"\\065\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if len(code) > maxSourceBytes+1 {
			return
		}
		proto, err := compileLua([]byte(code), "fuzz.lua")
		if err == nil && proto == nil {
			t.Fatal("no proto and no error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.lua") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
