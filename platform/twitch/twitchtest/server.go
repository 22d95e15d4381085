package twitchtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Options tune a Server. The zero value gives Twitch's own numbers.
type Options struct {
	// KeepaliveTimeoutSeconds is announced in session_welcome. Default 10.
	KeepaliveTimeoutSeconds int
	// KeepaliveInterval is how often the server sends session_keepalive.
	// Default: KeepaliveTimeoutSeconds seconds (as Twitch and twitch-cli do).
	KeepaliveInterval time.Duration
	// ReconnectGrace is how long an old socket stays open after
	// session_reconnect before it is closed with 4004. Default 30 s.
	ReconnectGrace time.Duration
	// RequireSubscriptionWithin closes a session with 4003 when it has no
	// subscription this long after its welcome. Zero disables the check.
	RequireSubscriptionWithin time.Duration
	// DeviceInterval is the polling interval (seconds) the device endpoint
	// announces. Default 5.
	DeviceInterval int
}

// User is a Twitch account known to the server (Get Users).
type User struct {
	ID, Login, DisplayName string
}

// Token is an OAuth user access token the server accepts.
type Token struct {
	Access, Refresh string
	UserID, Login   string
	Scopes          []string
	// ExpiresIn (seconds) is reported by /oauth2/validate and the token
	// endpoint. Zero means 14400.
	ExpiresIn int
}

// Call is one recorded HTTP request to the Helix, subscription or auth
// endpoints (the WebSocket upgrade is not recorded).
type Call struct {
	Method string
	Path   string
	Query  url.Values
	Body   string
	Header http.Header
	At     time.Time
}

// Response is a canned answer for FailNext.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Subscription is an EventSub subscription created through the
// subscriptions endpoint.
type Subscription struct {
	ID, Type, Version, Status string
	SessionID                 string
	Condition                 map[string]string
	CreatedAt                 time.Time
}

// ChatMessage is one accepted Send Chat Message request.
type ChatMessage struct {
	ID                   string
	BroadcasterID        string
	SenderID             string
	Message              string
	ReplyParentMessageID string
}

// Stream is a live stream for Get Streams.
type Stream struct {
	UserID, UserLogin, UserName string
	Title, GameName             string
	ViewerCount                 int
	StartedAt                   time.Time
}

// DeviceFlow scripts the next device-code login. The token endpoint answers
// each poll of the device code, in this order of precedence: "invalid device
// code" once the code expired (Expire, ExpiresIn elapsed, or ExpireDevice),
// "authorization_denied" once denied (Deny or DenyDevice), "slow_down" for the
// first SlowDownPolls polls, "authorization_pending" for the next
// PendingPolls polls (and, with Manual, until ApproveDevice), then the Token
// once; later polls of the same code answer "invalid device code". Every
// answer is a 400 {"status": 400, "message": ...}, as Twitch's id service
// answers, except the token (200).
type DeviceFlow struct {
	// SlowDownPolls is how many of the first token polls answer slow_down
	// (the client polled too fast and must add 5 s to its interval).
	SlowDownPolls int
	// PendingPolls is how many token polls answer authorization_pending
	// before the Token is issued.
	PendingPolls int
	// Manual keeps answering authorization_pending until ApproveDevice,
	// DenyDevice or ExpireDevice is called (a test playing the user).
	Manual bool
	// Expire makes every poll answer "invalid device code" (the code expired).
	Expire bool
	// Deny makes every poll answer "authorization_denied".
	Deny bool
	// ExpiresIn is the code's lifetime in seconds, as announced by the device
	// endpoint and enforced by the token endpoint. Zero means 1800.
	ExpiresIn int
	// Token is issued once the user "approved".
	Token Token
}

type tokenState struct {
	Token
	expiresAt time.Time
	revoked   bool
}

type failure struct {
	method, path string
	resp         Response
}

type refusal struct {
	status  int
	message string
}

type clip struct {
	id, broadcasterID string
	pollsLeft         int // Get Clips answers empty this many times; <0: never
}

type deviceState struct {
	flow      DeviceFlow
	code      string
	polls     int
	issued    bool
	approved  bool
	userCode  string
	expiresAt time.Time
	scopes    string // as asked for by the device request
}

