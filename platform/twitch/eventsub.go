package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// wsMessage is an EventSub WebSocket envelope.
type wsMessage struct {
	Metadata struct {
		MessageID           string `json:"message_id"`
		MessageType         string `json:"message_type"`
		MessageTimestamp    string `json:"message_timestamp"`
		SubscriptionType    string `json:"subscription_type"`
		SubscriptionVersion string `json:"subscription_version"`
	} `json:"metadata"`
	Payload struct {
		Session *struct {
			ID                      string  `json:"id"`
			Status                  string  `json:"status"`
			KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
			ReconnectURL            *string `json:"reconnect_url"`
		} `json:"session"`
		Subscription *struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Type    string `json:"type"`
			Version string `json:"version"`
		} `json:"subscription"`
		Event json.RawMessage `json:"event"`
	} `json:"payload"`
}

// closeCodes are Twitch's EventSub close codes and what each means for us.
// Every one ends the session; the client then opens a new one at
// EventSubURL and re-creates the subscriptions. immediate skips the
// backoff: the server did not fail, the old session is just over.
var closeCodes = map[int]struct {
	text      string
	level     slog.Level
	immediate bool
}{
	4000: {"internal server error", slog.LevelWarn, false},
	4001: {"client sent inbound traffic (a bug: the client must only read)", slog.LevelError, false},
	4002: {"client failed ping-pong", slog.LevelWarn, false},
	4003: {"connection unused: no subscription within 10 s of the welcome", slog.LevelWarn, false},
	4004: {"reconnect grace time expired", slog.LevelWarn, true},
	4005: {"network timeout", slog.LevelWarn, false},
	4006: {"network error", slog.LevelWarn, false},
	4007: {"invalid reconnect", slog.LevelWarn, true},
}

type wsConn struct {
	ws *websocket.Conn
}

type frame struct {
	c    *wsConn
	data []byte
	err  error
}

// outcome is how a session ended.
type outcome struct {
	reason    string
	welcomed  bool
	immediate bool
}

