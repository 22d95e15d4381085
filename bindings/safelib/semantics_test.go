package safelib

import "testing"

// showLua renders what a chunk returned, one value per field, with the
// "file:line: " of error messages cut off.
const showLua = `local function show(...)
  local t = {}
  for i = 1, select("#", ...) do
    t[i] = (string.gsub(tostring((select(i, ...))), "^[^:]*:%d+: ", ""))
  end
  return table.concat(t, " | ")
end
`

// lua51Cases pin Lua 5.1 behaviour of the pattern functions and of
// string.format, including where gopher-lua's stock library differs. Every
// expected value was printed by a real Lua 5.1.5 running the same code.
var lua51Cases = []struct{ name, code, want string }{
	{`frontier finds word starts`, `return string.find("THE (quick) fox", "%f[%a]%a+", 5)`, `6 | 10`},
	{`frontier at subject end sees NUL`, `return string.find("ab", "%f[%z]")`, `3 | 2`},
	{`frontier gsub wraps words`, `return string.gsub("hello big world", "%f[%w]%w+", "<%0>")`, `<hello> <big> <world> | 3`},
	{`gmatch caret is a plain byte`, `local t = {} for w in string.gmatch("^a^b", "^%a") do t[#t+1] = w end return table.concat(t, ",")`, `^a,^b`},
	{`set range after escape is a plain dash`, `return string.match("a-z", "[%a-]+"), string.match("-", "[%d-z]")`, `a-z | -`},
	{`set range ending in escape`, `return string.match("0", "[1-%0]")`, `0`},
	{`set dash after range`, `return string.match("-", "[0-0-0]")`, `-`},
	{`backref to a position capture fails`, `return string.match("aa", "()%1")`, `nil`},
	{`gsub %x in replacement stands for x`, `return string.gsub("abc", "b", "%x")`, `axc | 1`},
	{`gsub table replacement`, `return string.gsub("$a and $b and $c", "%$(%w+)", {a = "1", b = 2})`, `1 and 2 and $c | 3`},
	{`gsub table replacement with position capture key`, `return string.gsub("abc", "()b", {[2] = "X"})`, `aXc | 1`},
	{`gsub function replacement`, `return string.gsub("abc", "%w", function(c) return c:upper() .. "." end)`, `A.B.C. | 3`},
	{`gsub function returning false keeps text`, `return string.gsub("abc", "%w", function(c) if c == "b" then return false end return "_" end)`, `_b_ | 3`},
	{`gsub number replacement`, `return string.gsub("abc", "b", 42)`, `a42c | 1`},
	{`gsub max n`, `return string.gsub("aaaa", "a", "b", 2)`, `bbaa | 2`},
	{`gsub anchored replaces once`, `return string.gsub("aaa", "^a", "b")`, `baa | 1`},
	{`gsub empty matches between bytes`, `return string.gsub("abc", "b*", "-")`, `-a--c- | 4`},
	{`gsub %1 without captures is the whole match`, `return string.gsub("abc", "%w", "%1%1")`, `aabbcc | 3`},
	{`gsub position capture in replacement`, `return string.gsub("abc", "()b", "%1")`, `a2c | 1`},
	{`find init beyond the end`, `return string.find("abc", "", 10)`, `4 | 3`},
	{`find negative init`, `return string.find("abcabc", "a", -3)`, `4 | 4`},
	{`find plain with specials`, `return string.find("a.b*c", ".b*", 1, true)`, `2 | 4`},
	{`find returns captures`, `return string.find("key = value", "(%w+)%s*=%s*(%w+)")`, `1 | 11 | key | value`},
	{`match no match is nil`, `return select("#", string.match("abc", "x")), string.match("abc", "x")`, `1 | nil`},
	{`match init`, `return string.match("abcabc", "a(.)", 2)`, `b`},
	{`gmatch empty pattern`, `local t = {} for a in string.gmatch("ab", "") do t[#t+1] = "[" .. a .. "]" end return table.concat(t)`, `[][][]`},
	{`gmatch position captures`, `local t = {} for a, b in string.gmatch("abab", "()b()") do t[#t+1] = a .. ":" .. b end return table.concat(t, ",")`, `2:3,4:5`},
	{`balance nested`, `return string.match("x(a(b)c)(d)", "%b()")`, `(a(b)c)`},
	{`balance same delimiters`, `return string.match("'ab'cd'", "%b''")`, `'ab'`},
	{`lazy minimal`, `return string.match("<a><b>", "<(.-)>")`, `a`},
	{`greedy maximal`, `return string.match("<a><b>", "<(.*)>")`, `a><b`},
	{`optional`, `return string.match("color colour", "colou?r"), string.find("colour", "colou?r")`, `color | 1 | 6`},
	{`dollar not at end is a byte`, `return string.find("a$b", "$b"), string.find("ab", "b$")`, `2 | 2 | 2`},
	{`escaped class letters that are not classes`, `return string.match("g", "%g"), string.match("G", "%G")`, `g | G`},
	{`control and punct classes`, `return string.gsub("a\tb!c", "[%c%p]", "_")`, `a_b_c | 2`},
	{`hex class`, `return string.match("zz0x1fG", "%x+")`, `0`},
	{`upper complement classes`, `return string.gsub("a1 b2", "%D", "")`, `12 | 3`},
	{`char at 255 in ranges`, `return string.find("a\255", "[\200-\255]")`, `2 | 2`},
	{`many captures`, `return string.match("abcdefghij", "(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)")`, `a | b | c | d | e | f | g | h | i | j`},
	{`malformed: missing bracket`, `return pcall(string.match, "a", "[a")`, `false | malformed pattern (missing ']')`},
	{`malformed: ends with percent`, `return pcall(string.match, "a", "a%")`, `false | malformed pattern (ends with '%')`},
	{`malformed: unfinished capture`, `return pcall(string.match, "a", "(a")`, `false | unfinished capture`},
	{`malformed: stray close`, `return pcall(string.match, "a", "a)")`, `false | invalid pattern capture`},
	{`malformed: bad backref`, `return pcall(string.match, "a", "%1")`, `false | invalid capture index`},
	{`malformed: frontier without set`, `return pcall(string.match, "a", "%fa")`, `false | missing '[' after '%f' in pattern`},
	{`format integers`, `return string.format("[%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%i]", 42, 42, 42, 42, 42, 42, 7, -3)`, `[42] [   42] [42   ] [00042] [+42] [ 42] [007] [-3]`},
	{`format truncates floats for %d`, `return string.format("%d %d", 3.99, -3.99)`, `3 -3`},
	{`format unsigned conversions`, `return string.format("%x %X %o %u %#x %#o", 255, 255, 8, 42, 255, 8)`, `ff FF 10 42 0xff 010`},
	{`format negative hex is two's complement`, `return string.format("%x", -1)`, `ffffffffffffffff`},
	{`format floats`, `return string.format("%f %.2f %10.3f %-10.1f| %e %.3E %g %g %g %G", 3.14159, 3.14159, 3.14159, 2.5, 12345.678, 0.00012, 0.1, 1e20, 100000, 1e-10)`, `3.141590 3.14      3.142 2.5       | 1.234568e+04 1.200E-04 0.1 1e+20 100000 1E-10`},
	{`format g uses precision 6`, `return string.format("%g %g %.3g %#g", 0.1 + 0.2, 123456789, 2.5, 1)`, `0.3 1.23457e+08 2.5 1.00000`},
	{`format strings`, `return string.format("[%s] [%5s] [%-5s] [%.2s] [%5.1s]", "abc", "abc", "abc", "abc", "abc")`, `[abc] [  abc] [abc  ] [ab] [    a]`},
	{`format numbers as strings`, `return string.format("%s %s", 1, 2.5)`, `1 2.5`},
	{`format char`, `return string.format("%c%c%c", 76, 117, 97)`, `Lua`},
	{`format q escapes`, `return (string.gsub(string.format("%q", 'a "b"\n\\c\r\0d'), "[\n\r]", {["\n"] = "<LF>", ["\r"] = "<CR>"}))`, `"a \"b\"\<LF>\\c\r\000d"`},
	{`format percent`, `return string.format("100%% %d%%", 5)`, `100% 5%`},
	{`format numeric strings`, `return string.format("%d %.1f", "12", "2.25")`, `12 2.2`},
	{`format inf and nan`, `return string.format("%f %f %.1f", 1/0, -1/0, 1e308 * 10)`, `inf -inf inf`},
	{`format width too long`, `return pcall(string.format, "%100d", 1)`, `false | invalid format (width or precision too long)`},
	{`format precision too long`, `return pcall(string.format, "%.100f", 1)`, `false | invalid format (width or precision too long)`},
	{`format repeated flags`, `return pcall(string.format, "%------5d", 1)`, `false | invalid format (repeated flags)`},
	{`format invalid option`, `return pcall(string.format, "%y", 1)`, `false | invalid option '%y' to 'format'`},
	{`format missing argument`, `return (pcall(string.format, "%d %d", 1))`, `false`},
}

func TestLua51Semantics(t *testing.T) {
	for _, v := range limitsVariants {
		t.Run(v.name, func(t *testing.T) {
			L := newSafe(t, v.lim)
			for _, c := range lua51Cases {
				got, errMsg := eval(t, L, showLua+"return show((function() "+c.code+" end)())")
				if errMsg != "" {
					t.Errorf("%s: %s", c.name, errMsg)
					continue
				}
				if len(got) != 1 || got[0] != c.want {
					t.Errorf("%s:\n  code %s\n  got  %s\n  want %s", c.name, c.code, join(got), c.want)
				}
			}
		})
	}
}
