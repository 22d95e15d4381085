package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Emit hands a normalized event to the engine's bus. Data values use only:
// string, bool, int64, float64, nil, []any, map[string]any. It is called from
// one goroutine per connection, in order; it should not block for long.
type Emit func(eventType string, data map[string]any)

// Config configures a Client. Zero values take the defaults.
type Config struct {
	Token    string   // bot token, without "Bot "; never logged or returned
	Guild    string   // the guild (server) id the bot serves; events of other guilds are ignored
	Channels []string // channel ids the bot may speak in; empty: any channel (one known to be of another guild is refused)
	// APIURL replaces Discord's REST base (https://discord.com/api/v9) for
	// every request, so a fake server can stand in; default Discord's.
	APIURL string
	// GatewayURL is the gateway websocket to dial; empty: ask the REST API
	// (GET /gateway), as Discord documents.
	GatewayURL string
	Logger     *slog.Logger

	// Role names (case-insensitive) that give a member a command permission
	// level; the guild's owner is the broadcaster. Defaults:
	// DefaultModeratorRoles, DefaultVIPRoles, DefaultSubscriberRoles.
	ModeratorRoles, VIPRoles, SubscriberRoles []string

	// Reconnect backoff: it starts at MinBackoff, doubles per failed attempt
	// up to MaxBackoff (with ±20% jitter), and resets after a connection.
	MinBackoff, MaxBackoff time.Duration // defaults 1s and 60s
	// RequestTimeout bounds every request, including discordgo's waits for
	// a rate limit to pass; default 15s.
	RequestTimeout time.Duration
	// OpenTimeout bounds one connection attempt, from the dial to READY;
	// default 30s. (discordgo's Open has no deadline of its own.)
	OpenTimeout time.Duration
}

// Default role names of Config.
var (
	DefaultModeratorRoles  = []string{"Moderator", "Mod", "Admin"}
	DefaultVIPRoles        = []string{"VIP"}
	DefaultSubscriberRoles = []string{"Subscriber", "Twitch Subscriber"}
)

// Defaults of Config.
const (
	DefaultAPIURL         = "https://discord.com/api/v9"
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 60 * time.Second
	DefaultRequestTimeout = 15 * time.Second
	DefaultOpenTimeout    = 30 * time.Second
)

