package connections

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch"
)

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
