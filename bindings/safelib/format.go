package safelib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// fmtSpec is one parsed conversion of string.format.
type fmtSpec struct {
	flags string
	width int // -1 when absent
	prec  int // -1 when absent
	conv  byte
	minus bool
}

// parseSpec reads the conversion after a '%' at fmt[i] with Lua 5.1's
// rules: at most 5 flags, width and precision of at most two digits each
// (so never above 99). It returns the index after the conversion letter.
func parseSpec(L *lua.LState, f string, i int) (fmtSpec, int) {
	sp := fmtSpec{width: -1, prec: -1}
	start := i
	for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
		i++
	}
	if i-start > 5 {
		L.RaiseError("invalid format (repeated flags)")
	}
	sp.flags = f[start:i]
	sp.minus = strings.IndexByte(sp.flags, '-') >= 0
	digits := func() int {
		n, d := 0, 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			if d == 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
			n = n*10 + int(f[i]-'0')
			i++
			d++
		}
		return n
	}
	if i < len(f) && f[i] >= '0' && f[i] <= '9' {
		sp.width = digits()
	}
	if i < len(f) && f[i] == '.' {
		i++
		sp.prec = digits()
	}
	if i >= len(f) {
		L.RaiseError("invalid option '%%' to 'format' (format ends in the middle of a conversion)")
	}
	sp.conv = f[i]
	return sp, i + 1
}

// goVerb rebuilds the conversion for Go's fmt with the given verb.
func (sp fmtSpec) goVerb(verb byte) string {
	var b strings.Builder
	b.WriteByte('%')
	b.WriteString(sp.flags)
	if sp.width >= 0 {
		b.WriteString(strconv.Itoa(sp.width))
	}
	if sp.prec >= 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(sp.prec))
	}
	b.WriteByte(verb)
	return b.String()
}

// pad applies width and the '-' flag to s, as C does for %s and %c.
func (sp fmtSpec) pad(s string) string {
	if sp.width <= len(s) {
		return s
	}
	fill := strings.Repeat(" ", sp.width-len(s))
	if sp.minus {
		return s + fill
	}
	return fill + s
}

// strFormat is string.format(fmt, ...) with Lua 5.1's conversions
// (c d i o u x X e E f g G q s). Width and precision stop at 99, and the
// result may not exceed MaxStringBytes.
func (lb *lib) strFormat(L *lua.LState) int {
	f := L.CheckString(1)
	var b strings.Builder
	arg := 1
	limit := lb.lim.MaxStringBytes
	add := func(s string) {
		if b.Len()+len(s) > limit {
			lb.tooLarge(L, 1, "format")
		}
		b.WriteString(s)
	}
	for i := 0; i < len(f); {
		k := strings.IndexByte(f[i:], '%')
		if k < 0 {
			add(f[i:])
			break
		}
		add(f[i : i+k])
		i += k + 1
		if i < len(f) && f[i] == '%' {
			add("%")
			i++
			continue
		}
		var sp fmtSpec
		sp, i = parseSpec(L, f, i)
		arg++
		switch sp.conv {
		case 'c':
			add(sp.pad(string([]byte{byte(numberToInt(float64(L.CheckNumber(arg))))})))
		case 'd', 'i':
			add(fmt.Sprintf(sp.goVerb('d'), int64(numberToInt(float64(L.CheckNumber(arg))))))
		case 'o', 'u', 'x', 'X':
			// C prints these unsigned: -1 is ffffffffffffffff.
			v := uint64(int64(numberToInt(float64(L.CheckNumber(arg)))))
			verb := sp.conv
			sp.flags = strings.NewReplacer("+", "", " ", "").Replace(sp.flags) // C ignores them here
			if verb == 'u' {
				verb = 'd'
			}
			add(fmt.Sprintf(sp.goVerb(verb), v))
		case 'e', 'E', 'f', 'g', 'G':
			add(formatFloat(sp, float64(L.CheckNumber(arg))))
		case 'q':
			q := L.CheckString(arg)
			if b.Len()+len(q)+2 > limit { // quoting at least copies it: refuse before building
				lb.tooLarge(L, 1, "format")
			}
			add(quoteString(q))
		case 's':
			s := lua.LVAsString(L.ToStringMeta(L.CheckAny(arg)))
			if sp.prec >= 0 && len(s) > sp.prec {
				s = s[:sp.prec]
			}
			add(sp.pad(s))
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", sp.conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// formatFloat formats like C's printf: a default precision of 6 for %g too
// (Go would print the shortest form), and inf / nan spelled as C does.
func formatFloat(sp fmtSpec, v float64) string {
	upper := sp.conv == 'E' || sp.conv == 'G'
	if math.IsInf(v, 0) || math.IsNaN(v) {
		s := "inf"
		switch {
		case math.IsNaN(v):
			s = "nan"
		case v < 0:
			s = "-inf"
		case strings.IndexByte(sp.flags, '+') >= 0:
			s = "+inf"
		}
		if upper {
			s = strings.ToUpper(s)
		}
		return sp.pad(s)
	}
	if sp.prec < 0 {
		sp.prec = 6
	}
	return fmt.Sprintf(sp.goVerb(sp.conv), v)
}

// quoteString is %q: a Lua string literal that reads back as s.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\000`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
