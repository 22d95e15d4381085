package safelib

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// patternCase is one call of run(kind, s, p, r) from the prelude.
type patternCase struct{ kind, s, p, r string }

// classes and quantifiers random patterns are built from.
var (
	patternClasses = []string{
		"a", "b", "1", " ", ".", "%a", "%d", "%s", "%w", "%p", "%l", "%u", "%x", "%c",
		"%A", "%S", "%W", "%.", "%%", "%(", "[ab]", "[^a]", "[a-c]", "[%a-]", "[]a]",
		"[^]b]", "[%d%s]", "[(]", "-", "^", "$", "]",
	}
	patternQuants = []string{"", "", "", "*", "+", "-", "?"}
	// malformed fragments, added now and then.
	patternBroken = []string{"%", "[", ")", "%2", "[^", "%b", "%f", "(("}
)

// randomPattern builds a mostly well-formed pattern: items, captures,
// position captures, %b, %f, back-references and anchors.
func randomPattern(r *rand.Rand, maxItems int) string {
	var b strings.Builder
	if r.IntN(5) == 0 {
		b.WriteByte('^')
	}
	closed := 0 // captures closed so far
	var items func(n, depth int)
	items = func(n, depth int) {
		for ; n > 0; n-- {
			switch k := r.IntN(20); {
			case k < 12:
				b.WriteString(patternClasses[r.IntN(len(patternClasses))])
				b.WriteString(patternQuants[r.IntN(len(patternQuants))])
			case k < 14 && depth < 2:
				b.WriteByte('(')
				items(1+r.IntN(3), depth+1)
				b.WriteByte(')')
				closed++
			case k < 15:
				b.WriteString("()")
				closed++
			case k < 16:
				b.WriteString([]string{"%b()", "%bab", "%b((", "%b)("}[r.IntN(4)])
			case k < 17:
				b.WriteString([]string{"%f[%a]", "%f[%s]", "%f[^%w]", "%f[%z]", "%f[a]"}[r.IntN(5)])
			case k < 18 && closed > 0:
				fmt.Fprintf(&b, "%%%d", 1+r.IntN(closed))
			case k < 19:
				b.WriteString(patternBroken[r.IntN(len(patternBroken))])
			}
		}
	}
	items(r.IntN(maxItems+1), 0)
	if r.IntN(5) == 0 {
		b.WriteByte('$')
	}
	return b.String()
}

// subjectBytes are the bytes random subjects are made of.
const subjectBytes = "ab1 ()-.A"

func randomSubject(r *rand.Rand, maxLen int) string {
	b := make([]byte, r.IntN(maxLen+1))
	for i := range b {
		b[i] = subjectBytes[r.IntN(len(subjectBytes))]
	}
	return string(b)
}

var replacements = []string{"", "x", "%0", "<%1>", "%1%1", "%%", "[%2]", "%a"}

func randomCases(seed uint64, n int) []patternCase {
	r := rand.New(rand.NewPCG(seed, 1))
	kinds := []string{"find", "match", "gmatch", "gsub"}
	cases := make([]patternCase, n)
	for i := range cases {
		cases[i] = patternCase{
			kind: kinds[r.IntN(len(kinds))],
			s:    randomSubject(r, 14),
			p:    randomPattern(r, 4),
			r:    replacements[r.IntN(len(replacements))],
		}
	}
	return cases
}

// luaLiteral writes s as a Lua 5.1 string literal that any byte survives.
func luaLiteral(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\%03d", s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// runLua51 runs the cases through a real Lua 5.1 interpreter, one output
// line per case.
func runLua51(t *testing.T, lua51 string, cases []patternCase) []string {
	t.Helper()
	var script strings.Builder
	script.WriteString(prelude)
	for _, c := range cases {
		fmt.Fprintf(&script, "print(run(%s, %s, %s, %s))\n",
			luaLiteral(c.kind), luaLiteral(c.s), luaLiteral(c.p), luaLiteral(c.r))
	}
	cmd := exec.Command(lua51, "-")
	cmd.Stdin = strings.NewReader(script.String())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("lua5.1: %v: %s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("lua5.1 printed %d lines for %d cases", len(lines), len(cases))
	}
	return lines
}

// stricterThanLua51 reports whether an error of ours where Lua 5.1 gave a
// result is by design: we reject malformed patterns before matching, Lua
// only when its matcher reaches the faulty part; and a '%' ending a gsub
// replacement is an error here where Lua 5.1 appended a NUL byte.
func stricterThanLua51(c patternCase) bool {
	p := c.p
	if c.kind == "gmatch" {
		if _, err := compile(p, true); err != nil {
			return true
		}
	} else if _, err := compile(p, false); err != nil {
		return true
	}
	return c.kind == "gsub" && strings.HasSuffix(strings.ReplaceAll(c.r, "%%", ""), "%")
}

// TestRandomPatternsAgreeWithLua51 compares our matcher with the reference
// implementation on thousands of random patterns. It needs a lua5.1 binary
// (Debian package lua5.1) and is skipped without one; the table tests and
// the stock comparison cover the same ground without it.
func TestRandomPatternsAgreeWithLua51(t *testing.T) {
	lua51, err := exec.LookPath("lua5.1")
	if err != nil {
		t.Skip("lua5.1 not installed (apt-get install lua5.1): reference comparison skipped")
	}
	cases := randomCases(51, 20000)
	want := runLua51(t, lua51, cases)
	for _, v := range limitsVariants {
		t.Run(v.name, func(t *testing.T) {
			L := newSafe(t, v.lim)
			bad := 0
			for i, c := range cases {
				got := runIn(t, L, c.kind, c.s, c.p, c.r)
				if got == want[i] || (got == "error" && stricterThanLua51(c)) {
					continue
				}
				t.Errorf("%s(%q, %q, %q): got %s, Lua 5.1 %s", c.kind, c.s, c.p, c.r, got, want[i])
				if bad++; bad > 20 {
					t.Fatal("too many differences")
				}
			}
		})
	}
}