func (cfg Config) withDefaults() Config {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ModeratorRoles == nil {
		cfg.ModeratorRoles = DefaultModeratorRoles
	}
	if cfg.VIPRoles == nil {
		cfg.VIPRoles = DefaultVIPRoles
	}
	if cfg.SubscriberRoles == nil {
		cfg.SubscriberRoles = DefaultSubscriberRoles
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
	if cfg.OpenTimeout <= 0 {
		cfg.OpenTimeout = DefaultOpenTimeout
	}
	return cfg
}

// Errors of requests.
var (
	// ErrNotConnected: there is no gateway connection right now (the
	// client is starting, reconnecting or stopped).
	ErrNotConnected = errors.New("discord: not connected")
	// ErrChannelNotAllowed: the channel is not one of Config.Channels.
	ErrChannelNotAllowed = errors.New("discord: the bot may not speak in this channel")
)

// Status is what a Client knows of its connection, for display.
type Status struct {
	Connected bool
	Since     time.Time // when connected, or when LastError happened
	LastError error     // why the last attempt failed or the connection ended; nil while connected
	Attempts  int       // failed attempts since the last connection
	BotUser   string    // the bot's username, once connected
	GuildName string    // the configured guild's name, once Discord sent it
}

// Client is a bot's connection to Discord that reconnects by itself. Create
// it with New, start it with Run; requests are safe for concurrent use and
// fail fast with ErrNotConnected while there is no connection.
type Client struct {
	cfg  Config
	log  *slog.Logger
	emit Emit
	http *http.Client

	mu   sync.Mutex
	sess *discordgo.Session // nil while disconnected

	stMu     sync.Mutex
	status   Status
	onChange func()

	running atomic.Bool
}

// New returns a client for cfg; emit receives the discord.* events.
// Nothing happens until Run.
func New(cfg Config, emit Emit) *Client {
	cfg = cfg.withDefaults()
	if emit == nil {
		emit = func(string, map[string]any) {}
	}
	return &Client{
		cfg:  cfg,
		log:  cfg.Logger.With("component", "discord", "guild", cfg.Guild),
		emit: emit,
		http: &http.Client{
			Timeout:   cfg.RequestTimeout,
			Transport: &rebase{from: discordgo.EndpointAPI, to: cfg.APIURL + "/", gateway: cfg.GatewayURL, next: http.DefaultTransport},
		},
	}
}

// Status reports the connection's state.
func (c *Client) Status() Status {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	st := c.status
	st.Connected = c.session() != nil
	return st
}

// OnChange sets a function called after Status changed. It must not block.
// Set it before Run.
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

// Connected reports whether the client has a live gateway connection.
func (c *Client) Connected() bool { return c.session() != nil }

func (c *Client) session() *discordgo.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Run connects and keeps connected until ctx ends; when the connection
// fails or is lost it retries with backoff. Each connection emits
// discord.connected, each loss discord.disconnected. It is an error to run
// one Client twice at the same time, or with no token.
func (c *Client) Run(ctx context.Context) error {
	if c.cfg.Token == "" {
		return errors.New("discord: no bot token configured")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("discord: Run is already running for this client")
	}
	defer c.running.Store(false)

	backoff := c.cfg.MinBackoff
	failures, connections := 0, 0
	for ctx.Err() == nil {
		s, lost, err := c.open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			err = fmt.Errorf("discord: connecting: %w", err)
			c.setStatus(func(st *Status) { st.LastError, st.Since, st.Attempts = err, time.Now(), failures })
			c.log.Warn("Discord connection failed", "err", err, "attempt", failures, "retry_in", backoff)
			if !sleep(ctx, jitter(backoff)) {
				break
			}
			backoff = min(backoff*2, c.cfg.MaxBackoff)
			continue
		}
		connections++
		failures, backoff = 0, c.cfg.MinBackoff
		c.mu.Lock()
		c.sess = s
		c.mu.Unlock()
		c.setStatus(func(st *Status) {
			st.LastError, st.Since, st.Attempts = nil, time.Now(), 0
			if s.State != nil && s.State.User != nil {
				st.BotUser = s.State.User.Username
			}
		})
		reason := "connected"
		if connections > 1 {
			reason = "reconnected"
		}
		c.log.Info("Discord connected", "reason", reason)
		c.emit("discord.connected", map[string]any{"reason": reason})

		why := "stopped"
		select {
		case <-ctx.Done():
		case <-lost:
			why = "the connection to Discord was lost"
		}
		c.mu.Lock()
		c.sess = nil
		c.mu.Unlock()
		_ = s.Close()
		err = errors.New("discord: " + why)
		c.setStatus(func(st *Status) { st.LastError, st.Since = err, time.Now() })
		c.log.Info("Discord disconnected", "reason", why)
		c.emit("discord.disconnected", map[string]any{"reason": why})
		if ctx.Err() == nil && !sleep(ctx, jitter(c.cfg.MinBackoff)) {
			break
		}
	}
	return nil
}

// open makes one session: a fresh discordgo.Session per connection, with
// discordgo's own reconnecting turned off (Run does it, with backoff and
// events), handlers run in order on the reader goroutine (SyncEvents), and
// the REST client rebased onto Config.APIURL.
//
// discordgo's Open reads Hello and READY without a deadline, so open dials
// the socket itself and closes it when ctx ends or OpenTimeout passes: a
// server that accepts and then says nothing cannot hold Run (or the
// engine's shutdown) up.
func (c *Client) open(ctx context.Context) (*discordgo.Session, <-chan struct{}, error) {
	s, err := discordgo.New("Bot " + c.cfg.Token)
	if err != nil {
		return nil, nil, err
	}
	s.LogLevel = -1 // discordgo logs through the standard logger; its messages are ours to report
	s.ShouldReconnectOnError = false
	s.ShouldRetryOnRateLimit = true
	s.SyncEvents = true
	s.Client = c.http
	s.UserAgent = "StarStreamer (https://github.com/starstreamer/starstreamer, 1)"
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent | discordgo.IntentsGuildMembers
	s.State.MaxMessageCount = 0

	lost := make(chan struct{})
	var once sync.Once
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) { once.Do(func() { close(lost) }) })
	s.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) { c.onMessage(s, m) })
	s.AddHandler(func(s *discordgo.Session, m *discordgo.GuildMemberAdd) { c.onMemberJoin(s, m) })
	s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		if g.ID == c.cfg.Guild {
			c.setStatus(func(st *Status) { st.GuildName = g.Name })
		}
	})
	var (
		connMu sync.Mutex
		conns  []net.Conn
	)
	dialer := *websocket.DefaultDialer
	dialer.HandshakeTimeout = c.cfg.OpenTimeout
	dialer.NetDialContext = func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{Timeout: c.cfg.OpenTimeout}).DialContext(dctx, network, addr)
		if err == nil {
			connMu.Lock()
			conns = append(conns, conn)
			connMu.Unlock()
		}
		return conn, err
	}
	s.Dialer = &dialer
	opened := make(chan error, 1)
	go func() { opened <- s.Open() }()
	t := time.NewTimer(c.cfg.OpenTimeout)
	defer t.Stop()
	var gaveUp error
	select {
	case oerr := <-opened:
		if oerr != nil {
			return nil, nil, oerr
		}
		return s, lost, nil
	case <-ctx.Done():
		gaveUp = ctx.Err()
	case <-t.C:
		gaveUp = fmt.Errorf("no READY from the gateway within %v", c.cfg.OpenTimeout)
	}
	// close the socket under Open, so that it returns, and the session if
	// it opened meanwhile; Open may still be in its GET /gateway (bounded
	// by RequestTimeout), which is not waited for.
	connMu.Lock()
	for _, conn := range conns {
		conn.Close()
	}
	connMu.Unlock()
	go func() {
		if oerr := <-opened; oerr == nil {
			_ = s.Close()
		}
	}()
	return nil, nil, gaveUp
}

