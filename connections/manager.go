package connections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

// Twitch states (TwitchStatus.State).
const (
	StateNotConfigured = "not_configured" // no client id or channel
	StateOffline       = "offline"        // configured, not logged in (or OBS turned off)
	StateLoggingIn     = "logging_in"     // a device-code login waits for the user
	StateConnecting    = "connecting"     // the client runs, not connected yet
	StateConnected     = "connected"
	StateError         = "error" // see LastError
)

// Flags are the connection values set on the command line or in the
// environment. They win over what the Connections page stored, and the page
// shows them read-only. An empty string is "not set", except where a *Set
// field says otherwise.
type Flags struct {
	TwitchClientID string
	TwitchChannel  string
	TwitchToken    string // a user token: no login, no logout
	OBSAddr        string
	OBSAddrSet     bool // --obs-addr given (empty: OBS off)
	OBSPassword    string
	OBSPasswordSet bool
	// OBSDefaultAddr is tried when neither a flag nor the panel set an OBS
	// address ("": OBS stays off until connected from the panel).
	OBSDefaultAddr string
}

// Config configures a Manager.
type Config struct {
	Store  *engine.Store
	Logger *slog.Logger
	// Emit hands a platform event to the bus; source is "twitch" or "obs".
	Emit func(source, typ string, data map[string]any)
	// Modules lists the modules (the registry's Modules); the permissions of
	// the enabled ones decide the Twitch scopes. Nil: none.
	Modules func() []engine.ModuleState
	// Twitch is the base of every Twitch client: endpoints and knobs. Its
	// ClientID, Channel and Token are ignored (they come from Flags and the
	// stored settings).
	Twitch twitch.Config
	// OBS is the base of every OBS client (backoff, timeouts); Addr and
	// Password are ignored.
	OBS   obs.Config
	Flags Flags
	// ConnectWait bounds how long SetOBS waits for the outcome of the first
	// attempt; default 5 s.
	ConnectWait time.Duration
	// TwitchOff and OBSOff keep the Manager from ever starting that
	// platform's client (a test fake stands in for it).
	TwitchOff, OBSOff bool
}

// Status is every connection's state (GET /api/connections). It never holds
// a token or a password.
type Status struct {
	Twitch TwitchStatus `json:"twitch"`
	OBS    OBSStatus    `json:"obs"`
}