// Server is an in-process fake of Twitch's EventSub WebSocket, Helix and
// OAuth endpoints. All methods are safe for concurrent use.
type Server struct {
	hs       *httptest.Server
	opts     Options
	upgrader websocket.Upgrader

	mu        sync.Mutex
	changed   chan struct{}
	users     map[string]User // by login
	tokens    map[string]*tokenState
	refreshes map[string]string // refresh token -> access token it belongs to
	failures  []failure
	calls     []Call
	chat      []ChatMessage
	chatDrops []dropReason
	streams   map[string]Stream // by user id
	clips     map[string]*clip
	clipDelay int
	subs      []Subscription
	refused   map[string]refusal // by subscription type
	sessions  map[string]*Session
	device    *deviceState
	act       *actions   // the Helix actions' state (helix_actions.go)
	order     []*Session // sessions in connection order
	nextSess  int        // index of the next session NextSession returns
	closed    bool
}

type dropReason struct{ code, message string }

// New starts a Server on a loopback address. Close it when done
// (t.Cleanup(srv.Close)).
func New(opts Options) *Server {
	if opts.KeepaliveTimeoutSeconds <= 0 {
		opts.KeepaliveTimeoutSeconds = 10
	}
	if opts.KeepaliveInterval <= 0 {
		opts.KeepaliveInterval = time.Duration(opts.KeepaliveTimeoutSeconds) * time.Second
	}
	if opts.ReconnectGrace <= 0 {
		opts.ReconnectGrace = 30 * time.Second
	}
	if opts.DeviceInterval <= 0 {
		opts.DeviceInterval = 5
	}
	s := &Server{
		opts:      opts,
		changed:   make(chan struct{}),
		users:     map[string]User{},
		tokens:    map[string]*tokenState{},
		refreshes: map[string]string{},
		streams:   map[string]Stream{},
		clips:     map[string]*clip{},
		refused:   map[string]refusal{},
		sessions:  map[string]*Session{},
		act:       newActions(),
	}
	s.upgrader.CheckOrigin = func(*http.Request) bool { return true }
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.handleWS)
	mux.HandleFunc("/eventsub/subscriptions", s.record(s.handleSubscriptions))
	mux.HandleFunc("/helix/eventsub/subscriptions", s.record(s.handleSubscriptions))
	mux.HandleFunc("/helix/users", s.record(s.authed(s.handleUsers)))
	mux.HandleFunc("/helix/streams", s.record(s.authed(s.handleStreams)))
	mux.HandleFunc("/helix/chat/messages", s.record(s.authed(s.handleChat)))
	mux.HandleFunc("/helix/clips", s.record(s.authed(s.handleClips)))
	s.registerActions(mux)
	mux.HandleFunc("/oauth2/device", s.record(s.handleDevice))
	mux.HandleFunc("/oauth2/token", s.record(s.handleToken))
	mux.HandleFunc("/oauth2/validate", s.record(s.handleValidate))
	mux.HandleFunc("/oauth2/revoke", s.record(s.handleRevoke))
	s.hs = httptest.NewServer(mux)
	return s
}

// Close ends every WebSocket session and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	var open []*Session
	for _, ss := range s.sessions {
		open = append(open, ss)
	}
	s.mu.Unlock()
	for _, ss := range open {
		ss.kill()
	}
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.hs.URL }

// AuthURL is the base for /oauth2/device, /oauth2/token, /oauth2/validate.
func (s *Server) AuthURL() string { return s.hs.URL }

// HelixURL is the Helix base (…/helix).
func (s *Server) HelixURL() string { return s.hs.URL + "/helix" }

// EventSubURL is the WebSocket URL (ws://…/ws).
func (s *Server) EventSubURL() string { return "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/ws" }

// SubscriptionsURL is the subscriptions endpoint (…/eventsub/subscriptions).
// …/helix/eventsub/subscriptions answers the same way.
func (s *Server) SubscriptionsURL() string { return s.hs.URL + "/eventsub/subscriptions" }

// AddUser makes a user known to Get Users.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(u.Login)] = u
}

// AddToken makes an access token (and its refresh token) valid.
func (s *Server) AddToken(t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTokenLocked(t)
}

func (s *Server) addTokenLocked(t Token) {
	if t.ExpiresIn == 0 {
		t.ExpiresIn = 14400
	}
	s.tokens[t.Access] = &tokenState{Token: t, expiresAt: time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)}
	if t.Refresh != "" {
		s.refreshes[t.Refresh] = t.Access
	}
	if t.Login != "" {
		if _, ok := s.users[t.Login]; !ok {
			s.users[t.Login] = User{ID: t.UserID, Login: t.Login, DisplayName: t.Login}
		}
	}
}

