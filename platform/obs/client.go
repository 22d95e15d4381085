package obs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Emit hands a normalized event to the engine's bus (main wires it to bus.Emit).
// Data values use only: string, bool, int64, float64, nil, []any, map[string]any.
// Emit is called from a single goroutine, in order; it should not block for
// long, since events queue up behind it.
type Emit func(eventType string, data map[string]any)

// Config configures a Client. Zero values take the defaults.
type Config struct {
	Addr     string // host:port, default 127.0.0.1:4455
	Password string // never logged
	Logger   *slog.Logger

	// Reconnect backoff: it starts at MinBackoff, doubles per failed attempt
	// up to MaxBackoff (with ±20% jitter), and resets after a connection.
	MinBackoff, MaxBackoff time.Duration // defaults 250ms and 10s

	// RequestTimeout bounds every request, including the wait behind
	// earlier requests; default 5s.
	RequestTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultAddr           = "127.0.0.1:4455"
	DefaultMinBackoff     = 250 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultRequestTimeout = 5 * time.Second
)

func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	return cfg
}

// Client is a connection to OBS that reconnects by itself. Create it with
// New, start it with Run; its request methods are safe for concurrent use and
// fail fast with ErrNotConnected while there is no connection.
type Client struct {
	cfg  Config
	log  *slog.Logger
	emit Emit

	mu   sync.Mutex
	sess *session // nil while disconnected

	stMu     sync.Mutex
	status   Status
	onChange func()

	running atomic.Bool
	q       *queue
	items   *itemCache
	current string // program scene as last seen by the mapper (mapper goroutine only)
}

// New returns a client for cfg; emit receives the obs.* events. Nothing
// happens until Run.
func New(cfg Config, emit Emit) *Client {
	cfg = cfg.withDefaults()
	if emit == nil {
		emit = func(string, map[string]any) {}
	}
	return &Client{
		cfg:   cfg,
		log:   cfg.Logger.With("component", "obs", "addr", cfg.Addr),
		emit:  emit,
		q:     newQueue(),
		items: newItemCache(),
	}
}

// Status is what a Client knows of its connection, for display.
type Status struct {
	Connected bool
	// Since is when the connection was made, or when LastError happened.
	Since time.Time
	// LastError is why the last attempt failed or the last connection
	// ended; nil while connected. Test it with errors.Is against
	// ErrRefused, ErrAuthFailed and ErrVersion.
	LastError error
	// Attempts counts the failed attempts since the last connection.
	Attempts int
	// OBSVersion and WebSocketVersion are what OBS reported when the
	// client last connected ("" before).
	OBSVersion, WebSocketVersion string
}

// Status reports the connection's state.
func (c *Client) Status() Status {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	st := c.status
	st.Connected = c.session() != nil
	return st
}

// OnChange sets a function called after Status changed (a connection made
// or lost, an attempt failed). It must not block. Set it before Run.
func (c *Client) OnChange(fn func()) {
	c.stMu.Lock()
	c.onChange = fn
	c.stMu.Unlock()
}

func (c *Client) setStatus(f func(*Status)) {
	c.stMu.Lock()
	f(&c.status)
	fn := c.onChange
	c.stMu.Unlock()
	if fn != nil {
		fn()
	}
}

// Connected reports whether the client has a live connection to OBS.
func (c *Client) Connected() bool { return c.session() != nil }

func (c *Client) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil && c.sess.isLost() {
		return nil
	}
	return c.sess
}

func (c *Client) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
}

