package connections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// Discord is the Discord bot's state; nil when it is not configured.
	Discord *DiscordStatus `json:"discord,omitempty"`
}

// DiscordStatus is the Discord bot's state. The bot is configured by flags
// (--discord-token, --discord-guild), not on the page: the panel only shows
// it. It never holds the token.
type DiscordStatus struct {
	State     string `json:"state"` // connecting, connected or error
	Guild     string `json:"guild"`
	GuildName string `json:"guild_name,omitempty"`
	Bot       string `json:"bot,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// SetDiscord makes Status report the Discord bot's state from f (nil: none).
// Call Changed when that state changes.
func (m *Manager) SetDiscord(f func() DiscordStatus) { m.discord.Store(&f) }

// Changed tells the OnChange listeners that a connection's state changed.
func (m *Manager) Changed() { m.notify() }

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

	discord atomic.Pointer[func() DiscordStatus] // SetDiscord's

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

// Status reports every connection's state.
func (m *Manager) Status() Status {
	st := Status{Twitch: m.twitchStatus(), OBS: m.obsStatus()}
	if f := m.discord.Load(); f != nil && *f != nil {
		d := (*f)()
		st.Discord = &d
	}
	return st
}

// Platforms is the one-word state of each connection, for the header pills.
func (m *Manager) Platforms() map[string]string {
	st := m.Status()
	out := map[string]string{"twitch": st.Twitch.State, "obs": st.OBS.State}
	if st.Discord != nil {
		out["discord"] = st.Discord.State
	}
	return out
}
