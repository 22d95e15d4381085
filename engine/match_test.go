package engine_test

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

var globCases = []struct {
	name    string
	pattern string
	typ     string
	want    bool
}{
	{"prefix glob crosses dots", "twitch.*", "twitch.chat.message", true},
	{"prefix glob matches one segment", "twitch.*", "twitch.follow", true},
	{"prefix glob matches an empty tail", "twitch.*", "twitch.", true},
	{"prefix glob needs its dot", "twitch.*", "twitch", false},
	{"prefix glob is not a substring search", "twitch.*", "obs.twitch.x", false},
	{"glob inside a segment", "obs.stream_*", "obs.stream_started", true},
	{"glob inside a segment, other event", "obs.stream_*", "obs.scene_changed", false},
	{"star matches everything", "*", "twitch.chat.message", true},
	{"star matches a one-letter type", "*", "x", true},
	{"double star is a star", "**", "engine.module.loaded", true},
	{"suffix glob", "*.message", "twitch.chat.message", true},
	{"suffix glob, other suffix", "*.message", "twitch.chat.messages", false},
	{"a*b*c in order", "a*b*c", "aXbYc", true},
	{"a*b*c with empty runs", "a*b*c", "abc", true},
	{"a*b*c with repeated letters", "a*b*c", "abbc", true},
	{"a*b*c out of order", "a*b*c", "acb", false},
	{"a*b*c ending elsewhere", "a*b*c", "abcb", false},
	{"a*b*c too short", "a*b*c", "ab", false},
	{"prefix and suffix may not overlap", "a*a", "a", false},
	{"prefix and suffix side by side", "a*a", "aa", true},
	{"middle run must appear", "*a*", "bbb", false},
	{"middle run appears", "*a*", "bab", true},
	{"two middle runs need two occurrences", "*ab*ab*", "ab", false},
	{"two middle runs, two occurrences", "*ab*ab*", "abab", true},
	{"suffix overlapping a middle run", "x*y*y", "xyy", true},
	{"exact type", "twitch.follow", "twitch.follow", true},
	{"exact type is not a prefix", "twitch.follow", "twitch.follow.x", false},
	{"exact type is not a shorter type", "twitch.follow", "twitch.follo", false},
	{"exact is case sensitive", "twitch.follow", "Twitch.follow", false},
	{"no match at all", "obs.*", "twitch.follow", false},
}

// naiveMatch is the reference: the glob as an anchored regular expression.
func naiveMatch(pattern, typ string) bool {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`\A` + strings.Join(parts, `.*`) + `\z`).MatchString(typ)
}

func TestGlobMatching(t *testing.T) {
	for _, c := range globCases {
		t.Run(c.name, func(t *testing.T) {
			if g := engine.CompileGlob(c.pattern); g.Match(c.typ) != c.want {
				t.Errorf("CompileGlob(%q).Match(%q) = %v, want %v", c.pattern, c.typ, !c.want, c.want)
			}
			if got := naiveMatch(c.pattern, c.typ); got != c.want {
				t.Fatalf("the reference matcher disagrees with the table: %q %q", c.pattern, c.typ)
			}
		})
	}
}

func TestBusRoutesByGlob(t *testing.T) {
	eachBus(t, func(t *testing.T, b *engine.Bus) {
		for _, c := range globCases {
			t.Run(c.name, func(t *testing.T) {
				tgt := &recordTarget{}
				s := mustSubscribe(t, b, &engine.Subscription{Patterns: []string{c.pattern}, Target: tgt})
				defer b.Unsubscribe(s)
				for round := 0; round < 2; round++ { // the second round is served from the cache
					got := b.Match(c.typ)
					if (len(got) == 1) != c.want {
						t.Fatalf("round %d: Match(%q) with %q subscribed = %v, want match=%v", round, c.typ, c.pattern, ids(got), c.want)
					}
					if err := b.Emit(&engine.Event{Type: c.typ}); err != nil {
						t.Fatal(err)
					}
				}
				want := 0
				if c.want {
					want = 2
				}
				if n := len(tgt.deliveries()); n != want {
					t.Errorf("target got %d deliveries of %q, want %d", n, c.typ, want)
				}
			})
		}
	})
}

// FuzzRouteAgreesWithNaive subscribes random patterns (one subscription per
// pattern, plus one holding all of them) with random priorities, and checks that
// Bus.Match, with and without the cache, lists exactly the subscriptions the
// regexp reference matches, in priority order, each once.
func FuzzRouteAgreesWithNaive(f *testing.F) {
	f.Add("twitch.*|obs.stream_*|*|a*b*c|twitch.follow", "twitch.chat.message|obs.stream_started|abc|twitch.follow", []byte{0, 1, 2, 3, 4})
	f.Add("*a*|a*a|x*y*y", "a|aa|bab|xyy", []byte{5, 5, 0})
	f.Add("**|*.*|.", ".|..|x", []byte{})
	f.Add("a|a|b*", "a|b|ba", []byte{0, 5, 1})
	f.Fuzz(func(t *testing.T, patterns, types string, prios []byte) {
		prioOf := []int{math.MinInt, -10, -1, 0, 1, 10, math.MaxInt}
		var pats []string
		for _, p := range strings.Split(patterns, "|") {
			if engine.ValidatePattern(p) == nil {
				pats = append(pats, p)
			}
		}
		if len(pats) == 0 || len(pats) > 32 {
			return
		}
		buses := []*engine.Bus{engine.NewBus(busModes[0].opts), engine.NewBus(busModes[1].opts)}
		type ref struct {
			pats []string
			prio int
			seq  int
		}
		var refs []ref
		add := func(ps []string, i int) {
			prio := 0
			if i < len(prios) {
				prio = prioOf[int(prios[i])%len(prioOf)]
			}
			refs = append(refs, ref{ps, prio, len(refs)})
			for _, b := range buses {
				s := &engine.Subscription{Patterns: ps, Priority: prio, Target: &recordTarget{}}
				if i%3 == 2 { // some Go handlers too: Match lists both kinds
					s.Target, s.Handler = nil, func(*engine.Event) error { return nil }
				}
				mustSubscribe(t, b, s)
			}
		}
		for i, p := range pats {
			add([]string{p}, i)
		}
		add(pats, len(pats))
		for _, typ := range strings.Split(types, "|") {
			if engine.ValidateType(typ) != nil {
				continue
			}
			var want []ref
			for _, r := range refs {
				if slices.ContainsFunc(r.pats, func(p string) bool { return naiveMatch(p, typ) }) {
					want = append(want, r)
				}
			}
			slices.SortStableFunc(want, func(a, b ref) int {
				if a.prio != b.prio {
					if a.prio > b.prio {
						return -1
					}
					return 1
				}
				return a.seq - b.seq
			})
			wantIDs := make([]uint64, len(want))
			for i, r := range want {
				wantIDs[i] = uint64(r.seq + 1) // subscription ids are handed out from 1 in order
			}
			for bi, b := range buses {
				for round := 0; round < 2; round++ {
					if got := ids(b.Match(typ)); !slices.Equal(got, wantIDs) {
						t.Fatalf("%s bus, round %d: Match(%q) = %v, want %v (patterns %q)", busModes[bi].name, round, typ, got, wantIDs, pats)
					}
				}
			}
		}
	})
}