func (c *Client) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Author == nil || m.GuildID != c.cfg.Guild {
		return
	}
	if s.State != nil && s.State.User != nil && m.Author.ID == s.State.User.ID {
		return // the bot's own messages: a handler replying to them would loop
	}
	c.emit("discord.message", c.MessageData(s.State, m.Message))
}

func (c *Client) onMemberJoin(s *discordgo.Session, m *discordgo.GuildMemberAdd) {
	if m.Member == nil || m.User == nil || m.GuildID != c.cfg.Guild {
		return
	}
	c.emit("discord.member.join", map[string]any{
		"user":  c.userData(s.State, m.GuildID, m.User, m.Member),
		"guild": m.GuildID,
	})
}

// MessageData is the data of a discord.message event for m; state (may be
// nil) names the roles and tells the guild's owner.
func (c *Client) MessageData(state *discordgo.State, m *discordgo.Message) map[string]any {
	return map[string]any{
		"author":     c.userData(state, m.GuildID, m.Author, m.Member),
		"channel":    m.ChannelID,
		"content":    m.Content,
		"message_id": m.ID,
		"guild":      m.GuildID,
	}
}

func (c *Client) userData(state *discordgo.State, guildID string, u *discordgo.User, mem *discordgo.Member) map[string]any {
	display := u.GlobalName
	if mem != nil && mem.Nick != "" {
		display = mem.Nick
	}
	if display == "" {
		display = u.Username
	}
	roles := []any{}
	if mem != nil {
		for _, id := range mem.Roles {
			name := id
			if state != nil {
				if r, err := state.Role(guildID, id); err == nil && r.Name != "" {
					name = r.Name
				}
			}
			roles = append(roles, name)
		}
	}
	owner := false
	if state != nil {
		if g, err := state.Guild(guildID); err == nil {
			owner = g.OwnerID != "" && g.OwnerID == u.ID
		}
	}
	has := func(names []string) bool {
		for _, r := range roles {
			for _, n := range names {
				if strings.EqualFold(r.(string), n) {
					return true
				}
			}
		}
		return false
	}
	return map[string]any{
		"id":           u.ID,
		"username":     u.Username,
		"display_name": display,
		"roles":        roles,
		"bot":          u.Bot,
		"owner":        owner,
		"broadcaster":  owner,
		"moderator":    has(c.cfg.ModeratorRoles),
		"vip":          has(c.cfg.VIPRoles),
		"subscriber":   has(c.cfg.SubscriberRoles),
	}
}

// Embed is a rich message; empty fields are left out.
type Embed struct {
	Title, Description, URL string
	Color                   int
	Fields                  []EmbedField
	Footer, Image           string // footer text, image URL
}

// EmbedField is one name/value pair of an Embed.
type EmbedField struct {
	Name, Value string
	Inline      bool
}

