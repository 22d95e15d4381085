package twitchtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Session is one EventSub WebSocket connection as the server sees it.
type Session struct {
	srv         *Server
	id          string
	connectedAt string
	conn        *websocket.Conn

	writeMu sync.Mutex // one writer at a time (gorilla's rule)

	mu        sync.Mutex
	sent      map[string][]byte // message_id -> frame, for Resend
	stopKA    chan struct{}
	kaStopped bool
	closed    chan struct{}
	closeOnce sync.Once
	code      int // close code the server sent, 0 when the client went away
}

// Envelope metadata, exactly as Twitch documents it.
type metadata struct {
	MessageID           string `json:"message_id"`
	MessageType         string `json:"message_type"`
	MessageTimestamp    string `json:"message_timestamp"`
	SubscriptionType    string `json:"subscription_type,omitempty"`
	SubscriptionVersion string `json:"subscription_version,omitempty"`
}

type sessionJSON struct {
	ID                      string  `json:"id"`
	Status                  string  `json:"status"`
	ConnectedAt             string  `json:"connected_at"`
	KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
	ReconnectURL            *string `json:"reconnect_url"`
	RecoveryURL             *string `json:"recovery_url"`
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ss := &Session{srv: s, id: "AQoQ" + newID(), connectedAt: nowStamp(), conn: conn,
		sent: map[string][]byte{}, stopKA: make(chan struct{}), closed: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.sessions[ss.id] = ss
	// A reconnecting client brings its subscriptions along (no resubscribe).
	if from := r.URL.Query().Get("reconnect_from"); from != "" {
		for _, sub := range append([]Subscription(nil), s.subs...) {
			if sub.SessionID == from {
				sub.ID = newID()
				sub.SessionID = ss.id
				s.subs = append(s.subs, sub)
			}
		}
	}
	s.mu.Unlock()

	ka := s.opts.KeepaliveTimeoutSeconds
	_ = ss.send(metadata{MessageType: "session_welcome"}, map[string]any{"session": sessionJSON{
		ID: ss.id, Status: "connected", ConnectedAt: ss.connectedAt, KeepaliveTimeoutSeconds: &ka}})
	s.mu.Lock()
	s.order = append(s.order, ss)
	s.notifyLocked()
	s.mu.Unlock()

	go ss.keepalives(s.opts.KeepaliveInterval)
	if d := s.opts.RequireSubscriptionWithin; d > 0 {
		go func() {
			select {
			case <-time.After(d):
				if len(s.sessionSubs(ss.id)) == 0 {
					ss.Close(4003, "connection unused")
				}
			case <-ss.closed:
			}
		}()
	}
	// Read loop: the client must send nothing but pongs and close frames.
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
		ss.Close(4001, "sent inbound traffic")
		break
	}
	ss.kill()
}

// ID is the session id sent in the welcome.
func (ss *Session) ID() string { return ss.id }

// Done is closed when the connection ends, whoever ended it.
func (ss *Session) Done() <-chan struct{} { return ss.closed }

// CloseCode is the code the server closed with (0 if the client closed or
// the session is still open).
func (ss *Session) CloseCode() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.code
}

func (ss *Session) isClosed() bool {
	select {
	case <-ss.closed:
		return true
	default:
		return false
	}
}

func (ss *Session) kill() {
	ss.closeOnce.Do(func() {
		close(ss.closed)
		ss.conn.Close()
		ss.srv.notify()
	})
}

func (ss *Session) keepalives(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := ss.SendKeepalive(); err != nil {
				return
			}
		case <-ss.stopKA:
			return
		case <-ss.closed:
			return
		}
	}
}

// StopKeepalives stops the periodic session_keepalive messages (the
// connection stays open and silent).
func (ss *Session) StopKeepalives() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.kaStopped {
		ss.kaStopped = true
		close(ss.stopKA)
	}
}

// send writes one envelope and remembers it by message id.
func (ss *Session) send(md metadata, payload any) error {
	if md.MessageID == "" {
		md.MessageID = newID()
	}
	if md.MessageTimestamp == "" {
		md.MessageTimestamp = nowStamp()
	}
	b, err := json.Marshal(map[string]any{"metadata": md, "payload": payload})
	if err != nil {
		return err
	}
	ss.mu.Lock()
	ss.sent[md.MessageID] = b
	ss.mu.Unlock()
	return ss.write(b)
}