// RevokeToken makes an access token invalid: Helix and /oauth2/validate
// answer 401 for it from now on. Its refresh token still works.
func (s *Server) RevokeToken(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[access]; t != nil {
		t.revoked = true
	}
}

// SetDeviceFlow scripts the next device-code login.
func (s *Server) SetDeviceFlow(f DeviceFlow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device = &deviceState{flow: f}
}

// ApproveDevice plays the user approving the pending device code (a Manual
// flow): the next poll gets the flow's Token.
func (s *Server) ApproveDevice() { s.setDevice(func(d *deviceState) { d.approved = true }) }

// DenyDevice plays the user declining the pending device code.
func (s *Server) DenyDevice() { s.setDevice(func(d *deviceState) { d.flow.Deny = true }) }

// ExpireDevice makes the pending device code expire now.
func (s *Server) ExpireDevice() { s.setDevice(func(d *deviceState) { d.flow.Expire = true }) }

// DeviceScopes is the scopes parameter of the last device request ("" when
// none was made), space-separated as sent.
func (s *Server) DeviceScopes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.device == nil {
		return ""
	}
	return s.device.scopes
}

func (s *Server) setDevice(f func(*deviceState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.device == nil {
		s.device = &deviceState{}
	}
	f(s.device)
	s.notifyLocked()
}

// FailNext makes the next request with this method and path (for example
// "POST", "/helix/chat/messages") get resp instead of the normal answer.
// Calls queue up: FailNext twice fails the next two requests.
func (s *Server) FailNext(method, path string, resp Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method: method, path: path, resp: resp})
}

// RateLimitNext makes the next matching request answer 429 with
// Ratelimit-Reset set to reset (Unix seconds, as Helix does).
func (s *Server) RateLimitNext(method, path string, reset time.Time) {
	h := http.Header{}
	h.Set("Ratelimit-Limit", "800")
	h.Set("Ratelimit-Remaining", "0")
	h.Set("Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	s.FailNext(method, path, Response{Status: http.StatusTooManyRequests, Header: h,
		Body: `{"error":"Too Many Requests","status":429,"message":"Too Many Requests"}`})
}

// RefuseSubscription makes creating a subscription of this type fail with
// status and message, e.g. 403 "subscription missing proper authorization".
func (s *Server) RefuseSubscription(subType string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[subType] = refusal{status: status, message: message}
}

// DropNextChat makes the next Send Chat Message answer 200 with
// is_sent=false and this drop_reason.
func (s *Server) DropNextChat(code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatDrops = append(s.chatDrops, dropReason{code, message})
}

// SetStream marks a user live (Get Streams).
func (s *Server) SetStream(st Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[st.UserID] = st
}

// ClearStream marks a user offline.
func (s *Server) ClearStream(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, userID)
}

// SetClipDelay sets how many Get Clips polls answer "not yet" for clips
// created from now on; negative means the clip never appears.
func (s *Server) SetClipDelay(polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clipDelay = polls
}

// Calls returns every recorded request so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded requests with this method and path.
func (s *Server) CallsTo(method, path string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// ChatMessages returns the chat messages accepted so far.
func (s *Server) ChatMessages() []ChatMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatMessage(nil), s.chat...)
}

// Subscriptions returns every subscription created so far (all sessions).
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Subscription(nil), s.subs...)
}

// WaitFor blocks until cond returns true or timeout passes, re-checking
// whenever the server's state changes (a call, a session, a subscription).
// It reports whether cond became true.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// NextSession returns the next WebSocket session that connected (after its
// welcome was sent), in connection order.
func (s *Server) NextSession(timeout time.Duration) (*Session, error) {
	var ss *Session
	ok := s.WaitFor(timeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.nextSess < len(s.order) {
			ss = s.order[s.nextSess]
			s.nextSess++
			return true
		}
		return false
	})
	if !ok {
		return nil, errors.New("twitchtest: no new EventSub session within " + timeout.String())
	}
	return ss, nil
}

