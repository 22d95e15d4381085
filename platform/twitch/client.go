package twitch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Emit hands a normalized event to the engine's bus (main wires it to bus.Emit).
// Data values use only: string, bool, int64, float64, nil, []any, map[string]any.
type Emit func(eventType string, data map[string]any)

// Errors callers test with errors.Is.
var (
	// ErrNotConnected: the client has no usable Twitch identity yet (Run has
	// not validated the token) or Run has ended.
	ErrNotConnected = errors.New("twitch: not connected")
	// ErrNotLoggedIn: no token was given and none is stored.
	ErrNotLoggedIn = errors.New("twitch: not logged in (run `starstreamer twitch login` or pass --twitch-token)")
	// ErrUnauthorized: Twitch rejected the token and it could not be refreshed.
	ErrUnauthorized = errors.New("twitch: token rejected")
	// ErrQueueFull: the outbound chat queue has no room for the message.
	ErrQueueFull = errors.New("twitch: chat queue is full")
	// ErrUserNotFound: Get Users knows no such login.
	ErrUserNotFound = errors.New("twitch: user not found")
	// ErrMessageDropped: Send Chat Message answered is_sent=false. The
	// *DropError carries Twitch's drop_reason.
	ErrMessageDropped = errors.New("twitch: chat message dropped")
)

// EventScopes are the OAuth scopes the subscribed events need (every
// module may listen to every event, so they are always asked for): the
// first, least powerful scope of each subscription (events.go lists them).
// A token without one still works; the events that need it are not
// subscribed and Refusals says which scope would bring them.
var EventScopes = subscriptionScopes()

// PermissionScopes are the scopes the Helix actions behind a module
// permission need. A permission no Helix call serves has no entry. Reading
// (twitch.followers, is_following, is_subscribed) needs no permission: its
// scopes (moderator:read:followers, channel:read:subscriptions) are event
// scopes, always asked for.
var PermissionScopes = map[string][]string{
	"twitch.chat":  {"user:write:chat"}, // Send Chat Message (send_message, reply)
	"twitch.clips": {"clips:edit"},      // Create Clip
	// bans and timeouts, deleting messages and clearing chat, chat modes,
	// announcements, shoutouts
	"twitch.moderate": {ScopeBans, ScopeChatMessages, ScopeChatSettings, ScopeAnnouncements, ScopeShoutouts},
	"twitch.whisper":  {ScopeWhispers},
	// title/game/tags and markers, polls, predictions, rewards and
	// redemptions, raids, commercials, VIPs, moderators
	"twitch.channel": {ScopeBroadcast, ScopePolls, ScopePredictions, ScopeRedemptions, ScopeRaids,
		ScopeCommercial, ScopeVIPs, ScopeModerators},
}

// Scopes are exactly the OAuth scopes the subscribed events and every Helix
// action need (every permission at once); `twitch login` without enabled
// modules requests and lists them.
var Scopes = ScopesFor([]string{"twitch.chat", "twitch.clips", "twitch.moderate", "twitch.whisper", "twitch.channel"})