// Run connects to OBS and keeps connected until ctx ends: it maps OBS events
// to Emit calls and, when OBS is absent or goes away, retries with backoff.
// Each connection emits obs.connected, each loss obs.disconnected. Run
// returns nil after ctx ends and every queued event was emitted; it is an
// error to run one Client twice at the same time.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("obs: Run is already running for this client")
	}
	defer c.running.Store(false)

	mapped := make(chan struct{})
	go func() {
		defer close(mapped)
		c.mapLoop()
	}()
	defer func() {
		c.q.push(item{kind: kindStop})
		<-mapped
	}()

	backoff := c.cfg.MinBackoff
	failures := 0
	connections := 0
	for ctx.Err() == nil {
		s, err := dial(ctx, &c.cfg, c.log, true)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			c.setStatus(func(st *Status) { st.LastError, st.Since, st.Attempts = err, time.Now(), failures })
			c.logDialError(err, failures, backoff)
			if !sleep(ctx, jitter(backoff)) {
				break
			}
			backoff = min(backoff*2, c.cfg.MaxBackoff)
			continue
		}
		if !c.serve(ctx, s, connections > 0) {
			failures++
			if !sleep(ctx, jitter(backoff)) {
				break
			}
			backoff = min(backoff*2, c.cfg.MaxBackoff)
			continue
		}
		failures = 0
		backoff = c.cfg.MinBackoff
		connections++
	}
	return nil
}

// logDialError logs a failed connection attempt: a refused password always
// (the user must fix it), an absent OBS once per outage.
func (c *Client) logDialError(err error, failures int, backoff time.Duration) {
	switch {
	case errors.Is(err, ErrAuthFailed):
		c.log.Warn("OBS refused the password, retrying", "err", err, "backoff", backoff)
	case failures == 1:
		c.log.Info("cannot connect to OBS, retrying", "err", err)
	default:
		c.log.Debug("still cannot connect to OBS", "err", err, "attempt", failures, "backoff", backoff)
	}
}

// closeAuthFailed is obs-websocket's close code for a wrong password.
const closeAuthFailed = 4009

// serve runs one session until it is lost or ctx ends. It reports false,
// having emitted nothing, when the session failed before it went live.
func (c *Client) serve(ctx context.Context, s *session, again bool) bool {
	var dropped atomic.Int64
	go s.drain(func() {
		if n := dropped.Add(1); n&(n-1) == 0 {
			c.log.Warn("OBS events dropped: the event queue is full (is Emit blocked?)", "dropped", n)
		}
	})
	scene, err := c.programScene(ctx, s)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("OBS connected but did not answer", "err", err)
		}
		s.end("no answer after connecting")
		<-s.drained
		s.close()
		return false
	}
	ver, err := s.request(ctx, "GetVersion", emptyBody)
	var obsVer, wsVer string
	if m, derr := decodeObject(ver); err == nil && derr == nil {
		obsVer, _ = m["obsVersion"].(string)
		wsVer, _ = m["obsWebSocketVersion"].(string)
	}
	reason := "connected"
	if again {
		reason = "reconnected"
	}
	c.setSession(s)
	c.setStatus(func(st *Status) {
		st.LastError, st.Since, st.Attempts, st.OBSVersion, st.WebSocketVersion = nil, time.Now(), 0, obsVer, wsVer
	})
	c.q.push(item{kind: kindConnected, reason: reason, scene: scene})
	s.goLive(c.q)
	c.log.Info("OBS connected", "scene", scene)

	select {
	case <-s.lost:
	case <-ctx.Done():
		s.end("shutdown")
	}
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
	<-s.drained
	s.close()
	c.log.Info("OBS disconnected", "reason", s.reason)
	if s.reason != "shutdown" {
		c.setStatus(func(st *Status) {
			st.LastError, st.Since = fmt.Errorf("obs: connection lost: %s", s.reason), time.Now()
		})
	} else {
		c.setStatus(func(*Status) {})
	}
	return true
}

// programScene asks s for the current program scene.
func (c *Client) programScene(ctx context.Context, s *session) (string, error) {
	data, err := s.request(ctx, "GetCurrentProgramScene", emptyBody)
	if err != nil {
		return "", err
	}
	m, err := decodeObject(data)
	if err != nil {
		return "", err
	}
	return sceneNameOf(m), nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter spreads d by ±20% so that many clients do not retry in step.
func jitter(d time.Duration) time.Duration {
	f := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * f)
}
