package twitch

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestSplitMessage(t *testing.T) {
	long := strings.Repeat("word ", 120) // 600 chars
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"empty", "", 10, nil},
		{"only spaces", "   \t ", 10, nil},
		{"short is one part", "hello world", 500, []string{"hello world"}},
		{"trims", "  hello  ", 500, []string{"hello"}},
		{"exactly max", "abcde", 5, []string{"abcde"}},
		{"splits at the last space before the limit", "aaa bbb ccc", 8, []string{"aaa bbb", "ccc"}},
		{"space right at the limit", "aaaa bbbb", 4, []string{"aaaa", "bbbb"}},
		{"long word is cut hard", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"runes not bytes", "ééé ééé", 3, []string{"ééé", "ééé"}},
		{"collapses the spaces at the cut", "aa     bb", 3, []string{"aa", "bb"}},
		{"600 chars of words in two parts", long, 500, []string{strings.TrimSpace(long[:500]), strings.TrimSpace(long[500:])}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitMessage(tt.text, tt.max)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("splitMessage(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzSplitMessage(f *testing.F) {
	f.Add("hello world this is a test", 7)
	f.Add(strings.Repeat("a", 1200), 500)
	f.Add("ééé ééé\n\tx", 2)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max < 1 || max > 1000 || !utf8.ValidString(text) {
			return
		}
		parts := splitMessage(text, max)
		noSpace := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if got, want := noSpace(strings.Join(parts, "")), noSpace(text); got != want {
			t.Fatalf("parts lose or add text: %q vs %q", got, want)
		}
		for _, p := range parts {
			if p == "" || utf8.RuneCountInString(p) > max {
				t.Fatalf("bad part %q (max %d)", p, max)
			}
			if strings.TrimSpace(p) != p {
				t.Fatalf("part %q has outer space", p)
			}
		}
	})
}

func TestWindowKeepsAtMostLimitPerSpan(t *testing.T) {
	t0 := time.Unix(1000, 0)
	w := window{span: 30 * time.Second}
	for i := 0; i < 20; i++ {
		if d := w.wait(t0, 20); d != 0 {
			t.Fatalf("send %d must not wait, got %s", i, d)
		}
		w.record(t0)
	}
	if d := w.wait(t0.Add(10*time.Second), 20); d != 20*time.Second {
		t.Fatalf("21st send waits %s, want 20s (until the first leaves the window)", d)
	}
	if d := w.wait(t0.Add(10*time.Second), 100); d != 0 {
		t.Fatalf("moderator limit 100: want no wait, got %s", d)
	}
	if d := w.wait(t0.Add(30*time.Second), 20); d != 0 {
		t.Fatalf("after the span the window is free, got %s", d)
	}
}

func TestDedupeForgetsOldestWhenFull(t *testing.T) {
	d := newDedupe(3)
	for _, id := range []string{"a", "b", "c"} {
		if d.seenBefore(id) {
			t.Fatalf("%s seen too early", id)
		}
	}
	if !d.seenBefore("a") || !d.seenBefore("c") {
		t.Fatal("recent ids must be duplicates")
	}
	d.seenBefore("d") // evicts a
	if d.seenBefore("a") {
		t.Fatal("a should have been forgotten (bounded cache)")
	}
	if d.seenBefore("") || d.seenBefore("") {
		t.Fatal("empty id is never a duplicate")
	}
	if len(d.seen) > 3 {
		t.Fatalf("cache grew to %d", len(d.seen))
	}
}

func TestRateLimitWaitReadsRatelimitReset(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name, reset string
		want        time.Duration
	}{
		{"future", "1700000007", 7 * time.Second},
		{"past", "1699999990", 0},
		{"missing", "", time.Second},
		{"garbage", "soon", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.reset != "" {
				h.Set("Ratelimit-Reset", tt.reset)
			}
			if got := rateLimitWait(h, now); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for attempt, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		d := backoff(time.Second, time.Minute, attempt)
		if d < base*3/4 || d > base*5/4 {
			t.Errorf("attempt %d: %s outside %s ±25%%", attempt, d, base)
		}
	}
	if d := backoff(time.Second, time.Minute, 50); d > time.Minute*5/4 {
		t.Errorf("capped backoff too long: %s", d)
	}
}

func TestTokensNeverPrintTheirSecrets(t *testing.T) {
	tok := Tokens{AccessToken: "secret-access", RefreshToken: "secret-refresh", Login: "bot", UserID: "1"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "tokens", tok)
	out := buf.String() + fmt.Sprint(tok) + fmt.Sprintf("%v %+v %s", tok, tok, tok)
	if strings.Contains(out, "secret") {
		t.Fatalf("token leaked: %s", out)
	}
}

func TestScopesCoverEverySubscription(t *testing.T) {
	for _, s := range subscriptions {
		if len(s.Scopes) > 0 && !slices.Contains(Scopes, s.Scopes[0]) {
			t.Errorf("%s needs %s, which Scopes lacks", s.Type, s.Scopes[0])
		}
	}
	used := map[string]bool{}
	for _, p := range PermissionScopes { // actions
		for _, s := range p {
			used[s] = true
		}
	}
	for _, s := range subscriptions {
		for _, x := range s.Scopes {
			used[x] = true
		}
	}
	for _, s := range Scopes {
		if !used[s] {
			t.Errorf("scope %s is requested but nothing needs it", s)
		}
	}
}