// TwitchStatus is the Twitch connection's state.
type TwitchStatus struct {
	State    string `json:"state"`
	ClientID string `json:"client_id"`
	Channel  string `json:"channel"`
	Bot      string `json:"bot,omitempty"` // the account the engine acts as
	// Scopes are those granted to the token; MissingScopes those the
	// enabled modules (or the events) need that were not granted.
	Scopes        []string       `json:"scopes"`
	MissingScopes []MissingScope `json:"missing_scopes"`
	// RequestedScopes are what a login now would ask for.
	RequestedScopes []string   `json:"requested_scopes"`
	TokenExpiresAt  *time.Time `json:"token_expires_at,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	Login           *LoginCode `json:"login,omitempty"` // while logging_in
	// Fixed names the fields set by flags or environment variables
	// ("client_id", "channel", "token"): read-only on the page.
	Fixed []string `json:"fixed"`
}

// MissingScope is a scope the token lacks and who needs it.
type MissingScope struct {
	Scope   string   `json:"scope"`
	Modules []string `json:"modules,omitempty"` // empty: the events need it
}

// LoginCode is a device-code login waiting for the user: open
// VerificationURI and enter UserCode.
type LoginCode struct {
	VerificationURI string    `json:"verification_uri"`
	UserCode        string    `json:"user_code"`
	ExpiresIn       int       `json:"expires_in"` // seconds left
	ExpiresAt       time.Time `json:"expires_at"`
}

// OBSStatus is the OBS connection's state: offline (turned off),
// connecting, connected or error (the client keeps retrying).
type OBSStatus struct {
	State            string     `json:"state"`
	Addr             string     `json:"addr"`
	HasPassword      bool       `json:"has_password"`
	OBSVersion       string     `json:"obs_version,omitempty"`
	WebSocketVersion string     `json:"websocket_version,omitempty"`
	LastError        string     `json:"last_error,omitempty"`
	Since            *time.Time `json:"since,omitempty"`
	Fixed            []string   `json:"fixed"` // "addr", "password"
}

// ConflictError is a change refused because a flag fixes the value.
type ConflictError struct{ Field, Flag string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s is set by %s (or its STARSTREAMER_ environment variable) and cannot be changed from the panel; restart without it to manage it here", e.Field, e.Flag)
}

// InputError is a request with a bad field.
type InputError struct{ Field, Why string }

func (e *InputError) Error() string { return e.Field + ": " + e.Why }

// ErrNotConfigured: the Twitch login needs a client id and a channel first.
var ErrNotConfigured = errors.New("twitch is not configured: save the application's client id and the channel first")

// run is one platform client's goroutine.
type run struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *run) stop() {
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// Manager owns the Twitch and OBS clients: it starts them from the flags and
// the stored settings, switches them at run time (the holders keep the Lua
// bindings pointed at the client of the moment, so modules never restart),
// runs the Twitch device-code login and reports every connection's state.
type Manager struct {
	cfg  Config
	log  *slog.Logger
	tw   atomic.Pointer[twitch.Client]
	obs  atomic.Pointer[obs.Client]
	toks TokenStore

	op sync.Mutex // one change at a time (start, stop, login, settings)

	mu        sync.Mutex
	ctx       context.Context // Start's; nil before
	wg        sync.WaitGroup
	set       settings
	twRun     *run
	twErr     string
	login     *twitch.DeviceCode
	loginStop context.CancelFunc
	obsRun    *run
	listeners map[int]func()
	nextL     int
}

// New loads the stored settings. Nothing connects before Start.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("connections: a store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Emit == nil {
		cfg.Emit = func(string, string, map[string]any) {}
	}
	if cfg.ConnectWait <= 0 {
		cfg.ConnectWait = 5 * time.Second
	}
	st, err := loadSettings(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("connections: read settings: %w", err)
	}
	return &Manager{cfg: cfg, log: cfg.Logger.With("component", "connections"), set: st,
		toks: TokenStore{Store: cfg.Store}}, nil
}

// TwitchClient is the Twitch client of the moment: nil while Twitch is not
// configured or not logged in. Callers take it afresh for each call.
func (m *Manager) TwitchClient() *twitch.Client { return m.tw.Load() }

// OBSClient is the OBS client of the moment: nil while OBS is off.
func (m *Manager) OBSClient() *obs.Client { return m.obs.Load() }

// OnChange adds fn to the functions called after any connection's state
// changed; fn must not block. The returned function removes it.
func (m *Manager) OnChange(fn func()) (remove func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listeners == nil {
		m.listeners = map[int]func(){}
	}
	id := m.nextL
	m.nextL++
	m.listeners[id] = fn
	return func() {
		m.mu.Lock()
		delete(m.listeners, id)
		m.mu.Unlock()
	}
}

func (m *Manager) notify() {
	m.mu.Lock()
	ls := make([]func(), 0, len(m.listeners))
	for _, f := range m.listeners {
		ls = append(ls, f)
	}
	m.mu.Unlock()
	for _, f := range ls {
		f()
	}
}

// Start connects what is configured; the clients run until ctx ends. Call
// Wait after ctx ended to wait for them.
func (m *Manager) Start(ctx context.Context) {
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	m.startTwitch()
	m.startOBS()
}

// Wait waits until every client and login goroutine has ended (after Start's
// context ended).
func (m *Manager) Wait() { m.wg.Wait() }

// go runs f as one of the Manager's goroutines.
func (m *Manager) goRun(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

func (m *Manager) emit(source string) func(string, map[string]any) {
	return func(typ string, data map[string]any) {
		m.cfg.Emit(source, typ, data)
		if strings.HasSuffix(typ, ".connected") || strings.HasSuffix(typ, ".disconnected") {
			m.notify()
		}
	}
}

// ---- Twitch ----

// twitchTarget is the effective client id and channel.
func (m *Manager) twitchTarget() (clientID, channel string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	clientID, channel = m.set.Twitch.ClientID, m.set.Twitch.Channel
	if m.cfg.Flags.TwitchClientID != "" {
		clientID = m.cfg.Flags.TwitchClientID
	}
	if m.cfg.Flags.TwitchChannel != "" {
		channel = m.cfg.Flags.TwitchChannel
	}
	return clientID, strings.ToLower(strings.TrimPrefix(channel, "#"))
}

func (m *Manager) twitchConfig() twitch.Config {
	cfg := m.cfg.Twitch
	cfg.ClientID, cfg.Channel = m.twitchTarget()
	cfg.Token = m.cfg.Flags.TwitchToken
	if cfg.Logger == nil {
		cfg.Logger = m.cfg.Logger.With("platform", "twitch")
	}
	return cfg
}

// startTwitch starts a client when Twitch is configured and logged in
// (m.op held, no client running).
func (m *Manager) startTwitch() {
	m.mu.Lock()
	ctx := m.ctx
	m.mu.Unlock()
	if ctx == nil || m.cfg.TwitchOff {
		return
	}
	cfg := m.twitchConfig()
	if cfg.ClientID == "" || cfg.Channel == "" {
		m.log.Info("Twitch is not configured: connect it on the panel's Connections page (or set --twitch-client-id and --twitch-channel); bot messages go to the chat console")
		return
	}
	if cfg.Token == "" {
		if _, ok, err := m.toks.LoadTokens(); err != nil || !ok {
			if err != nil {
				m.setTwitchErr(fmt.Sprintf("reading the stored login: %v", err))
			}
			m.log.Info("Twitch is not logged in: log in on the panel's Connections page (or run `starstreamer twitch login`)")
			return
		}
	}
	c, err := twitch.New(cfg, m.toks, m.emit("twitch"))
	if err != nil {
		m.setTwitchErr(err.Error())
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	m.twRun, m.twErr = r, ""
	m.mu.Unlock()
	m.tw.Store(c)
	m.goRun(func() {
		defer close(r.done)
		err := c.Run(rctx)
		if err != nil && rctx.Err() == nil {
			m.log.Error("twitch stopped", "err", err)
			m.setTwitchErr(err.Error())
			return
		}
		m.notify()
	})
	m.notify()
}

func (m *Manager) setTwitchErr(msg string) {
	m.mu.Lock()
	m.twErr = msg
	m.mu.Unlock()
	m.notify()
}

// stopTwitch stops the running client, if any (m.op held).
func (m *Manager) stopTwitch() {
	m.mu.Lock()
	r := m.twRun
	m.twRun = nil
	m.mu.Unlock()
	r.stop()
	m.tw.Store(nil)
}

// stopLogin cancels a login in progress (m.op held).
func (m *Manager) stopLogin() {
	m.mu.Lock()
	stop := m.loginStop
	m.login, m.loginStop = nil, nil
	m.mu.Unlock()
	if stop != nil {
		stop()
	}
}

var (
	clientIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	channelRe  = regexp.MustCompile(`^[A-Za-z0-9_]{1,25}$`)
)

// SetTwitch stores the application's client id and the channel and
// reconnects Twitch with them. A new client id forgets the login (tokens
// belong to one application); a new channel keeps it.
func (m *Manager) SetTwitch(ctx context.Context, clientID, channel string) error {
	clientID = strings.TrimSpace(clientID)
	channel = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(channel), "#"))
	fl := m.cfg.Flags
	switch {
	case fl.TwitchClientID != "" && clientID != "" && clientID != fl.TwitchClientID:
		return &ConflictError{"client_id", "--twitch-client-id"}
	case fl.TwitchChannel != "" && channel != "" && channel != strings.ToLower(strings.TrimPrefix(fl.TwitchChannel, "#")):
		return &ConflictError{"channel", "--twitch-channel"}
	case clientID != "" && !clientIDRe.MatchString(clientID):
		return &InputError{"client_id", "the client id is letters and digits (copy it from your application's page on dev.twitch.tv)"}
	case channel != "" && !channelRe.MatchString(channel):
		return &InputError{"channel", "a channel is a Twitch login: letters, digits and _, at most 25"}
	}
	m.op.Lock()
	defer m.op.Unlock()
	oldID, _ := m.twitchTarget()
	m.mu.Lock()
	next := m.set
	if fl.TwitchClientID == "" {
		next.Twitch.ClientID = clientID
	}
	if fl.TwitchChannel == "" {
		next.Twitch.Channel = channel
	}
	m.mu.Unlock()
	if err := m.cfg.Store.SetSetting(SettingsSetting, next); err != nil {
		return fmt.Errorf("saving the Twitch settings: %w", err)
	}
	m.stopLogin()
	m.stopTwitch()
	m.mu.Lock()
	m.set, m.twErr = next, ""
	m.mu.Unlock()
	newID, newChannel := m.twitchTarget()
	if oldID != "" && newID != oldID {
		m.forgetTokens(ctx, oldID)
	}
	m.log.Info("twitch settings changed", "client_id", newID, "channel", newChannel)
	m.startTwitch()
	m.notify()
	return nil
}

// forgetTokens revokes the stored login (for application clientID) and
// forgets it. A failed revocation is logged: the tokens are forgotten anyway.
func (m *Manager) forgetTokens(ctx context.Context, clientID string) {
	tok, ok, err := m.toks.LoadTokens()
	if err != nil {
		m.log.Warn("reading the Twitch login to revoke it", "err", err)
	}
	if ok {
		cfg := m.cfg.Twitch
		cfg.ClientID = clientID
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := twitch.Revoke(rctx, cfg, tok.AccessToken); err != nil {
			m.log.Warn("could not revoke the Twitch token; it is forgotten here anyway (remove the app under Twitch Settings > Connections)", "err", err)
		}
		cancel()
	}
	if err := m.toks.SaveTokens(twitch.Tokens{}); err != nil {
		m.log.Error("forgetting the Twitch login", "err", err)
	}
}

// StartTwitchLogin starts a device-code login for the scopes the enabled
// modules need and returns the code to show. The login finishes in the
// background: on approval the tokens are stored and Twitch connects.
func (m *Manager) StartTwitchLogin(ctx context.Context) (LoginCode, error) {
	if m.cfg.Flags.TwitchToken != "" {
		return LoginCode{}, &ConflictError{"token", "--twitch-token"}
	}
	m.op.Lock()
	defer m.op.Unlock()
	cfg := m.twitchConfig()
	if cfg.ClientID == "" || cfg.Channel == "" {
		return LoginCode{}, ErrNotConfigured
	}
	m.mu.Lock()
	base := m.ctx
	m.mu.Unlock()
	if base == nil {
		return LoginCode{}, errors.New("connections: not started")
	}
	m.stopLogin()
	scopes, _ := m.neededScopes()
	d, err := twitch.StartDeviceLogin(ctx, cfg, scopes)
	if err != nil {
		m.setTwitchErr(err.Error())
		return LoginCode{}, err
	}
	lctx, cancel := context.WithCancel(base)
	if !d.ExpiresAt.IsZero() {
		lctx, cancel = context.WithDeadline(base, d.ExpiresAt.Add(time.Second))
	}
	m.mu.Lock()
	m.login, m.loginStop, m.twErr = d, cancel, ""
	m.mu.Unlock()
	m.log.Info("twitch login started: waiting for the user to approve", "scopes", strings.Join(scopes, " "))
	m.goRun(func() {
		defer cancel()
		tok, err := d.Wait(lctx)
		m.finishLogin(d, tok, err)
	})
	m.notify()
	return loginCode(d), nil
}

func loginCode(d *twitch.DeviceCode) LoginCode {
	lc := LoginCode{VerificationURI: d.VerificationURI, UserCode: d.UserCode, ExpiresAt: d.ExpiresAt}
	if !d.ExpiresAt.IsZero() {
		lc.ExpiresIn = max(0, int(time.Until(d.ExpiresAt).Seconds()))
	}
	return lc
}

// finishLogin stores approved tokens and (re)connects Twitch, or records why
// the login failed.
func (m *Manager) finishLogin(d *twitch.DeviceCode, tok twitch.Tokens, err error) {
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	current := m.login == d
	if current {
		m.login, m.loginStop = nil, nil
	}
	m.mu.Unlock()
	if !current {
		return // cancelled or replaced by a newer login
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			m.notify()
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = twitch.ErrDeviceCodeExpired
		}
		m.log.Warn("twitch login failed", "err", err)
		m.setTwitchErr(err.Error())
		return
	}
	if err := m.toks.SaveTokens(tok); err != nil {
		m.setTwitchErr(fmt.Sprintf("saving the login: %v", err))
		return
	}
	m.log.Info("twitch login approved", "login", tok.Login, "scopes", strings.Join(tok.Scopes, " "))
	m.stopTwitch()
	m.startTwitch()
}

// LogoutTwitch disconnects Twitch, revokes the token and forgets it.
func (m *Manager) LogoutTwitch(ctx context.Context) error {
	if m.cfg.Flags.TwitchToken != "" {
		return &ConflictError{"token", "--twitch-token"}
	}
	m.op.Lock()
	defer m.op.Unlock()
	m.stopLogin()
	m.stopTwitch()
	id, _ := m.twitchTarget()
	m.forgetTokens(ctx, id)
	m.mu.Lock()
	m.twErr = ""
	m.mu.Unlock()
	m.log.Info("twitch logged out")
	m.notify()
	return nil
}

// neededScopes are the scopes for the events and the enabled modules'
// permissions, and which modules need each permission-borne scope.
func (m *Manager) neededScopes() ([]string, map[string][]string) {
	var perms []string
	who := map[string][]string{}
	if m.cfg.Modules != nil {
		for _, mod := range m.cfg.Modules() {
			if !mod.Enabled {
				continue
			}
			for _, p := range mod.Permissions {
				perms = append(perms, p)
				for _, s := range twitch.PermissionScopes[p] {
					who[s] = append(who[s], mod.Name)
				}
			}
		}
	}
	for s := range who {
		sort.Strings(who[s])
		who[s] = compactStrings(who[s])
	}
	return twitch.ScopesFor(perms), who
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (m *Manager) twitchStatus() TwitchStatus {
	clientID, channel := m.twitchTarget()
	st := TwitchStatus{ClientID: clientID, Channel: channel, Scopes: []string{}, MissingScopes: []MissingScope{}, Fixed: []string{}}
	fl := m.cfg.Flags
	if fl.TwitchClientID != "" {
		st.Fixed = append(st.Fixed, "client_id")
	}
	if fl.TwitchChannel != "" {
		st.Fixed = append(st.Fixed, "channel")
	}
	if fl.TwitchToken != "" {
		st.Fixed = append(st.Fixed, "token")
	}
	needed, who := m.neededScopes()
	st.RequestedScopes = needed

	m.mu.Lock()
	login, running, lastErr := m.login, m.twRun != nil, m.twErr
	m.mu.Unlock()
	c := m.tw.Load()

	var granted []string
	var expires time.Time
	if c != nil {
		info := c.Info()
		st.Bot, granted, expires = info.BotLogin, info.Scopes, info.ExpiresAt
	}
	if tok, ok, _ := m.toks.LoadTokens(); ok && fl.TwitchToken == "" {
		if len(granted) == 0 {
			granted = tok.Scopes
		}
		if expires.IsZero() {
			expires = tok.ExpiresAt
		}
		if st.Bot == "" {
			st.Bot = strings.ToLower(tok.Login)
		}
	}
	if len(granted) > 0 {
		st.Scopes = append(st.Scopes, granted...)
		for _, s := range needed {
			if !contains(granted, s) {
				st.MissingScopes = append(st.MissingScopes, MissingScope{Scope: s, Modules: who[s]})
			}
		}
	}
	if !expires.IsZero() {
		st.TokenExpiresAt = &expires
	}
	st.LastError = lastErr
	switch {
	case clientID == "" || channel == "":
		st.State = StateNotConfigured
	case login != nil:
		st.State = StateLoggingIn
		lc := loginCode(login)
		st.Login = &lc
	case c != nil && c.Connected():
		st.State = StateConnected
	case lastErr != "":
		st.State = StateError
	case running:
		st.State = StateConnecting
	default: // configured, not logged in
		st.State = StateOffline
	}
	return st
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- OBS ----

// obsTarget is the effective OBS address and password, and whether OBS is on.
func (m *Manager) obsTarget() (addr, password string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fl, s := m.cfg.Flags, m.set.OBS
	switch {
	case fl.OBSAddrSet:
		addr, on = fl.OBSAddr, fl.OBSAddr != ""
	case s.Set:
		addr, on = s.Addr, s.Addr != "" && !s.Off
	default:
		addr = fl.OBSDefaultAddr
		on = addr != ""
	}
	password = s.Password
	if fl.OBSPasswordSet {
		password = fl.OBSPassword
	}
	return addr, password, on
}

// startOBS starts a client when OBS is on (m.op held, none running).
func (m *Manager) startOBS() {
	m.mu.Lock()
	ctx := m.ctx
	m.mu.Unlock()
	if ctx == nil || m.cfg.OBSOff {
		return
	}
	addr, password, on := m.obsTarget()
	if !on {
		m.log.Info("OBS is off: connect it on the panel's Connections page (or set --obs-addr)")
		return
	}
	cfg := m.cfg.OBS
	cfg.Addr, cfg.Password = addr, password
	if cfg.Logger == nil {
		cfg.Logger = m.cfg.Logger.With("platform", "obs")
	}
	c := obs.New(cfg, m.emit("obs"))
	c.OnChange(m.notify)
	rctx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	m.obsRun = r
	m.mu.Unlock()
	m.obs.Store(c)
	m.goRun(func() {
		defer close(r.done)
		if err := c.Run(rctx); err != nil {
			m.log.Error("obs stopped", "err", err)
		}
	})
	m.notify()
}

// stopOBS stops the running client, if any (m.op held).
func (m *Manager) stopOBS() {
	m.mu.Lock()
	r := m.obsRun
	m.obsRun = nil
	m.mu.Unlock()
	r.stop()
	m.obs.Store(nil)
}

// SetOBS stores the OBS address and password (nil: keep the stored one) and
// connects with them, replacing the current connection. It waits up to
// ConnectWait for the first attempt and returns the state then: connected,
// or an error saying why not (the client keeps retrying).
func (m *Manager) SetOBS(ctx context.Context, addr string, password *string) (OBSStatus, error) {
	addr = strings.TrimSpace(addr)
	fl := m.cfg.Flags
	if fl.OBSAddrSet && addr != fl.OBSAddr {
		return OBSStatus{}, &ConflictError{"addr", "--obs-addr"}
	}
	if fl.OBSPasswordSet && password != nil && *password != fl.OBSPassword {
		return OBSStatus{}, &ConflictError{"password", "--obs-password"}
	}
	if err := checkAddr(addr); err != nil {
		return OBSStatus{}, err
	}
	m.op.Lock()
	m.mu.Lock()
	next := m.set
	next.OBS.Set, next.OBS.Addr, next.OBS.Off = true, addr, false
	if password != nil {
		next.OBS.Password = *password
	}
	m.mu.Unlock()
	if err := m.cfg.Store.SetSetting(SettingsSetting, next); err != nil {
		m.op.Unlock()
		return OBSStatus{}, fmt.Errorf("saving the OBS settings: %w", err)
	}
	m.stopOBS()
	m.mu.Lock()
	m.set = next
	m.mu.Unlock()
	m.log.Info("obs settings changed", "addr", addr, "password_set", next.OBS.Password != "")
	changed := make(chan struct{}, 1)
	defer m.OnChange(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})()
	m.startOBS()
	c := m.obs.Load()
	m.op.Unlock()

	timer := time.NewTimer(m.cfg.ConnectWait)
	defer timer.Stop()
	for c != nil {
		if st := c.Status(); st.Connected || st.LastError != nil {
			break
		}
		select {
		case <-changed:
		case <-timer.C:
			return m.obsStatus(), nil
		case <-ctx.Done():
			return m.obsStatus(), nil
		}
	}
	return m.obsStatus(), nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return &InputError{"addr", fmt.Sprintf("%q is not host:port (OBS's default is %s)", addr, obs.DefaultAddr)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return &InputError{"addr", fmt.Sprintf("port %q is not a number from 1 to 65535", port)}
	}
	return nil
}

// DisconnectOBS turns OBS off (and remembers it) until SetOBS.
func (m *Manager) DisconnectOBS() error {
	if m.cfg.Flags.OBSAddrSet {
		return &ConflictError{"addr", "--obs-addr"}
	}
	m.op.Lock()
	defer m.op.Unlock()
	addr, _, _ := m.obsTarget()
	m.mu.Lock()
	next := m.set
	next.OBS.Set, next.OBS.Addr, next.OBS.Off = true, addr, true
	m.mu.Unlock()
	if err := m.cfg.Store.SetSetting(SettingsSetting, next); err != nil {
		return fmt.Errorf("saving the OBS settings: %w", err)
	}
	m.stopOBS()
	m.mu.Lock()
	m.set = next
	m.mu.Unlock()
	m.log.Info("obs turned off from the panel")
	m.notify()
	return nil
}

func (m *Manager) obsStatus() OBSStatus {
	addr, password, on := m.obsTarget()
	st := OBSStatus{Addr: addr, HasPassword: password != "", Fixed: []string{}}
	if m.cfg.Flags.OBSAddrSet {
		st.Fixed = append(st.Fixed, "addr")
	}
	if m.cfg.Flags.OBSPasswordSet {
		st.Fixed = append(st.Fixed, "password")
	}
	c := m.obs.Load()
	if !on || c == nil {
		st.State = StateOffline
		return st
	}
	cs := c.Status()
	st.OBSVersion, st.WebSocketVersion = cs.OBSVersion, cs.WebSocketVersion
	if !cs.Since.IsZero() {
		since := cs.Since
		st.Since = &since
	}
	switch {
	case cs.Connected:
		st.State = StateConnected
	case cs.LastError != nil:
		st.State, st.LastError = StateError, cs.LastError.Error()
	default:
		st.State = StateConnecting
	}
	return st
}

// Status reports every connection's state.
func (m *Manager) Status() Status {
	return Status{Twitch: m.twitchStatus(), OBS: m.obsStatus()}
}

// Platforms is the one-word state of each connection, for the header pills.
func (m *Manager) Platforms() map[string]string {
	st := m.Status()
	return map[string]string{"twitch": st.Twitch.State, "obs": st.OBS.State}
}
