package twitch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrMissingScope: the token lacks the OAuth scope a Helix call needs. The
// *ScopeError names the scope; the fix is to re-connect Twitch so the login
// asks for it.
var ErrMissingScope = errors.New("twitch: missing scope")

// ScopeError is a Helix call the token is not allowed to make: either the
// token's granted scopes (from /oauth2/validate) lack Scope, or Twitch
// answered 401/403 naming a scope.
type ScopeError struct {
	Method, Path string
	Scope        string
	Message      string // Twitch's own words; "" when refused before sending
}

func (e *ScopeError) Error() string {
	s := fmt.Sprintf("twitch: %s %s needs the %s scope: re-connect to grant %s (Connections page of the panel, or `starstreamer twitch login`)",
		e.Method, e.Path, e.Scope, e.Scope)
	if e.Message != "" {
		s += " (Twitch said: " + e.Message + ")"
	}
	return s
}

func (e *ScopeError) Unwrap() error { return ErrMissingScope }

// rateBucket mirrors Helix's token bucket from the Ratelimit-* headers of
// the last answer: while Remaining is 0 and Reset lies ahead, calls wait
// for Reset instead of spending a request on a certain 429. The zero value
// knows nothing and lets every call through.
type rateBucket struct {
	mu        sync.Mutex
	known     bool
	limit     int
	remaining int
	reset     time.Time
}

// take claims one point and returns 0, or says how long to wait first.
func (b *rateBucket) take(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return 0
	}
	if !b.reset.After(now) { // the bucket refilled
		b.known = false
		return 0
	}
	if b.remaining <= 0 {
		return b.reset.Sub(now)
	}
	b.remaining--
	return 0
}

// maxBucketReset is the furthest ahead a reported Ratelimit-Reset is
// believed: Helix's bucket refills within a minute, so a reset further off
// is a broken header and must not stall every call.
const maxBucketReset = 2 * time.Minute

// update records the bucket Helix reported; answers without the headers
// (the auth service, a mock) or with a reset implausibly far off leave it
// alone.
func (b *rateBucket) update(h http.Header, now time.Time) {
	rem, err1 := strconv.Atoi(strings.TrimSpace(h.Get("Ratelimit-Remaining")))
	reset, err2 := strconv.ParseInt(strings.TrimSpace(h.Get("Ratelimit-Reset")), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	if reset > now.Add(maxBucketReset).Unix() {
		return
	}
	lim, _ := strconv.Atoi(strings.TrimSpace(h.Get("Ratelimit-Limit")))
	b.mu.Lock()
	b.known, b.limit, b.remaining, b.reset = true, lim, rem, time.Unix(reset, 0)
	b.mu.Unlock()
}

// waitBucket waits until the bucket has a point for one more request; a wait
// longer than MaxRateLimitWait is an error.
func (c *Client) waitBucket(ctx context.Context, method, path string) error {
	for {
		w := c.bucket.take(c.cfg.Now())
		if w <= 0 {
			return nil
		}
		if w > c.cfg.MaxRateLimitWait {
			return fmt.Errorf("twitch: %s %s: rate limited for %s", method, path, w.Round(time.Second))
		}
		c.log.Info("twitch rate limit bucket empty; waiting for Ratelimit-Reset", "path", path, "wait", w)
		if err := sleepCtx(ctx, w); err != nil {
			return err
		}
	}
}

// isBucket429 tells Helix's token bucket running dry (retry after the reset)
// from an endpoint's own limit (e.g. the shoutout cooldowns), which answers
// 429 with points still left in the bucket and must not be retried.
func isBucket429(h http.Header) bool {
	v := strings.TrimSpace(h.Get("Ratelimit-Remaining"))
	n, err := strconv.Atoi(v)
	return v == "" || err != nil || n <= 0
}

var scopeWord = regexp.MustCompile(`(?i)\bscopes?\b`)

// mentionsScope reports whether Twitch's message blames a scope (401
// "Missing scope: …" and the like).
func mentionsScope(msg string) bool { return scopeWord.MatchString(msg) }

// helix makes one Helix call that needs scope ("" for none): refused at once
// when the granted scopes are known and lack it, and a 401/403 that names a
// scope becomes a *ScopeError. The broadcaster and bot ids come from the
// identity; callers have checked requireReady.
func (c *Client) helix(ctx context.Context, scope, method, path string, q url.Values, body, out any) error {
	if scope != "" {
		if granted := c.ident().scopes; len(granted) > 0 && !slices.Contains(granted, scope) {
			return &ScopeError{Method: method, Path: path, Scope: scope}
		}
	}
	_, err := c.do(ctx, method, c.helixURL(path, q), body, out)
	var ae *APIError
	if scope != "" && errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) && mentionsScope(ae.Message) {
		return &ScopeError{Method: method, Path: path, Scope: scope, Message: ae.Message}
	}
	return err
}

