package twitch

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// wait is the generous upper bound for anything to happen in these tests;
// it is never a timing assertion, only a guard against hangs.
const wait = 10 * time.Second

var (
	broadcaster = twitchtest.User{ID: "1001", Login: "streamer", DisplayName: "Streamer"}
	bot         = twitchtest.User{ID: "2002", Login: "botty", DisplayName: "Botty"}
)

type event struct {
	typ  string
	data map[string]any
}

// recorder is an Emit that tests can wait on.
type recorder struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{}
	offSpec []string // events that do not match EventSpecs
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) emit(typ string, data map[string]any) {
	err := checkSpec(typ, data)
	r.mu.Lock()
	if err != nil {
		r.offSpec = append(r.offSpec, err.Error())
	}
	r.events = append(r.events, event{typ, data})
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) all(typ string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if typ == "" || e.typ == typ {
			out = append(out, e)
		}
	}
	return out
}

// waitN waits until n events of typ were emitted and returns them.
func (r *recorder) waitN(t testing.TB, typ string, n int) []event {
	t.Helper()
	deadline := time.After(wait)
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if got := r.all(typ); len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited for %d %s events, got %d (all: %v)", n, typ, len(r.all(typ)), r.types())
		}
	}
}

func (r *recorder) types() []string {
	var out []string
	for _, e := range r.all("") {
		out = append(out, e.typ)
	}
	return out
}

// memStore is an in-memory TokenStore that remembers every save.
type memStore struct {
	mu     sync.Mutex
	tok    Tokens
	has    bool
	saves  []Tokens
	onSave func(Tokens)
}

func (m *memStore) LoadTokens() (Tokens, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, m.has, nil
}

func (m *memStore) SaveTokens(t Tokens) error {
	m.mu.Lock()
	m.tok, m.has = t, true
	m.saves = append(m.saves, t)
	f := m.onSave
	m.mu.Unlock()
	if f != nil {
		f(t)
	}
	return nil
}

func (m *memStore) saveCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.saves)
}

func (m *memStore) current() Tokens {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok
}

// lockedBuffer collects logs from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	srv    *twitchtest.Server
	cfg    Config
	store  *memStore
	rec    *recorder
	logs   *lockedBuffer
	client *Client
	cancel context.CancelFunc
	runErr chan error
}

// newEnv starts a fake Twitch with a broadcaster, a bot and a valid bot
// token (all scopes) in the store. mod adjusts the fake and the config
// before the client is made.
func newEnv(t *testing.T, opts twitchtest.Options, mod func(*env)) *env {
	t.Helper()
	srv := twitchtest.New(opts)
	t.Cleanup(srv.Close)
	srv.AddUser(broadcaster)
	srv.AddUser(bot)
	srv.AddToken(twitchtest.Token{Access: "tok-bot", Refresh: "ref-bot", UserID: bot.ID, Login: bot.Login, Scopes: Scopes})
	e := &env{srv: srv, rec: newRecorder(), logs: &lockedBuffer{},
		store: &memStore{tok: Tokens{AccessToken: "tok-bot", RefreshToken: "ref-bot"}, has: true}}
	t.Cleanup(func() { // every event the client emitted in the test is as EventSpecs documents it
		e.rec.mu.Lock()
		defer e.rec.mu.Unlock()
		for _, p := range e.rec.offSpec {
			t.Errorf("emitted off its spec: %s", p)
		}
	})
	e.cfg = Config{
		ClientID: "cid", Channel: broadcaster.Login,
		AuthURL: srv.AuthURL(), APIURL: srv.HelixURL(), EventSubURL: srv.EventSubURL(),
		SubscriptionsURL: srv.SubscriptionsURL(),
		Logger:           slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BackoffMin:       5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		ClipPollInterval: 5 * time.Millisecond, DevicePollInterval: 5 * time.Millisecond,
	}
	if mod != nil {
		mod(e)
	}
	var store TokenStore = e.store
	if e.store == nil {
		store = nil
	}
	c, err := New(e.cfg, store, e.rec.emit)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// start runs the client until the test ends.
func (e *env) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.runErr = make(chan error, 1)
	go func() { e.runErr <- e.client.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-e.runErr:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	})
}

// connected starts the client and returns its first session with all
// subscriptions created.
func (e *env) connected(t *testing.T) *twitchtest.Session {
	t.Helper()
	e.start(t)
	return e.nextSession(t, len(subscriptions))
}

func (e *env) nextSession(t *testing.T, subs int) *twitchtest.Session {
	t.Helper()
	ss, err := e.srv.NextSession(wait)
	if err != nil {
		t.Fatal(err)
	}
	if subs > 0 {
		if _, err := ss.WaitSubscriptions(subs, wait); err != nil {
			t.Fatal(err)
		}
	}
	return ss
}

// eventually polls cond (for client-side state the fake cannot see).
func eventually(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testdata(name string) string { return filepath.Join("testdata", name+".json") }

func (e *env) assertNoTokenInLogs(t *testing.T) {
	t.Helper()
	logs := e.logs.String()
	for _, c := range e.srv.Calls() {
		for _, h := range []string{c.Header.Get("Authorization")} {
			if f := strings.Fields(h); len(f) == 2 && strings.Contains(logs, f[1]) {
				t.Errorf("a token appears in the logs")
			}
		}
		for _, k := range []string{"refresh_token", "access_token"} {
			if v := c.Query.Get(k); v != "" && strings.Contains(logs, v) {
				t.Errorf("a token appears in the logs")
			}
		}
	}
	for _, s := range []string{"tok-bot", "ref-bot"} {
		if strings.Contains(logs, s) {
			t.Errorf("token %q appears in the logs", s)
		}
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// Refusals lists the subscriptions Twitch refused on the last session.
func (c *Client) Refusals() []Refusal {
	c.idMu.RLock()
	defer c.idMu.RUnlock()
	out := make([]Refusal, 0, len(c.refusals))
	for _, r := range c.refusals {
		out = append(out, r)
	}
	return out
}