func (c *Client) dial(ctx context.Context, u string) (*wsConn, error) {
	d := websocket.Dialer{HandshakeTimeout: c.cfg.WelcomeTimeout, Proxy: http.ProxyFromEnvironment}
	ws, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, fmt.Errorf("twitch: eventsub dial: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	return &wsConn{ws: ws}, nil
}

// read pumps one connection's frames into frames until it fails or stop.
func (w *wsConn) read(frames chan<- frame, stop <-chan struct{}) {
	for {
		_, data, err := w.ws.ReadMessage()
		select {
		case frames <- frame{c: w, data: data, err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (w *wsConn) close() {
	_ = w.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	_ = w.ws.Close()
}

// eventSubLoop keeps a session up until ctx is done, with exponential
// backoff (reset by every welcome) between failed sessions.
func (c *Client) eventSubLoop(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		out := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if out.welcomed {
			attempt = 0
		}
		delay := time.Duration(0)
		if !out.immediate || attempt > 0 {
			delay = backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)
			attempt++
		}
		c.log.Info("twitch eventsub reconnecting", "reason", out.reason, "in", delay.Round(time.Millisecond))
		if sleepCtx(ctx, delay) != nil {
			return
		}
	}
}

// backoff is min·2^attempt capped at max, with ±25 % jitter.
func backoff(minD, maxD time.Duration, attempt int) time.Duration {
	d := minD
	for i := 0; i < attempt && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	j := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return d + j
}

func (c *Client) setConnected(on bool, reason string) {
	if c.connected.Swap(on) == on {
		return
	}
	if on {
		c.emitEvent("twitch.connected", map[string]any{"reason": reason})
	} else {
		c.emitEvent("twitch.disconnected", map[string]any{"reason": reason})
	}
}

// session runs one EventSub session from dial to its end, following
// session_reconnect hand-overs inside it.
func (c *Client) session(ctx context.Context) (out outcome) {
	frames := make(chan frame, 64)
	stop := make(chan struct{})
	cur, err := c.dial(ctx, c.cfg.EventSubURL)
	if err != nil {
		return outcome{reason: err.Error()}
	}
	var pending *wsConn // reconnect target, until its welcome
	defer func() {
		close(stop)
		for _, w := range []*wsConn{cur, pending} {
			if w != nil {
				w.close()
			}
		}
		if ctx.Err() != nil {
			out.reason = "shutdown"
		}
		c.setConnected(false, out.reason)
	}()
	go cur.read(frames, stop)

	sessCtx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	watchdog := time.NewTimer(c.cfg.WelcomeTimeout)
	defer watchdog.Stop()
	keepalive := c.cfg.WelcomeTimeout
	reset := func() {
		watchdog.Stop()
		watchdog.Reset(keepalive)
	}
	dialed := make(chan *wsConn, 1)
	dialErr := make(chan error, 1)
	redialing := false

	for {
		select {
		case <-ctx.Done():
			return out
		case <-watchdog.C:
			if !out.welcomed {
				out.reason = "no session_welcome within " + c.cfg.WelcomeTimeout.String()
			} else {
				out.reason = fmt.Sprintf("keepalive timeout: nothing received for %s", keepalive)
			}
			return out
		case w := <-dialed:
			redialing = false
			pending = w
			go w.read(frames, stop)
		case err := <-dialErr:
			redialing = false
			out.reason, out.immediate = "reconnect failed: "+err.Error(), true
			return out
		case f := <-frames:
			if f.c != cur && f.c != pending {
				// An old connection's last words: notifications it read before
				// the hand-over are still events (the dedupe cache drops any
				// Twitch also sent on the new one); everything else is over.
				if f.err == nil {
					if m, err := parseFrame(f.data); err == nil && (m.Metadata.MessageType == "notification" || m.Metadata.MessageType == "revocation") {
						c.dispatch(&m)
					}
				}
				continue
			}
			if f.err != nil {
				if f.c == pending {
					out.reason, out.immediate = "reconnect connection failed: "+f.err.Error(), true
					return out
				}
				if pending != nil || redialing {
					cur.close()
					cur = nil // old socket gone; wait for the new welcome
					continue
				}
				out.reason, out.immediate = c.closeReason(f.err)
				return out
			}
			if f.c == cur {
				reset()
			}
			m, err := parseFrame(f.data)
			if err != nil {
				c.log.Warn("twitch eventsub: unreadable message", "err", err)
				continue
			}
			switch m.Metadata.MessageType {
			case "session_welcome":
				if m.Payload.Session == nil {
					c.log.Warn("twitch eventsub: welcome without session")
					continue
				}
				if s := m.Payload.Session.KeepaliveTimeoutSeconds; s != nil && *s > 0 {
					keepalive = time.Duration(*s)*time.Second + c.cfg.KeepaliveGrace
				}
				if f.c == pending { // reconnect done: swap, keep subscriptions
					if cur != nil {
						cur.close()
					}
					cur, pending = pending, nil
					reset()
					c.log.Info("twitch eventsub reconnected", "session", m.Payload.Session.ID)
					continue
				}
				if out.welcomed {
					continue
				}
				out.welcomed = true
				reset()
				c.log.Info("twitch eventsub connected", "session", m.Payload.Session.ID)
				c.setConnected(true, "welcome")
				go c.subscribeAll(sessCtx, m.Payload.Session.ID)
			case "session_keepalive":
			case "notification", "revocation":
				c.dispatch(&m)
			case "session_reconnect":
				if redialing || pending != nil || m.Payload.Session == nil || m.Payload.Session.ReconnectURL == nil {
					continue
				}
				redialing = true
				u := *m.Payload.Session.ReconnectURL
				c.log.Info("twitch eventsub: server asked to reconnect")
				go func() {
					w, err := c.dial(sessCtx, u)
					if err != nil {
						dialErr <- err
						return
					}
					select {
					case dialed <- w:
					case <-stop:
						w.close()
					}
				}()
			default:
				c.log.Debug("twitch eventsub: unknown message type", "type", m.Metadata.MessageType)
			}
		}
	}
}

// closeReason turns a read error into a reason, logging close codes as
// Twitch documents them.
func (c *Client) closeReason(err error) (string, bool) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if info, ok := closeCodes[ce.Code]; ok {
			c.log.Log(context.Background(), info.level, "twitch eventsub closed", "code", ce.Code, "meaning", info.text)
			return fmt.Sprintf("closed %d: %s", ce.Code, info.text), info.immediate
		}
		return fmt.Sprintf("closed %d: %s", ce.Code, ce.Text), false
	}
	return "connection lost: " + err.Error(), false
}

// parseFrame reads one data frame of a session. A notification or revocation
// then goes to dispatch: parseFrame + dispatch is the hot path the benchmarks
// measure.
func parseFrame(data []byte) (wsMessage, error) {
	var m wsMessage
	err := json.Unmarshal(data, &m)
	return m, err
}

func (c *Client) dispatch(m *wsMessage) {
	switch m.Metadata.MessageType {
	case "notification":
		c.handleNotification(m)
	case "revocation":
		c.handleRevocation(m)
	}
}

// handleNotification drops duplicates, maps and emits one notification.
func (c *Client) handleNotification(m *wsMessage) {
	if c.dedupe.seenBefore(m.Metadata.MessageID) {
		c.log.Debug("twitch eventsub: duplicate message dropped", "message_id", m.Metadata.MessageID)
		return
	}
	subType := m.Metadata.SubscriptionType
	if subType == "" && m.Payload.Subscription != nil {
		subType = m.Payload.Subscription.Type
	}
	typ, data, ok, err := mapNotification(subType, m.Payload.Event)
	if err != nil {
		c.log.Warn("twitch eventsub: bad notification", "type", subType, "err", err)
		return
	}
	if !ok {
		c.log.Debug("twitch eventsub: notification type not handled", "type", subType)
		return
	}
	if typ == "twitch.chat.message" {
		c.noteOwnBadges(data)
	}
	c.emitEvent(typ, data)
}

// noteOwnBadges watches the bot's own chat messages: it marks the lines the
// client sent (data.from_bot), and a moderator or broadcaster badge raises the
// chat limit to ChatModLimit.
func (c *Client) noteOwnBadges(data map[string]any) {
	data["from_bot"] = false
	u, _ := data["user"].(map[string]any)
	if u == nil || u["id"] != c.ident().botID {
		return
	}
	if text, _ := data["message"].(string); c.sent.take(text, c.cfg.Now()) {
		data["from_bot"] = true
	}
	mod := u["moderator"] == true || u["broadcaster"] == true
	if c.botIsMod.Swap(mod) != mod {
		c.log.Info("twitch chat limit changed", "moderator", mod)
		c.queue.limitChanged()
	}
}

func (c *Client) handleRevocation(m *wsMessage) {
	if c.dedupe.seenBefore(m.Metadata.MessageID) || m.Payload.Subscription == nil {
		return
	}
	s := m.Payload.Subscription
	why := map[string]string{
		"authorization_revoked": "the user revoked the app's authorization",
		"user_removed":          "the user no longer exists",
		"version_removed":       "Twitch removed this subscription version",
	}[s.Status]
	if why == "" {
		why = s.Status
	}
	c.log.Warn("twitch subscription revoked", "type", s.Type, "version", s.Version, "status", s.Status, "why", why)
	c.emitEvent("twitch.subscription_revoked", map[string]any{"type": s.Type, "version": s.Version,
		"status": s.Status, "id": s.ID, "reason": why})
}

// subscribeAll creates every subscription for a fresh session. One whose
// scopes the token was not granted is not asked for (Twitch would refuse
// it): it is reported like a refusal, with the scope it needs and status 0.
// A refused one is reported with the scope it needs; the others still work.
func (c *Client) subscribeAll(ctx context.Context, sessionID string) {
	id := c.ident()
	refused := map[string]Refusal{}
	for _, spec := range subscriptions {
		if ctx.Err() != nil {
			return
		}
		if !spec.granted(id.scopes) {
			r := Refusal{Type: spec.Type, Scope: spec.scope(), Missing: true,
				Message: "not requested: the token lacks the scope " + spec.scope()}
			r.Hint = refusalHint(r, id.broadcasterLog)
			refused[spec.Type] = r
			c.log.Warn("twitch subscription not requested: token lacks scope", "type", spec.Type, "scope", r.Scope,
				"hint", r.Hint)
			continue
		}
		body := map[string]any{"type": spec.Type, "version": spec.Version, "condition": spec.condition(id),
			"transport": map[string]string{"method": "websocket", "session_id": sessionID}}
		status, err := c.do(ctx, http.MethodPost, c.cfg.SubscriptionsURL, body, nil)
		if err == nil || status == http.StatusConflict {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r := Refusal{Type: spec.Type, Scope: spec.scope(), Status: status, Message: err.Error()}
		var ae *APIError
		if errors.As(err, &ae) {
			r.Message = ae.Message
		}
		r.Hint = refusalHint(r, id.broadcasterLog)
		refused[spec.Type] = r
		c.log.Warn("twitch subscription refused", "type", spec.Type, "version", spec.Version, "scope", r.Scope,
			"status", status, "message", r.Message, "hint", r.Hint)
	}
	c.idMu.Lock()
	c.refusals = refused
	c.idMu.Unlock()
	if n := len(refused); n > 0 {
		names := make([]string, 0, n)
		for t := range refused {
			names = append(names, t)
		}
		slices.Sort(names)
		c.log.Warn("twitch: some events are unavailable", "refused", strings.Join(names, ", "))
	}
}

// refusalHint says what to do about a refused subscription, by what Twitch
// answered (its documented statuses for Create EventSub Subscription): only
// a 403 is about authorization, so only it blames a scope.
func refusalHint(r Refusal, broadcaster string) string {
	switch r.Status {
	case 0:
		if r.Missing {
			return "the token lacks the scope " + r.Scope + ": log in again with `starstreamer twitch login` to grant it"
		}
		return ""
	case http.StatusForbidden:
		if r.Scope == "" {
			return "Twitch says this app is not authorized for it: log in again with `starstreamer twitch login` as the broadcaster (" + broadcaster + ")"
		}
		if r.Missing {
			return "the token lacks the scope " + r.Scope + ": log in again with `starstreamer twitch login`"
		}
		return "the scope " + r.Scope + " must be granted by the broadcaster (" + broadcaster + "): log in with `starstreamer twitch login` as the broadcaster"
	case http.StatusBadRequest:
		return "Twitch did not accept the subscription's type, version or condition (see message): this version of StarStreamer may ask for one Twitch has changed or retired"
	case http.StatusUnauthorized:
		return "Twitch did not accept the token for this client id: log in again with `starstreamer twitch login`"
	case http.StatusTooManyRequests:
		return "a Twitch subscription limit is reached (the same subscription exists too often, or the total cost is over the limit): other programs using this account's EventSub may hold them"
	default:
		return ""
	}
}