// Sessions returns every session so far, in connection order.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Session(nil), s.order...)
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) notify() {
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

// ---- HTTP plumbing ----

func (s *Server) record(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Body: string(body), Header: r.Header.Clone(), At: time.Now()})
		var fail *failure
		for i, f := range s.failures {
			if f.method == r.Method && f.path == r.URL.Path {
				fail = &f
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
				break
			}
		}
		var limited bool
		if fail == nil && strings.HasPrefix(r.URL.Path, "/helix/") {
			var h http.Header
			h, limited = s.bucketLocked(time.Now())
			for k, v := range h {
				w.Header()[k] = v
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
		if limited {
			writeError(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		if fail != nil {
			for k, v := range fail.resp.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fail.resp.Status)
			_, _ = io.WriteString(w, fail.resp.Body)
			return
		}
		h(w, r)
		s.notify()
	}
}

// authed checks the Helix headers: a valid bearer token and a Client-Id.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, Token)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.bearer(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "Invalid OAuth token")
			return
		}
		if r.Header.Get("Client-Id") == "" {
			writeError(w, http.StatusUnauthorized, "Client-Id header required")
			return
		}
		h(w, r, tok)
	}
}

func (s *Server) bearer(r *http.Request) (Token, bool) {
	const p = "Bearer "
	a := r.Header.Get("Authorization")
	if !strings.HasPrefix(a, p) {
		return Token{}, false
	}
	return s.lookup(strings.TrimPrefix(a, p))
}

