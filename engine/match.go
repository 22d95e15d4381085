package engine

import "strings"

// Glob is a compiled event pattern in which '*' matches any run of characters,
// dots included. "twitch.*" matches "twitch.chat.message"; "obs.stream_*" matches
// "obs.stream_started"; "*" matches everything.
type Glob struct {
	src    string
	prefix string   // before the first '*'
	suffix string   // after the last '*'
	middle []string // literal runs between stars, in order
	exact  bool     // no '*' at all
}

// CompileGlob compiles pattern p (see ValidatePattern). The bus and the
// panel's live feed both match with it, so a pattern means the same everywhere.
func CompileGlob(p string) Glob {
	g := Glob{src: p}
	i := strings.IndexByte(p, '*')
	if i < 0 {
		g.exact = true
		g.prefix = p
		return g
	}
	j := strings.LastIndexByte(p, '*')
	g.prefix = p[:i]
	g.suffix = p[j+1:]
	if j > i { // with a single '*' there is nothing between stars
		for _, part := range strings.Split(p[i+1:j], "*") {
			if part != "" {
				g.middle = append(g.middle, part)
			}
		}
	}
	return g
}

// Match reports whether event type t matches the pattern.
func (g *Glob) Match(t string) bool {
	if g.exact {
		return t == g.prefix
	}
	if len(t) < len(g.prefix)+len(g.suffix) ||
		!strings.HasPrefix(t, g.prefix) || !strings.HasSuffix(t, g.suffix) {
		return false
	}
	rest := t[len(g.prefix) : len(t)-len(g.suffix)]
	for _, m := range g.middle {
		k := strings.Index(rest, m)
		if k < 0 {
			return false
		}
		rest = rest[k+len(m):]
	}
	return true
}

// Exact reports whether the pattern has no '*' (it matches one type only).
func (g *Glob) Exact() bool { return g.exact }