func (e *Embed) toDiscord() *discordgo.MessageEmbed {
	out := &discordgo.MessageEmbed{Title: e.Title, Description: e.Description, URL: e.URL, Color: e.Color}
	for _, f := range e.Fields {
		out.Fields = append(out.Fields, &discordgo.MessageEmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
	}
	if e.Footer != "" {
		out.Footer = &discordgo.MessageEmbedFooter{Text: e.Footer}
	}
	if e.Image != "" {
		out.Image = &discordgo.MessageEmbedImage{URL: e.Image}
	}
	return out
}

// MaxContent is Discord's limit on a message's text, in characters.
const MaxContent = 2000

func (c *Client) ready(channel string) (*discordgo.Session, error) {
	if channel == "" {
		return nil, errors.New("discord: no channel given")
	}
	if len(c.cfg.Channels) > 0 && !slices.Contains(c.cfg.Channels, channel) {
		return nil, fmt.Errorf("%w: %s (allowed: %s)", ErrChannelNotAllowed, channel, strings.Join(c.cfg.Channels, ", "))
	}
	s := c.session()
	if s == nil {
		return nil, ErrNotConnected
	}
	if len(c.cfg.Channels) == 0 && s.State != nil {
		// no list: any channel of the guild; one Discord reported in
		// another guild (the bot may be in several) is refused
		if ch, err := s.State.Channel(channel); err == nil && ch.GuildID != "" && ch.GuildID != c.cfg.Guild {
			return nil, fmt.Errorf("%w: %s belongs to another server", ErrChannelNotAllowed, channel)
		}
	}
	return s, nil
}

func checkContent(text string) error {
	if n := len([]rune(text)); n > MaxContent {
		return fmt.Errorf("discord: message is %d characters, Discord allows %d", n, MaxContent)
	}
	return nil
}

// Send posts text and/or an embed in channel and returns the new message's id.
func (c *Client) Send(ctx context.Context, channel, text string, embed *Embed) (string, error) {
	if text == "" && embed == nil {
		return "", errors.New("discord: nothing to send (no text and no embed)")
	}
	if err := checkContent(text); err != nil {
		return "", err
	}
	s, err := c.ready(channel)
	if err != nil {
		return "", err
	}
	msg := &discordgo.MessageSend{Content: text, AllowedMentions: noPings()}
	if embed != nil {
		msg.Embeds = []*discordgo.MessageEmbed{embed.toDiscord()}
	}
	m, err := s.ChannelMessageSendComplex(channel, msg, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: sending to channel %s: %w", channel, err)
	}
	return m.ID, nil
}

// Reply answers message messageID of channel with text and returns the
// reply's id.
func (c *Client) Reply(ctx context.Context, channel, messageID, text string) (string, error) {
	if text == "" {
		return "", errors.New("discord: empty reply")
	}
	if messageID == "" {
		return "", errors.New("discord: no message to reply to")
	}
	if err := checkContent(text); err != nil {
		return "", err
	}
	s, err := c.ready(channel)
	if err != nil {
		return "", err
	}
	msg := &discordgo.MessageSend{
		Content:         text,
		AllowedMentions: noPings(),
		Reference:       &discordgo.MessageReference{MessageID: messageID, ChannelID: channel, GuildID: c.cfg.Guild},
	}
	m, err := s.ChannelMessageSendComplex(channel, msg, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: replying in channel %s: %w", channel, err)
	}
	return m.ID, nil
}

// React adds emoji (a unicode emoji, or name:id for a custom one) to a
// message.
func (c *Client) React(ctx context.Context, channel, messageID, emoji string) error {
	if messageID == "" || emoji == "" {
		return errors.New("discord: react needs a message and an emoji")
	}
	s, err := c.ready(channel)
	if err != nil {
		return err
	}
	if err := s.MessageReactionAdd(channel, messageID, emoji, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("discord: reacting in channel %s: %w", channel, err)
	}
	return nil
}

// noPings keeps a script's text from pinging @everyone, roles or users
// (a viewer's name echoed back must not mass-mention); replies still
// reference their message.
func noPings() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// rebase sends discordgo's requests for Discord's REST API to Config.APIURL
// and, when Config.GatewayURL is set, answers GET /gateway itself. It leaves
// discordgo's package-level Endpoint variables alone.
type rebase struct {
	from, to, gateway string
	next              http.RoundTripper
}

func (r *rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	rest, ok := strings.CutPrefix(u, r.from)
	if !ok {
		return nil, fmt.Errorf("discord: refusing a request outside the API: %s %s", req.Method, req.URL.Redacted())
	}
	if r.gateway != "" && req.Method == http.MethodGet && (rest == "gateway" || rest == "gateway/bot") {
		body := fmt.Sprintf(`{"url":%q,"shards":1}`, r.gateway)
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          nopCloser{strings.NewReader(body)},
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
	if r.to == r.from {
		return r.next.RoundTrip(req)
	}
	nreq := req.Clone(req.Context())
	nu, err := req.URL.Parse(r.to + rest)
	if err != nil {
		return nil, fmt.Errorf("discord: API URL: %w", err)
	}
	nreq.URL = nu
	nreq.Host = nu.Host
	return r.next.RoundTrip(nreq)
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