func (s *Server) lookup(access string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[access]
	if t == nil || t.revoked || time.Now().After(t.expiresAt) {
		return Token{}, false
	}
	return t.Token, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	setDefaultRateHeaders(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// setDefaultRateHeaders gives an answer Ratelimit-* headers unless the
// bucket (SetBucket) already set them.
func setDefaultRateHeaders(w http.ResponseWriter) {
	if w.Header().Get("Ratelimit-Remaining") != "" {
		return
	}
	w.Header().Set("Ratelimit-Limit", "800")
	w.Header().Set("Ratelimit-Remaining", "799")
	w.Header().Set("Ratelimit-Reset", strconv.FormatInt(time.Now().Unix()+1, 10))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": http.StatusText(status), "status": status, "message": msg})
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func nowStamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// ---- Helix ----

func userJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "login": u.Login, "display_name": u.DisplayName, "type": "",
		"broadcaster_type": "", "description": "", "profile_image_url": "", "offline_image_url": "",
		"view_count": 0, "created_at": "2016-12-14T20:32:28Z"}
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	data := []any{}
	if len(q["login"]) == 0 && len(q["id"]) == 0 {
		if u, ok := s.users[tok.Login]; ok {
			data = append(data, userJSON(u))
		} else {
			data = append(data, userJSON(User{ID: tok.UserID, Login: tok.Login, DisplayName: tok.Login}))
		}
	}
	for _, l := range q["login"] {
		if u, ok := s.users[strings.ToLower(l)]; ok {
			data = append(data, userJSON(u))
		}
	}
	for _, id := range q["id"] {
		for _, u := range s.users {
			if u.ID == id {
				data = append(data, userJSON(u))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (s *Server) handleStreams(w http.ResponseWriter, r *http.Request, _ Token) {
	q := r.URL.Query()
	s.mu.Lock()
	data := []any{}
	for _, st := range s.streams {
		match := false
		for _, id := range q["user_id"] {
			match = match || id == st.UserID
		}
		for _, l := range q["user_login"] {
			match = match || strings.EqualFold(l, st.UserLogin)
		}
		if !match {
			continue
		}
		data = append(data, map[string]any{"id": "40952121085", "user_id": st.UserID, "user_login": st.UserLogin,
			"user_name": st.UserName, "game_id": "509658", "game_name": st.GameName, "type": "live",
			"title": st.Title, "tags": []string{}, "viewer_count": st.ViewerCount,
			"started_at": st.StartedAt.UTC().Format(time.RFC3339), "language": "en",
			"thumbnail_url": "", "tag_ids": []string{}, "is_mature": false})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	var body struct {
		BroadcasterID        string `json:"broadcaster_id"`
		SenderID             string `json:"sender_id"`
		Message              string `json:"message"`
		ReplyParentMessageID string `json:"reply_parent_message_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	switch {
	case body.BroadcasterID == "" || body.SenderID == "":
		writeError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\" or \"sender_id\"")
		return
	case body.SenderID != tok.UserID:
		writeError(w, http.StatusForbidden, "The sender must be the user in the token")
		return
	case body.Message == "" || utf8.RuneCountInString(body.Message) > 500:
		writeError(w, http.StatusBadRequest, "The message is empty or longer than 500 characters")
		return
	}
	s.mu.Lock()
	var drop *dropReason
	if len(s.chatDrops) > 0 {
		drop = &s.chatDrops[0]
		s.chatDrops = s.chatDrops[1:]
	}
	id := newID()
	if drop == nil {
		s.chat = append(s.chat, ChatMessage{ID: id, BroadcasterID: body.BroadcasterID, SenderID: body.SenderID,
			Message: body.Message, ReplyParentMessageID: body.ReplyParentMessageID})
	}
	s.mu.Unlock()
	if drop != nil {
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"message_id": "", "is_sent": false,
			"drop_reason": map[string]any{"code": drop.code, "message": drop.message}}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"message_id": id, "is_sent": true,
		"drop_reason": nil}}})
}

func (s *Server) handleClips(w http.ResponseWriter, r *http.Request, _ Token) {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		b := q.Get("broadcaster_id")
		if b == "" {
			writeError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
			return
		}
		id := "FiveWordsForClipSlug" + strings.ReplaceAll(newID()[:8], "-", "")
		s.mu.Lock()
		s.clips[id] = &clip{id: id, broadcasterID: b, pollsLeft: s.clipDelay}
		s.mu.Unlock()
		writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{map[string]any{
			"id": id, "edit_url": "https://clips.twitch.tv/" + id + "/edit"}}})
	case http.MethodGet:
		data := []any{}
		s.mu.Lock()
		for _, id := range q["id"] {
			c := s.clips[id]
			if c == nil {
				continue
			}
			if c.pollsLeft != 0 {
				if c.pollsLeft > 0 {
					c.pollsLeft--
				}
				continue
			}
			data = append(data, map[string]any{"id": c.id, "url": "https://clips.twitch.tv/" + c.id,
				"embed_url": "https://clips.twitch.tv/embed?clip=" + c.id, "broadcaster_id": c.broadcasterID,
				"title": "clip", "view_count": 0, "created_at": nowStamp(), "duration": 30})
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// ---- EventSub subscriptions ----

func subJSON(sub Subscription) map[string]any {
	return map[string]any{"id": sub.ID, "status": sub.Status, "type": sub.Type, "version": sub.Version,
		"condition": sub.Condition, "created_at": sub.CreatedAt.UTC().Format(time.RFC3339Nano),
		"transport": map[string]any{"method": "websocket", "session_id": sub.SessionID,
			"connected_at": sub.CreatedAt.UTC().Format(time.RFC3339Nano)}, "cost": 0}
}

func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Client-Id") == "" {
		writeError(w, http.StatusUnauthorized, "Client-Id header required")
		return
	}
	if _, ok := s.bearer(r); !ok {
		writeError(w, http.StatusUnauthorized, "Invalid OAuth token")
		return
	}
	switch r.Method {
	case http.MethodGet:
		data := []any{}
		for _, sub := range s.Subscriptions() {
			data = append(data, subJSON(sub))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data), "total_cost": 0,
			"max_total_cost": 10, "pagination": map[string]any{}})
	case http.MethodDelete:
		id := r.URL.Query().Get("id")
		s.mu.Lock()
		found := false
		for i, sub := range s.subs {
			if sub.ID == id {
				s.subs = append(s.subs[:i:i], s.subs[i+1:]...)
				found = true
				break
			}
		}
		s.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, "subscription not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		s.createSubscription(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method    string `json:"method"`
			SessionID string `json:"session_id"`
		} `json:"transport"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "error validating json")
		return
	}
	if body.Type == "" || body.Version == "" {
		writeError(w, http.StatusBadRequest, "The combination of values in the type and version fields is not valid")
		return
	}
	if body.Transport.Method != "websocket" {
		writeError(w, http.StatusBadRequest, "The value specified in the 'method' field is not valid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[body.Transport.SessionID]
	if ss == nil || ss.isClosed() {
		writeError(w, http.StatusBadRequest, "session does not exist or has already disconnected")
		return
	}
	if ref, ok := s.refused[body.Type]; ok {
		writeError(w, ref.status, ref.message)
		return
	}
	for _, sub := range s.subs {
		if sub.SessionID == body.Transport.SessionID && sub.Type == body.Type && sub.Version == body.Version &&
			fmt.Sprint(sub.Condition) == fmt.Sprint(body.Condition) {
			writeError(w, http.StatusConflict, "subscription already exists")
			return
		}
	}
	sub := Subscription{ID: newID(), Type: body.Type, Version: body.Version, Status: "enabled",
		SessionID: body.Transport.SessionID, Condition: body.Condition, CreatedAt: time.Now()}
	s.subs = append(s.subs, sub)
	n := 0
	for _, x := range s.subs {
		if x.SessionID == sub.SessionID {
			n++
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{subJSON(sub)}, "total": n,
		"total_cost": 0, "max_total_cost": 10})
}

func (s *Server) sessionSubs(id string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.subs {
		if sub.SessionID == id {
			out = append(out, sub)
		}
	}
	return out
}

// ---- OAuth ----

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	s.mu.Lock()
	if s.device == nil {
		s.device = &deviceState{}
	}
	d := s.device
	d.code = newID()
	d.userCode = "ABCDEFGH"
	d.polls = 0
	d.issued = false
	d.scopes = r.PostForm.Get("scopes")
	life := d.flow.ExpiresIn
	if life <= 0 {
		life = 1800
	}
	d.expiresAt = time.Now().Add(time.Duration(life) * time.Second)
	code, userCode := d.code, d.userCode
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"device_code": code, "expires_in": life,
		"interval": s.opts.DeviceInterval, "user_code": userCode,
		"verification_uri": "https://www.twitch.tv/activate?public=true&device-code=" + userCode})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid form")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	switch f.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.mu.Lock()
		d := s.device
		deviceErr := func(msg string) {
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": msg})
		}
		switch {
		case d == nil || d.code != f.Get("device_code") || d.flow.Expire || d.issued || time.Now().After(d.expiresAt):
			deviceErr("invalid device code")
			return
		case d.flow.Deny:
			deviceErr("authorization_denied")
			return
		}
		d.polls++
		switch {
		case d.polls <= d.flow.SlowDownPolls:
			deviceErr("slow_down")
			return
		case d.polls <= d.flow.SlowDownPolls+d.flow.PendingPolls, d.flow.Manual && !d.approved:
			deviceErr("authorization_pending")
			return
		}
		d.issued = true
		t := d.flow.Token
		s.addTokenLocked(t)
		s.notifyLocked()
		s.mu.Unlock()
		s.writeToken(w, t)
	case "refresh_token":
		s.mu.Lock()
		old, ok := s.refreshes[f.Get("refresh_token")]
		if !ok {
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid refresh token"})
			return
		}
		delete(s.refreshes, f.Get("refresh_token")) // public clients: single use
		prev := s.tokens[old].Token
		t := Token{Access: "access-" + newID(), Refresh: "refresh-" + newID(), UserID: prev.UserID,
			Login: prev.Login, Scopes: prev.Scopes, ExpiresIn: prev.ExpiresIn}
		s.addTokenLocked(t)
		s.mu.Unlock()
		s.writeToken(w, t)
	default:
		writeError(w, http.StatusBadRequest, "unsupported grant_type")
	}
}

func (s *Server) writeToken(w http.ResponseWriter, t Token) {
	exp := t.ExpiresIn
	if exp == 0 {
		exp = 14400
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": t.Access, "refresh_token": t.Refresh,
		"expires_in": exp, "scope": t.Scopes, "token_type": "bearer"})
}

// handleRevoke is POST /oauth2/revoke (client_id, token): the access token
// and its refresh token stop working. An unknown token is a 400 "Invalid
// token", as on Twitch.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	access := r.PostForm.Get("token")
	s.mu.Lock()
	t := s.tokens[access]
	if t == nil || t.revoked {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid token"})
		return
	}
	t.revoked = true
	for ref, acc := range s.refreshes {
		if acc == access {
			delete(s.refreshes, ref)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	a := r.Header.Get("Authorization")
	tok, ok := Token{}, false
	if strings.HasPrefix(a, "OAuth ") {
		tok, ok = s.lookup(strings.TrimPrefix(a, "OAuth "))
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": 401, "message": "invalid access token"})
		return
	}
	s.mu.Lock()
	left := int(time.Until(s.tokens[tok.Access].expiresAt).Seconds())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"client_id": "fake-client-id", "login": tok.Login,
		"scopes": tok.Scopes, "user_id": tok.UserID, "expires_in": left})
}
