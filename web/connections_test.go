package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

var (
	fakeBroadcaster = twitchtest.User{ID: "1001", Login: "streamer", DisplayName: "Streamer"}
	fakeBot         = twitchtest.User{ID: "2002", Login: "starbot", DisplayName: "StarBot"}
)

// connEnv is a panel whose Connections page drives a connection manager
// pointed at the in-process Twitch fake (and a real OBS when a test starts
// one).
type connEnv struct {
	*testEnv
	tw     *twitchtest.Server
	m      *connections.Manager
	mstore *engine.Store // the manager's store
	logs   *syncBuffer
}

func newConnEnv(t *testing.T, flags connections.Flags, scripts map[string]string) *connEnv {
	t.Helper()
	tw := twitchtest.New(twitchtest.Options{DeviceInterval: 1})
	t.Cleanup(tw.Close)
	tw.AddUser(fakeBroadcaster)
	tw.AddUser(fakeBot)
	store, err := engine.OpenStore(filepath.Join(t.TempDir(), "conn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &syncBuffer{}
	var reg *engine.Registry
	m, err := connections.New(connections.Config{
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Twitch: twitch.Config{AuthURL: tw.AuthURL(), APIURL: tw.HelixURL(), EventSubURL: tw.EventSubURL(),
			SubscriptionsURL: tw.SubscriptionsURL(), DevicePollInterval: 20 * time.Millisecond,
			BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond},
		OBS:   obs.Config{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, RequestTimeout: 2 * time.Second},
		Flags: flags,
		Modules: func() []engine.ModuleState {
			if reg == nil {
				return nil
			}
			return reg.Modules()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	t.Cleanup(func() { cancel(); m.Wait() })
	e := newEnv(t, scripts, func(c *Config) { c.Connections, c.Platforms = m, m.Platforms })
	reg = e.reg
	return &connEnv{testEnv: e, tw: tw, m: m, mstore: store, logs: logs}
}

func (e *connEnv) status(t *testing.T) connections.Status {
	t.Helper()
	w := e.do(req{method: "GET", path: "/api/connections"})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/connections: %d %s", w.Code, w.Body.String())
	}
	e.noSecrets(t, w.Body.String())
	return decode[connections.Status](t, w)
}

// waitState waits until the Twitch (or OBS) state is want.
func (e *connEnv) waitState(t *testing.T, which, want string) connections.Status {
	t.Helper()
	var st connections.Status
	deadline := time.Now().Add(10 * time.Second)
	for {
		st = e.status(t)
		got := st.Twitch.State
		if which == "obs" {
			got = st.OBS.State
		}
		if got == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s state = %q, want %q; status %+v", which, got, want, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// secrets are the values no answer or log line may show.
var secrets = []string{"access-secret-1", "refresh-secret-1", obstest.Password, "wrong-password-7"}

func (e *connEnv) noSecrets(t *testing.T, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("a secret (%q) shows in:\n%s", s, text)
		}
	}
}

func approvedToken(scopes []string) twitchtest.Token {
	return twitchtest.Token{Access: "access-secret-1", Refresh: "refresh-secret-1", UserID: fakeBot.ID, Login: fakeBot.Login, Scopes: scopes}
}

func (e *connEnv) configure(t *testing.T) {
	t.Helper()
	w := e.do(req{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "abc123", "channel": "#Streamer"}})
	if w.Code != http.StatusOK {
		t.Fatalf("PUT twitch: %d %s", w.Code, w.Body.String())
	}
	st := decode[connections.TwitchStatus](t, w)
	if st.State != connections.StateOffline || st.Channel != "streamer" || st.ClientID != "abc123" {
		t.Fatalf("after PUT: %+v", st)
	}
}

func (e *connEnv) login(t *testing.T) connections.LoginCode {
	t.Helper()
	w := e.do(req{method: "POST", path: "/api/connections/twitch/login"})
	if w.Code != http.StatusOK {
		t.Fatalf("POST login: %d %s", w.Code, w.Body.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"verification_uri", "user_code", "expires_in"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("login answer lacks %q: %s", k, w.Body.String())
		}
	}
	if strings.Contains(w.Body.String(), "device_code") {
		t.Error("the device code (what trades for tokens) is in the answer")
	}
	return decode[connections.LoginCode](t, w)
}

// TestTwitchDeviceLoginFromThePanel drives the login through the API as the
// page does, with the fake playing the user: each way a device-code login
// ends, as Twitch answers it.
func TestTwitchDeviceLoginFromThePanel(t *testing.T) {
	tests := []struct {
		name      string
		flow      twitchtest.DeviceFlow
		user      func(*twitchtest.Server) // what the user does on Twitch
		wantState string
		wantErr   string
	}{
		{"approved after pending polls", twitchtest.DeviceFlow{Manual: true}, (*twitchtest.Server).ApproveDevice, connections.StateConnected, ""},
		{"approved after a slow_down", twitchtest.DeviceFlow{SlowDownPolls: 1, Manual: true}, (*twitchtest.Server).ApproveDevice, connections.StateConnected, ""},
		{"denied", twitchtest.DeviceFlow{Manual: true}, (*twitchtest.Server).DenyDevice, connections.StateError, "declined"},
		{"expired", twitchtest.DeviceFlow{Manual: true}, (*twitchtest.Server).ExpireDevice, connections.StateError, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newConnEnv(t, connections.Flags{}, nil)
			if st := e.status(t); st.Twitch.State != connections.StateNotConfigured {
				t.Fatalf("fresh engine: %+v", st.Twitch)
			}
			e.configure(t)
			flow := tt.flow
			flow.Token = approvedToken(twitch.Scopes)
			e.tw.SetDeviceFlow(flow)
			code := e.login(t)
			if code.UserCode != "ABCDEFGH" || !strings.HasPrefix(code.VerificationURI, "https://www.twitch.tv/activate") || code.ExpiresIn <= 0 {
				t.Fatalf("login code = %+v", code)
			}
			st := e.waitState(t, "twitch", connections.StateLoggingIn)
			if st.Twitch.Login == nil || st.Twitch.Login.UserCode != "ABCDEFGH" {
				t.Fatalf("logging_in status lacks the code: %+v", st.Twitch)
			}
			// a few polls answered pending (and slow_down) before the user acts
			e.tw.WaitFor(5*time.Second, func() bool { return len(e.tw.CallsTo("POST", "/oauth2/token")) >= 2 })
			tt.user(e.tw)
			st = e.waitState(t, "twitch", tt.wantState)
			if tt.wantErr != "" {
				if !strings.Contains(st.Twitch.LastError, tt.wantErr) {
					t.Fatalf("last_error = %q, want it to say %q", st.Twitch.LastError, tt.wantErr)
				}
				return
			}
			if st.Twitch.Bot != fakeBot.Login || len(st.Twitch.Scopes) == 0 || st.Twitch.TokenExpiresAt == nil || len(st.Twitch.MissingScopes) != 0 {
				t.Fatalf("connected status = %+v", st.Twitch)
			}

			// Log out: the token is revoked at Twitch and forgotten here.
			w := e.do(req{method: "DELETE", path: "/api/connections/twitch"})
			if w.Code != http.StatusOK || decode[connections.TwitchStatus](t, w).State != connections.StateOffline {
				t.Fatalf("DELETE twitch: %d %s", w.Code, w.Body.String())
			}
			revokes := e.tw.CallsTo("POST", "/oauth2/revoke")
			if len(revokes) != 1 || !strings.Contains(revokes[0].Body, "token=access-secret-1") {
				t.Fatalf("revocations: %+v", revokes)
			}
			if tok, ok, _ := (connections.TokenStore{Store: e.mstore}).LoadTokens(); ok {
				t.Errorf("tokens still stored after logout: %v", tok)
			}
			e.noSecrets(t, e.logs.String())
		})
	}
}

// TestMissingScopesPromptAReconnect: a module enabled after the login that
// needs a scope the token lacks is named in missing_scopes; a new login asks
// for it.
func TestMissingScopesPromptAReconnect(t *testing.T) {
	clip := `module { name = "clipper", permissions = { "twitch.clips" } }
command("!clip", {}, function() twitch.create_clip() end)
`
	e := newConnEnv(t, connections.Flags{}, map[string]string{"clipper.lua": clip})
	if err := e.reg.Disable(e.ctx, "clipper"); err != nil {
		t.Fatal(err)
	}
	e.configure(t)
	e.tw.SetDeviceFlow(twitchtest.DeviceFlow{Token: approvedToken(twitch.EventScopes)})
	e.login(t)
	st := e.waitState(t, "twitch", connections.StateConnected)
	if len(st.Twitch.MissingScopes) != 0 {
		t.Fatalf("missing scopes with no module needing more: %+v", st.Twitch.MissingScopes)
	}
	if strings.Contains(e.tw.DeviceScopes(), "clips:edit") {
		t.Errorf("the login asked for clips:edit with no enabled module needing it: %q", e.tw.DeviceScopes())
	}
	if err := e.reg.Enable(e.ctx, "clipper"); err != nil {
		t.Fatal(err)
	}
	st = e.status(t)
	if len(st.Twitch.MissingScopes) != 1 || st.Twitch.MissingScopes[0].Scope != "clips:edit" ||
		len(st.Twitch.MissingScopes[0].Modules) != 1 || st.Twitch.MissingScopes[0].Modules[0] != "clipper" {
		t.Fatalf("missing scopes = %+v, want clips:edit for clipper", st.Twitch.MissingScopes)
	}
	e.tw.SetDeviceFlow(twitchtest.DeviceFlow{Manual: true, Token: approvedToken(twitch.Scopes)})
	e.login(t)
	if !strings.Contains(e.tw.DeviceScopes(), "clips:edit") {
		t.Errorf("the re-connect did not ask for clips:edit: %q", e.tw.DeviceScopes())
	}
}

// TestFlagSetValuesAreReadOnly: a value given by a flag wins, shows as
// fixed, and the panel cannot change it.
func TestFlagSetValuesAreReadOnly(t *testing.T) {
	e := newConnEnv(t, connections.Flags{TwitchClientID: "fromflag", OBSAddr: "127.0.0.1:1", OBSAddrSet: true}, nil)
	st := e.status(t)
	if st.Twitch.ClientID != "fromflag" || !contains(st.Twitch.Fixed, "client_id") || !contains(st.OBS.Fixed, "addr") || st.OBS.Addr != "127.0.0.1:1" {
		t.Fatalf("status = %+v", st)
	}
	for _, r := range []req{
		{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "other", "channel": "streamer"}},
		{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": "127.0.0.1:2"}},
		{method: "DELETE", path: "/api/connections/obs"},
	} {
		if w := e.do(r); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "--") {
			t.Errorf("%s %s: %d %s, want 409 naming the flag", r.method, r.path, w.Code, w.Body.String())
		}
	}
	// the same value as the flag is fine: the channel is the panel's to set
	if w := e.do(req{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "fromflag", "channel": "streamer"}}); w.Code != http.StatusOK {
		t.Errorf("PUT with the flag's own value: %d %s", w.Code, w.Body.String())
	}
}