// ScopesFor is EventScopes plus the scopes of perms (module permissions),
// without repeats, in a stable order.
func ScopesFor(perms []string) []string {
	out := append([]string(nil), EventScopes...)
	seen := map[string]bool{}
	for _, s := range out {
		seen[s] = true
	}
	var extra []string
	for _, p := range perms {
		for _, s := range PermissionScopes[p] {
			if !seen[s] {
				seen[s] = true
				extra = append(extra, s)
			}
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// Config says where Twitch is and how the client behaves. Zero values get
// the defaults documented on each field.
type Config struct {
	ClientID string
	Channel  string // broadcaster login
	Token    string // optional user access token: skips the stored login (no refresh)

	AuthURL          string // default https://id.twitch.tv
	APIURL           string // default https://api.twitch.tv/helix
	EventSubURL      string // default wss://eventsub.wss.twitch.tv/ws
	SubscriptionsURL string // default APIURL + "/eventsub/subscriptions"

	HTTPClient *http.Client // default: a client with a 15 s timeout
	Logger     *slog.Logger // default: discard

	QueueSize    int           // outbound chat messages waiting, default 100
	ChatLimit    int           // messages per ChatWindow, default 20
	ChatModLimit int           // when the bot is moderator or broadcaster, default 100
	ChatWindow   time.Duration // default 30 s
	MaxMessage   int           // characters per chat message, default 500

	KeepaliveGrace time.Duration // added to keepalive_timeout_seconds before reconnecting, default 5 s
	WelcomeTimeout time.Duration // wait for session_welcome after connecting, default 10 s
	BackoffMin     time.Duration // first reconnect delay, default 1 s
	BackoffMax     time.Duration // longest reconnect delay, default 2 min
	DedupeSize     int           // message ids remembered, default 2048

	ValidateEvery time.Duration // token validation period, default 1 h
	RefreshBefore time.Duration // refresh this long before expiry, default 5 min

	ClipPollInterval time.Duration // default 1 s
	ClipTimeout      time.Duration // default 15 s

	DevicePollInterval time.Duration // overrides the device endpoint's interval when > 0
	MaxRateLimitWait   time.Duration // longest wait for Ratelimit-Reset on 429, default 1 min

	Now func() time.Time // clock, default time.Now
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	num := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	def(&c.AuthURL, "https://id.twitch.tv")
	def(&c.APIURL, "https://api.twitch.tv/helix")
	def(&c.EventSubURL, "wss://eventsub.wss.twitch.tv/ws")
	c.AuthURL = strings.TrimRight(c.AuthURL, "/")
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	def(&c.SubscriptionsURL, c.APIURL+"/eventsub/subscriptions")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	num(&c.QueueSize, 100)
	num(&c.ChatLimit, 20)
	num(&c.ChatModLimit, 100)
	dur(&c.ChatWindow, 30*time.Second)
	num(&c.MaxMessage, 500)
	dur(&c.KeepaliveGrace, 5*time.Second)
	dur(&c.WelcomeTimeout, 10*time.Second)
	dur(&c.BackoffMin, time.Second)
	dur(&c.BackoffMax, 2*time.Minute)
	num(&c.DedupeSize, 2048)
	dur(&c.ValidateEvery, time.Hour)
	dur(&c.RefreshBefore, 5*time.Minute)
	dur(&c.ClipPollInterval, time.Second)
	dur(&c.ClipTimeout, 15*time.Second)
	dur(&c.MaxRateLimitWait, time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Clip is a created clip.
type Clip struct{ ID, URL, EditURL string }

// Stream is the channel's live state (Get Streams).
type Stream struct {
	Live      bool
	StartedAt time.Time
	Title     string
	Game      string
	Viewers   int
}

// User is a Twitch account (Get Users).
type User struct{ ID, Login, DisplayName string }

// Refusal is a subscription Twitch would not create.
type Refusal struct {
	Type    string // subscription type, e.g. channel.cheer
	Scope   string // the scope it needs ("" when it needs none)
	Missing bool   // the token lacks Scope
	Status  int
	Message string // Twitch's own words
	Hint    string // what to do about it, by Status ("" when there is nothing to say)
}

// identity is who the client acts as and for which channel.
type identity struct {
	botID, botLogin               string
	broadcasterID, broadcasterLog string
	scopes                        []string
}

// Client is a Twitch connection: token upkeep, the EventSub session, Helix
// calls and the outbound chat queue.
//
// Lifecycle:
//  1. New checks the Config; nothing touches the network.
//  2. Run validates (or refreshes) the token, resolves the broadcaster and
//     bot ids, then keeps the EventSub session up until ctx is done.
//  3. SendMessage, Reply, CreateClip, Stream and User work while Run is
//     running (after step 2); otherwise they return ErrNotConnected.
type Client struct {
	cfg   Config
	store TokenStore
	emit  Emit
	log   *slog.Logger

	tokMu     sync.Mutex
	tok       Tokens
	refreshMu sync.Mutex // one refresh at a time

	idMu     sync.RWMutex
	id       identity
	refusals map[string]Refusal

	ready     atomic.Bool // identity resolved and Run running
	connected atomic.Bool // EventSub session welcomed
	botIsMod  atomic.Bool
	started   atomic.Bool
	done      chan struct{} // closed when Run returns

	bucket rateBucket // Helix's rate limit, from the Ratelimit-* headers
	users  userCache  // logins and ids looked up lately

	dedupe *dedupe
	queue  *chatQueue
	sent   sentLog // lines sent lately, to mark their echo from_bot
}

// New makes a Client. emit receives every twitch.* event.
func New(cfg Config, store TokenStore, emit Emit) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("twitch: client id is required")
	}
	if cfg.Channel == "" {
		return nil, errors.New("twitch: channel (broadcaster login) is required")
	}
	if cfg.Token == "" && store == nil {
		return nil, errors.New("twitch: a token store is required without a token")
	}
	if emit == nil {
		emit = func(string, map[string]any) {}
	}
	cfg = cfg.withDefaults()
	cfg.Channel = strings.ToLower(strings.TrimPrefix(cfg.Channel, "#"))
	c := &Client{
		cfg:      cfg,
		store:    store,
		emit:     emit,
		log:      cfg.Logger.With("component", "twitch"),
		refusals: map[string]Refusal{},
		done:     make(chan struct{}),
		dedupe:   newDedupe(cfg.DedupeSize),
	}
	c.queue = newChatQueue(c)
	return c, nil
}

// Info is what the client knows of its login, for display: no secrets.
type Info struct {
	BotLogin  string    // the token's user, "" until Run validated the token
	Channel   string    // the broadcaster login
	Scopes    []string  // the scopes granted to the token, as Twitch reported them
	ExpiresAt time.Time // the access token's expiry (zero: unknown)
	Ready     bool      // Run has resolved the identity and is running
	Connected bool      // the EventSub session is up
}

// Info reports the client's login and connection state.
func (c *Client) Info() Info {
	id := c.ident()
	t := c.tokens()
	scopes := id.scopes
	if len(scopes) == 0 {
		scopes = t.Scopes
	}
	return Info{BotLogin: strings.ToLower(id.botLogin), Channel: c.cfg.Channel, Scopes: append([]string(nil), scopes...),
		ExpiresAt: t.ExpiresAt, Ready: c.ready.Load(), Connected: c.connected.Load()}
}

// Connected reports whether the EventSub session is up (welcomed).
func (c *Client) Connected() bool { return c.connected.Load() }

// BotLogin is the login of the account the client acts as (the token's
// user), lower case; "" until Run has validated the token.
func (c *Client) BotLogin() string { return strings.ToLower(c.ident().botLogin) }

func (c *Client) ident() identity {
	c.idMu.RLock()
	defer c.idMu.RUnlock()
	return c.id
}

// Run validates the token, resolves the broadcaster and bot ids, then runs
// the EventSub session (connect, subscribe, read, reconnect) and the chat
// queue until ctx is done. It returns nil after ctx is cancelled, or an
// error when it cannot start (no token, token rejected). Call it once.
func (c *Client) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("twitch: Run called twice")
	}
	defer close(c.done)
	if err := c.start(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.queue.run(ctx) }()
	go func() { defer wg.Done(); c.maintainToken(ctx) }()
	c.ready.Store(true)
	c.eventSubLoop(ctx)
	c.ready.Store(false)
	cancel()
	wg.Wait()
	return nil
}

// start loads and validates the token and resolves the ids.
func (c *Client) start(ctx context.Context) error {
	if c.cfg.Token != "" {
		c.setTokens(Tokens{AccessToken: strings.TrimPrefix(c.cfg.Token, "oauth:")})
	} else {
		t, ok, err := c.store.LoadTokens()
		if err != nil {
			return fmt.Errorf("twitch: load tokens: %w", err)
		}
		if !ok || t.AccessToken == "" {
			return ErrNotLoggedIn
		}
		c.setTokens(t)
	}
	v, err := c.validate(ctx)
	switch {
	case errors.Is(err, ErrUnauthorized):
		if err := c.refresh(ctx, c.accessToken()); err != nil {
			return fmt.Errorf("twitch: start: %w", err)
		}
		if v, err = c.validate(ctx); err != nil {
			return fmt.Errorf("twitch: start: validate refreshed token: %w", err)
		}
	case err != nil:
		// Twitch's id service unreachable (or a mock without it): carry on,
		// Helix tells us who we are.
		c.log.Warn("twitch token validation unavailable; continuing", "err", err)
	}
	return c.resolveIdentity(ctx, v)
}

func (c *Client) resolveIdentity(ctx context.Context, v validation) error {
	id := identity{botID: v.UserID, botLogin: v.Login, scopes: v.Scopes}
	if id.botID == "" {
		me, err := c.getUser(ctx, "")
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				return fmt.Errorf("twitch: start: %w", err)
			}
			c.log.Warn("twitch: cannot look up the token's user", "err", err)
		}
		id.botID, id.botLogin = me.ID, me.Login
	}
	if strings.EqualFold(id.botLogin, c.cfg.Channel) && id.botID != "" {
		id.broadcasterID, id.broadcasterLog = id.botID, c.cfg.Channel
	} else {
		b, err := c.getUser(ctx, c.cfg.Channel)
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				return fmt.Errorf("twitch: start: %w", err)
			}
			c.log.Warn("twitch: cannot look up the channel", "channel", c.cfg.Channel, "err", err)
		}
		id.broadcasterID, id.broadcasterLog = b.ID, c.cfg.Channel
	}
	if id.botID != "" && id.botID == id.broadcasterID {
		c.botIsMod.Store(true)
	}
	c.idMu.Lock()
	c.id = id
	c.idMu.Unlock()
	c.tokMu.Lock()
	c.tok.UserID, c.tok.Login = id.botID, id.botLogin
	c.tokMu.Unlock()
	c.log.Info("twitch identity", "bot", id.botLogin, "bot_id", id.botID, "channel", c.cfg.Channel,
		"broadcaster_id", id.broadcasterID, "scopes", strings.Join(id.scopes, " "))
	for _, s := range EventScopes {
		if len(id.scopes) > 0 && !slices.Contains(id.scopes, s) {
			c.log.Warn("twitch token lacks a scope; `starstreamer twitch login` again to grant it", "scope", s)
		}
	}
	return nil
}

func (c *Client) emitEvent(typ string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	c.emit(typ, data)
}
