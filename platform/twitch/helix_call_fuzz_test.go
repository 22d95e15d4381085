package twitch

import (
	"net/http"
	"testing"
	"time"
)

// FuzzRateLimitHeaders: whatever Ratelimit-* headers Helix (or anything in
// its place) sends, recording them never panics, a wait is never negative,
// a wait never exceeds maxBucketReset, and a bucket that reports points left
// lets a call through at once.
func FuzzRateLimitHeaders(f *testing.F) {
	f.Add("800", "799", "1700000000", "Missing scope: user:manage:whispers")
	f.Add("", "0", "not a number", "")
	f.Add("-1", "-5", "-99999999999", "scopes")
	f.Add("800", "0", "99999999999999999999", "SCOPE")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, msg string) {
		h := http.Header{}
		h.Set("Ratelimit-Limit", limit)
		h.Set("Ratelimit-Remaining", remaining)
		h.Set("Ratelimit-Reset", reset)
		var b rateBucket
		now := time.Unix(1700000000, 0)
		b.update(h, now)
		w := b.take(now)
		if w < 0 || w > maxBucketReset {
			t.Fatalf("wait %s: never negative, never beyond %s", w, maxBucketReset)
		}
		if b.known && b.remaining > 0 && b.reset.After(now) && w != 0 {
			t.Fatalf("points left but a wait of %s", w)
		}
		_ = isBucket429(h)
		_ = mentionsScope(msg)
		_ = rateLimitWait(h, now)
	})
}