func (ss *Session) write(b []byte) error {
	if ss.isClosed() {
		return errors.New("twitchtest: session closed")
	}
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	return ss.conn.WriteMessage(websocket.TextMessage, b)
}

// SendKeepalive sends one session_keepalive now.
func (ss *Session) SendKeepalive() error {
	return ss.send(metadata{MessageType: "session_keepalive"}, map[string]any{})
}

// subscriptionFor finds this session's subscription of a type, or makes up
// one so tests can send events they did not subscribe to.
func (ss *Session) subscriptionFor(subType, version string) Subscription {
	for _, sub := range ss.srv.sessionSubs(ss.id) {
		if sub.Type == subType {
			return sub
		}
	}
	return Subscription{ID: newID(), Type: subType, Version: version, Status: "enabled", SessionID: ss.id,
		Condition: map[string]string{}, CreatedAt: time.Now()}
}

// Notify sends a notification of subType carrying event (any JSON value)
// with a fresh message_id, which it returns.
func (ss *Session) Notify(subType, version string, event any) (string, error) {
	sub := ss.subscriptionFor(subType, version)
	if version == "" {
		version = sub.Version
	}
	md := metadata{MessageID: newID(), MessageType: "notification", SubscriptionType: subType,
		SubscriptionVersion: version}
	sj := subJSON(sub)
	sj["version"] = version
	delete(sj["transport"].(map[string]any), "connected_at")
	return md.MessageID, ss.send(md, map[string]any{"subscription": sj, "event": event})
}

// SendEnvelope sends a complete message (metadata + payload). It rewrites
// metadata.message_id to a fresh id and message_timestamp to now (pass
// keepID to send it with its own id), and
// payload.subscription.transport.session_id to this session. It returns the
// message id sent.
func (ss *Session) SendEnvelope(raw []byte, keepID bool) (string, error) {
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", fmt.Errorf("twitchtest: envelope: %w", err)
	}
	md, _ := env["metadata"].(map[string]any)
	if md == nil {
		return "", errors.New("twitchtest: envelope has no metadata")
	}
	if !keepID {
		md["message_id"] = newID()
	}
	md["message_timestamp"] = nowStamp()
	if p, _ := env["payload"].(map[string]any); p != nil {
		if sub, _ := p["subscription"].(map[string]any); sub != nil {
			if tr, _ := sub["transport"].(map[string]any); tr != nil {
				tr["session_id"] = ss.id
			}
		}
	}
	b, err := json.Marshal(env)
	if err != nil {
		return "", err
	}
	id, _ := md["message_id"].(string)
	ss.mu.Lock()
	ss.sent[id] = b
	ss.mu.Unlock()
	return id, ss.write(b)
}

// SendFile sends the envelope stored in a file (e.g. a testdata payload)
// with a fresh message id, which it returns.
func (ss *Session) SendFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return ss.SendEnvelope(b, false)
}

// Resend sends an earlier message again, byte for byte (same message_id),
// as Twitch's at-least-once delivery may.
func (ss *Session) Resend(messageID string) error {
	ss.mu.Lock()
	b, ok := ss.sent[messageID]
	ss.mu.Unlock()
	if !ok {
		return fmt.Errorf("twitchtest: no message %q was sent on this session", messageID)
	}
	return ss.write(b)
}

// Reconnect sends session_reconnect. Its reconnect_url points back at this
// server; the session opened there keeps this session's subscriptions.
// This session stops its keepalives and is closed with 4004 if it is still
// open Options.ReconnectGrace later.
func (ss *Session) Reconnect() error {
	ss.StopKeepalives()
	u := ss.srv.EventSubURL() + "?reconnect_from=" + ss.id
	err := ss.send(metadata{MessageType: "session_reconnect"}, map[string]any{"session": sessionJSON{
		ID: ss.id, Status: "reconnecting", ConnectedAt: ss.connectedAt, ReconnectURL: &u}})
	if err != nil {
		return err
	}
	go func() {
		select {
		case <-time.After(ss.srv.opts.ReconnectGrace):
			ss.Close(4004, "client reconnect grace time expired")
		case <-ss.closed:
		}
	}()
	return nil
}

