package twitchtest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

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