// UserRef names a user the way scripts do: by id (from an event's user
// table), or by login (with or without @). A Login of digits only may be an
// id: Get Users is asked for both.
type UserRef struct{ ID, Login string }

func (r UserRef) String() string {
	if r.ID != "" {
		return "id " + r.ID
	}
	return strconv.Quote(r.Login)
}

// userCacheSize bounds the login/id cache; it is emptied when full.
const (
	userCacheSize = 512
	userCacheTTL  = 10 * time.Minute
)

type cachedUser struct {
	u  User
	at time.Time
}

// userCache remembers looked-up users by lower-case login and by id for
// userCacheTTL, so a moderation handler does not spend a Helix call per
// message. The zero value is ready.
type userCache struct {
	mu   sync.Mutex
	byID map[string]cachedUser
	byLo map[string]cachedUser
}

func (uc *userCache) get(key string, byID bool, now time.Time) (User, bool) {
	uc.mu.Lock()
	defer uc.mu.Unlock()
	m := uc.byLo
	if byID {
		m = uc.byID
	}
	e, ok := m[key]
	if !ok || now.Sub(e.at) > userCacheTTL {
		return User{}, false
	}
	return e.u, true
}

func (uc *userCache) put(u User, now time.Time) {
	uc.mu.Lock()
	defer uc.mu.Unlock()
	if uc.byID == nil || len(uc.byID) >= userCacheSize {
		uc.byID, uc.byLo = map[string]cachedUser{}, map[string]cachedUser{}
	}
	e := cachedUser{u: u, at: now}
	if u.ID != "" {
		uc.byID[u.ID] = e
	}
	if u.Login != "" {
		uc.byLo[strings.ToLower(u.Login)] = e
	}
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ResolveUser turns a UserRef into a user with its id, through the cache or
// Get Users. An id given by an event's user table is trusted as it is.
func (c *Client) ResolveUser(ctx context.Context, ref UserRef) (User, error) {
	if _, err := c.requireReady(); err != nil {
		return User{}, err
	}
	return c.resolveUser(ctx, ref)
}

func (c *Client) resolveUser(ctx context.Context, ref UserRef) (User, error) {
	if ref.ID != "" {
		if u, ok := c.users.get(ref.ID, true, c.cfg.Now()); ok {
			return u, nil
		}
		return User{ID: ref.ID, Login: strings.ToLower(ref.Login)}, nil
	}
	login := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ref.Login), "@")))
	if login == "" {
		return User{}, fmt.Errorf("%w: empty login", ErrUserNotFound)
	}
	if u, ok := c.users.get(login, false, c.cfg.Now()); ok {
		return u, nil
	}
	if allDigits(login) {
		if u, ok := c.users.get(login, true, c.cfg.Now()); ok {
			return u, nil
		}
	}
	q := url.Values{"login": {login}}
	if allDigits(login) {
		q.Set("id", login)
	}
	var out struct {
		Data []userData `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.helixURL("/users", q), nil, &out); err != nil {
		return User{}, err
	}
	var found *userData
	for i, d := range out.Data {
		if d.ID == login { // an id wins over a login of the same digits
			found = &out.Data[i]
			break
		}
		if strings.EqualFold(d.Login, login) && found == nil {
			found = &out.Data[i]
		}
	}
	if found == nil {
		return User{}, fmt.Errorf("%w: %q", ErrUserNotFound, login)
	}
	u := User{ID: found.ID, Login: found.Login, DisplayName: found.DisplayName}
	c.users.put(u, c.cfg.Now())
	return u, nil
}