// Revoke sends a revocation for this session's subscription of subType
// with status ("authorization_revoked", "user_removed",
// "version_removed") and removes the subscription.
func (ss *Session) Revoke(subType, status string) error {
	sub := ss.subscriptionFor(subType, "1")
	sub.Status = status
	ss.srv.mu.Lock()
	for i, x := range ss.srv.subs {
		if x.ID == sub.ID {
			ss.srv.subs = append(ss.srv.subs[:i:i], ss.srv.subs[i+1:]...)
			break
		}
	}
	ss.srv.mu.Unlock()
	sj := subJSON(sub)
	delete(sj["transport"].(map[string]any), "connected_at")
	return ss.send(metadata{MessageType: "revocation", SubscriptionType: sub.Type,
		SubscriptionVersion: sub.Version}, map[string]any{"subscription": sj})
}

// Close sends a close frame with code (4000–4007 are Twitch's) and drops
// the connection.
func (ss *Session) Close(code int, text string) {
	if ss.isClosed() {
		return
	}
	ss.mu.Lock()
	ss.code = code
	ss.mu.Unlock()
	ss.writeMu.Lock()
	_ = ss.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text),
		time.Now().Add(time.Second))
	ss.writeMu.Unlock()
	ss.kill()
}

// Subscriptions returns this session's subscriptions.
func (ss *Session) Subscriptions() []Subscription { return ss.srv.sessionSubs(ss.id) }

// WaitSubscriptions waits until this session has at least n subscriptions
// and returns them.
func (ss *Session) WaitSubscriptions(n int, timeout time.Duration) ([]Subscription, error) {
	if !ss.srv.WaitFor(timeout, func() bool { return len(ss.Subscriptions()) >= n }) {
		return ss.Subscriptions(), fmt.Errorf("twitchtest: session has %d subscriptions, want %d",
			len(ss.Subscriptions()), n)
	}
	return ss.Subscriptions(), nil
}

// Badge is a chat badge (set_id "moderator", "subscriber", "vip", …).
type Badge struct{ SetID, ID, Info string }

// SendChatMessage sends a channel.chat.message notification shaped like
// Twitch's example: from is the chatter, the broadcaster comes from this
// session's subscription condition. It returns the chat message_id (what
// a reply names as its parent), which is also the envelope's message_id.
func (ss *Session) SendChatMessage(from User, text string, badges ...Badge) (string, error) {
	sub := ss.subscriptionFor("channel.chat.message", "1")
	b := sub.Condition["broadcaster_user_id"]
	login, name := b, b
	ss.srv.mu.Lock()
	for _, u := range ss.srv.users {
		if u.ID == b {
			login, name = u.Login, u.DisplayName
		}
	}
	ss.srv.mu.Unlock()
	bs := []map[string]string{}
	for _, x := range badges {
		bs = append(bs, map[string]string{"set_id": x.SetID, "id": x.ID, "info": x.Info})
	}
	id := newID()
	event := map[string]any{
		"broadcaster_user_id": b, "broadcaster_user_login": login, "broadcaster_user_name": name,
		"chatter_user_id": from.ID, "chatter_user_login": from.Login, "chatter_user_name": from.DisplayName,
		"message_id": id,
		"message": map[string]any{"text": text, "fragments": []any{map[string]any{"type": "text", "text": text,
			"cheermote": nil, "emote": nil, "mention": nil}}},
		"color": "#00FF7F", "badges": bs, "message_type": "text", "cheer": nil, "reply": nil,
		"channel_points_custom_reward_id": nil, "channel_points_animation_id": nil,
	}
	md := metadata{MessageID: id, MessageType: "notification", SubscriptionType: "channel.chat.message",
		SubscriptionVersion: "1"}
	sj := subJSON(sub)
	delete(sj["transport"].(map[string]any), "connected_at")
	return id, ss.send(md, map[string]any{"subscription": sj, "event": event})
}