func TestConnectionsInputAndAuth(t *testing.T) {
	e := newConnEnv(t, connections.Flags{}, nil)
	tests := []struct {
		name string
		r    req
		code int
	}{
		{"PUT needs the token", req{method: "PUT", path: "/api/connections/obs", auth: "none", body: map[string]string{"addr": "127.0.0.1:4455"}}, http.StatusUnauthorized},
		{"login needs the token", req{method: "POST", path: "/api/connections/twitch/login", auth: "none"}, http.StatusUnauthorized},
		{"logout needs the token", req{method: "DELETE", path: "/api/connections/twitch", auth: "none"}, http.StatusUnauthorized},
		{"cross-site PUT is refused", req{method: "PUT", path: "/api/connections/obs", origin: "http://evil.example", body: map[string]string{"addr": "127.0.0.1:4455"}}, http.StatusForbidden},
		{"an address without a port", req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": "localhost"}}, http.StatusBadRequest},
		{"a port out of range", req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": "127.0.0.1:70000"}}, http.StatusBadRequest},
		{"an unknown field", req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"address": "127.0.0.1:4455"}}, http.StatusBadRequest},
		{"a bad client id", req{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "a b", "channel": "x"}}, http.StatusBadRequest},
		{"a bad channel", req{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "ab", "channel": "no spaces"}}, http.StatusBadRequest},
		{"login before configuring", req{method: "POST", path: "/api/connections/twitch/login"}, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := e.do(tt.r); w.Code != tt.code {
				t.Fatalf("%d %s, want %d", w.Code, w.Body.String(), tt.code)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestOBSConnectFromThePanel connects to a real OBS through the API: a wrong
// password is refused with a clear error, the right one connects, a killed
// OBS shows as an error until it is back, and Disconnect turns it off.
func TestOBSConnectFromThePanel(t *testing.T) {
	o := obstest.Start(t)
	e := newConnEnv(t, connections.Flags{}, nil)
	if st := e.status(t); st.OBS.State != connections.StateOffline {
		t.Fatalf("fresh engine without a default address: OBS %+v", st.OBS)
	}

	w := e.do(req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": o.Addr, "password": "wrong-password-7"}})
	e.noSecrets(t, w.Body.String())
	if w.Code != http.StatusBadGateway {
		t.Fatalf("wrong password: %d %s, want 502", w.Code, w.Body.String())
	}
	bad := decode[OBSConnectResponse](t, w)
	if !strings.Contains(bad.Error, "wrong password") || bad.OBS.State != connections.StateError || !bad.OBS.HasPassword {
		t.Fatalf("wrong password answer = %+v", bad)
	}
	if st := e.status(t); !strings.Contains(st.OBS.LastError, "wrong password") {
		t.Fatalf("GET after a wrong password: %+v", st.OBS)
	}

	start := time.Now()
	w = e.do(req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": o.Addr, "password": o.Password}})
	took := time.Since(start)
	e.noSecrets(t, w.Body.String())
	if w.Code != http.StatusOK {
		t.Fatalf("right password: %d %s", w.Code, w.Body.String())
	}
	ok := decode[connections.OBSStatus](t, w)
	if ok.State != connections.StateConnected || ok.OBSVersion == "" || ok.WebSocketVersion == "" || ok.LastError != "" {
		t.Fatalf("connected answer = %+v", ok)
	}
	t.Logf("PUT /api/connections/obs -> connected in %v (OBS %s, obs-websocket %s)", took.Round(time.Millisecond), ok.OBSVersion, ok.WebSocketVersion)
	if c := e.m.OBSClient(); c == nil {
		t.Fatal("no OBS client after connecting")
	} else if _, err := c.CurrentScene(e.ctx); err != nil {
		t.Fatalf("a request on the new connection: %v", err)
	}

	// A PUT without a password keeps the stored one.
	if w := e.do(req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": o.Addr}}); w.Code != http.StatusOK {
		t.Fatalf("PUT keeping the password: %d %s", w.Code, w.Body.String())
	}

	if err := o.Kill(); err != nil {
		t.Fatal(err)
	}
	st := e.waitState(t, "obs", connections.StateError)
	if st.OBS.LastError == "" {
		t.Fatalf("OBS killed: %+v", st.OBS)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, "obs", connections.StateConnected)

	w = e.do(req{method: "DELETE", path: "/api/connections/obs"})
	if w.Code != http.StatusOK || decode[connections.OBSStatus](t, w).State != connections.StateOffline {
		t.Fatalf("DELETE obs: %d %s", w.Code, w.Body.String())
	}
	if e.m.OBSClient() != nil {
		t.Error("an OBS client remains after Disconnect")
	}
	e.noSecrets(t, e.logs.String())
}

// TestConnectionsGoOutOnTheLiveFeed: a change of a connection reaches every
// WebSocket client as a "connections" message.
func TestConnectionsGoOutOnTheLiveFeed(t *testing.T) {
	e := newConnEnv(t, connections.Flags{}, nil)
	addr := e.serve(t)
	conn := dialWS(t, addr, "/api/ws?pattern=nothing.matches", e.token)
	if err := e.m.SetTwitch(e.ctx, "abc123", "streamer"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = conn.SetReadDeadline(deadline)
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no connections message: %v", err)
		}
		var m WSMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Kind == "connections" && m.Connections != nil && m.Connections.Twitch.Channel == "streamer" {
			return
		}
	}
}

// dialWS connects to the live feed and returns once the server has put the
// client on its hub.
func dialWS(t *testing.T, addr, path, token string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+path, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The server writes "hello" only once the client is on the hub: what
	// happens before it would never reach this feed, so wait for it.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := conn.ReadMessage(); err != nil || !strings.Contains(string(data), `"kind":"hello"`) {
		t.Fatalf("first message on the feed %s, %v; want hello", data, err)
	}
	return conn
}

// TestOBSConnectFailuresAreNamed: PUT /api/connections/obs says why it could
// not connect when nothing listens or the server is not obs-websocket 5.
func TestOBSConnectFailuresAreNamed(t *testing.T) {
	e := newConnEnv(t, connections.Flags{}, nil)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := free.Addr().String()
	free.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("not OBS")) }))
	t.Cleanup(plain.Close)
	for _, tt := range []struct{ name, addr, want string }{
		{"nothing listens", refused, "connection refused"},
		{"not obs-websocket 5", strings.TrimPrefix(plain.URL, "http://"), "wrong version"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(req{method: "PUT", path: "/api/connections/obs", body: map[string]string{"addr": tt.addr}})
			if w.Code != http.StatusBadGateway {
				t.Fatalf("%d %s, want 502", w.Code, w.Body.String())
			}
			if r := decode[OBSConnectResponse](t, w); !strings.Contains(r.Error, tt.want) || r.OBS.Addr != tt.addr {
				t.Fatalf("answer = %+v, want an error saying %q", r, tt.want)
			}
		})
	}
}

// TestRejectedStoredLoginShowsAsAnError: a stored token Twitch rejects (and
// cannot refresh) puts Twitch in the error state with the reason.
func TestRejectedStoredLoginShowsAsAnError(t *testing.T) {
	e := newConnEnv(t, connections.Flags{}, nil)
	if err := (connections.TokenStore{Store: e.mstore}).SaveTokens(twitch.Tokens{AccessToken: "access-secret-1", RefreshToken: "refresh-secret-1"}); err != nil {
		t.Fatal(err)
	}
	// saving the settings starts a client with the stored token, unknown to Twitch
	if w := e.do(req{method: "PUT", path: "/api/connections/twitch", body: map[string]string{"client_id": "abc123", "channel": "streamer"}}); w.Code != http.StatusOK {
		t.Fatalf("PUT twitch: %d %s", w.Code, w.Body.String())
	}
	st := e.waitState(t, "twitch", connections.StateError)
	if !strings.Contains(st.Twitch.LastError, "token rejected") {
		t.Fatalf("last_error = %q", st.Twitch.LastError)
	}
	e.noSecrets(t, e.logs.String())
}
