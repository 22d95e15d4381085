package bindings

import (
	"strings"
	"testing"
)

func TestMissingCloserAtEndOfFileNamesTheLineItOpened(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"function", "module { name = \"eof\" }\n\nfunction greet(name)\n  log.info(\"hi \" .. name)\n", "scripts/eof.lua:3: 'function' opened here is never closed with 'end'"},
		{"handler function inside a call", "command(\"!x\", function(e)\n  if e then\n    log.info(\"x\")\n  end\n", "scripts/eof.lua:1: 'function' opened here is never closed with 'end'"},
		{"if", "local x = 1\nif x then\n  x = 2\n", "scripts/eof.lua:2: 'if' opened here is never closed with 'end'"},
		{"for loop's do is its own", "for i = 1, 3 do\n  print(i)\n", "scripts/eof.lua:1: 'for' opened here is never closed with 'end'"},
		{"while", "while true do\n", "scripts/eof.lua:1: 'while' opened here is never closed with 'end'"},
		{"do block", "local a\ndo\n  a = 1\n", "scripts/eof.lua:2: 'do' opened here is never closed with 'end'"},
		{"repeat", "repeat\n  x = 1\n", "scripts/eof.lua:1: 'repeat' opened here is never closed with 'until'"},
		{"table", "local t = {\n  a = 1,\n", "scripts/eof.lua:1: '{' opened here is never closed with '}'"},
		{"parenthesis", "print(1,\n  2\n", "scripts/eof.lua:1: '(' opened here is never closed with ')'"},
		{"innermost first", "function f()\n  local t = {\n", "scripts/eof.lua:2: '{' opened here is never closed with '}'"},
		{"keywords in strings and comments do not count", "-- function if for\nlocal s = \"end end\" .. 'do' .. [[\nwhile\n]]\n--[[ repeat\n]]\nfunction f()\n", "scripts/eof.lua:7: 'function' opened here is never closed with 'end'"},
		{"field names are not keywords", "local t = {}\nfunction t.f() return t.x end\nif t then\n", "scripts/eof.lua:3: 'if' opened here is never closed with 'end'"},
		{"incomplete expression", "local x = 1\nx =\n", "scripts/eof.lua:2: the file ends in the middle of a statement or expression"},
		{"long comment", "x = 1\n--[==[ notes\n", "scripts/eof.lua:2: the comment opened here with '--[==[' is never closed with ']==]'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileLua([]byte(tc.src), "scripts/eof.lua")
			if err == nil {
				t.Fatal("compiled")
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			if strings.Count(err.Error(), "scripts/eof.lua") != 1 {
				t.Errorf("the path must appear once: %s", err)
			}
		})
	}
}

func TestSyntaxErrorsInTheMiddleKeepTheirLine(t *testing.T) {
	_, err := compileLua([]byte("local x = 1\nlocal y = = 2\nprint(x)\n"), "scripts/mid.lua")
	if err == nil || !strings.HasPrefix(err.Error(), "scripts/mid.lua:2: ") {
		t.Fatalf("got %v", err)
	}
}
