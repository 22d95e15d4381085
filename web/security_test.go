package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestHostCheckRefusesForeignHosts(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name, host string
		code       int
	}{
		{"bind address", "127.0.0.1:8888", 200},
		{"localhost", "localhost:8888", 200},
		{"localhost upper case", "LOCALHOST:8888", 200},
		{"ipv6 loopback", "[::1]:8888", 200},
		{"rebinding name", "evil.example:8888", 403},
		{"rebinding name without port", "evil.example", 403},
		{"right host wrong port", "127.0.0.1:9999", 403},
		{"no port", "127.0.0.1", 403},
		{"empty", "", 403},
		{"subdomain trick", "localhost.evil.example:8888", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/modules", "/modules", "/metrics"} {
				w := e.do(req{method: "GET", path: path, host: tc.host})
				if tc.host == "" {
					w = e.do(req{method: "GET", path: path, host: " "})
				}
				if w.Code != tc.code {
					t.Fatalf("GET %s Host %q = %d %s, want %d", path, tc.host, w.Code, w.Body, tc.code)
				}
			}
			host := tc.host
			if host == "" {
				host = " "
			}
			w := e.do(req{method: "POST", path: "/api/events", host: host, body: `{"type":"a.b"}`})
			if tc.code == 403 && w.Code != 403 {
				t.Fatalf("POST with Host %q = %d, want 403", tc.host, w.Code)
			}
		})
	}
}

func TestOriginCheckRefusesCrossSiteWrites(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name, origin, fetchSite string
		code                    int
	}{
		{"no origin (curl, Stream Deck)", "", "", 202},
		{"same origin", "http://127.0.0.1:8888", "same-origin", 202},
		{"localhost origin", "http://localhost:8888", "", 202},
		{"foreign site", "https://evil.example", "", 403},
		{"foreign site fetch metadata only", "", "cross-site", 403},
		{"other local port", "http://localhost:3000", "same-site", 403},
		{"null origin (sandboxed frame)", "null", "", 403},
		{"file scheme", "file://", "", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.fetchSite != "" {
				h["Sec-Fetch-Site"] = tc.fetchSite
			}
			// Even with a valid session cookie, a cross-site POST is refused.
			w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"a.b"}`, origin: tc.origin, auth: "none", cookie: e.srv.session, header: h})
			if w.Code != tc.code {
				t.Fatalf("POST Origin %q = %d %s, want %d", tc.origin, w.Code, w.Body, tc.code)
			}
			if tc.code != 403 {
				return
			}
			w = e.do(req{method: "POST", path: "/api/modules/hello/disable", origin: tc.origin, header: h})
			if w.Code != 403 {
				t.Fatalf("module action Origin %q = %d, want 403", tc.origin, w.Code)
			}
		})
	}
	if st, _ := e.reg.Module("hello"); !st.Enabled {
		t.Error("a refused cross-site request disabled a module")
	}
	// A GET from another origin is answered (no CORS headers, so the other site cannot read it).
	if w := e.do(req{method: "GET", path: "/api/modules", origin: "https://evil.example"}); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cross-origin GET = %d, ACAO %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
}

func TestStateChangingCallsNeedTheTokenOrSession(t *testing.T) {
	e := newEnv(t, scripts())
	calls := []struct{ method, path, body string }{
		{"POST", "/api/events", `{"type":"a.b"}`},
		{"POST", "/api/chat", `{"message":"hi"}`},
		{"POST", "/api/modules/hello/disable", ""},
		{"POST", "/api/modules/hello/reload", ""},
		{"POST", "/api/modules/hello/approve", ""},
		{"PUT", "/api/modules/hello/config", `{"config":{}}`},
		{"POST", "/api/scripts", `{"code":"module{name=\"x\"}"}`},
		{"POST", "/api/scripts/inspect", `{"code":"module{name=\"x\"}"}`},
		{"POST", "/api/backup", ""},
		{"GET", "/api/ws", ""},
	}
	auths := []struct {
		name, auth, cookie string
		code               int
	}{
		{"missing", "none", "", 401},
		{"wrong token", "Bearer nope", "", 401},
		{"token of another install", "Bearer " + strings.Repeat("0", 64), "", 401},
		{"basic auth", "Basic YTpi", "", 401},
		{"wrong cookie", "none", "forged", 401},
		{"wrong token beats good cookie", "Bearer nope", e.srv.session, 401},
	}
	for _, a := range auths {
		for _, c := range calls {
			t.Run(a.name+" "+c.method+" "+c.path, func(t *testing.T) {
				var body any
				if c.body != "" {
					body = c.body
				}
				w := e.do(req{method: c.method, path: c.path, body: body, auth: a.auth, cookie: a.cookie})
				if w.Code != a.code || !strings.Contains(w.Body.String(), "token") {
					t.Fatalf("= %d %s, want %d naming the token", w.Code, w.Body, a.code)
				}
			})
		}
	}
	// The session cookie works like the token.
	if w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"a.b"}`, auth: "none", cookie: e.srv.session}); w.Code != 202 {
		t.Errorf("POST with the session cookie = %d %s", w.Code, w.Body)
	}
	if st, _ := e.reg.Module("hello"); !st.Enabled || st.Status != "running" {
		t.Errorf("an unauthorized call changed hello: %+v", st)
	}
}

func TestPagesNeedASignIn(t *testing.T) {
	e := newEnv(t, scripts())
	for _, p := range []string{"/modules", "/events", "/chat"} {
		// Fetching a page hands out no session: it shows the sign-in page.
		w := e.do(req{method: "GET", path: p, auth: "none"})
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Sign in") || len(w.Result().Cookies()) != 0 {
			t.Fatalf("GET %s without a session = %d, cookies %v", p, w.Code, w.Result().Cookies())
		}
		if strings.Contains(w.Body.String(), "/assets/app.js") {
			t.Errorf("the sign-in page loads the panel's scripts")
		}
		w = e.do(req{method: "GET", path: p, auth: "none", cookie: e.srv.session})
		if w.Code != 200 || !strings.Contains(w.Body.String(), "StarStreamer") {
			t.Fatalf("GET %s with the session = %d", p, w.Code)
		}
		if strings.Contains(w.Body.String(), e.token) {
			t.Fatal("the page leaks the API token")
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
	}
	if w := e.do(req{method: "GET", path: "/", auth: "none"}); w.Code != http.StatusFound || w.Header().Get("Location") != "/modules" {
		t.Errorf("GET / = %d %s", w.Code, w.Header().Get("Location"))
	}
	for _, a := range []string{"/assets/app.js", "/assets/app.css", "/assets/modules.js", "/assets/events.js", "/assets/chat.js", "/assets/favicon.svg"} {
		if w := e.do(req{method: "GET", path: a, auth: "none"}); w.Code != 200 || w.Body.Len() == 0 {
			t.Errorf("GET %s = %d", a, w.Code)
		}
	}
	for _, a := range []string{"/assets/../pages.go", "/assets/..%2fpages.go", "/assets/nope.js"} {
		if w := e.do(req{method: "GET", path: a, auth: "none"}); w.Code != 404 {
			t.Errorf("GET %s = %d, want 404", a, w.Code)
		}
	}
}

func TestSignInWithAOneTimeCodeOrTheToken(t *testing.T) {
	e := newEnv(t, scripts())
	now := time.Now()
	good := LoginCode(e.token, now)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		name string
		r    req
		code int // 303 signs in (cookie set, on to /modules)
	}{
		{"the code of a login link", req{method: "GET", path: "/login?code=" + good, auth: "none"}, 303},
		{"the same code again", req{method: "GET", path: "/login?code=" + good, auth: "none"}, 401},
		{"a code made with another token", req{method: "GET", path: "/login?code=" + LoginCode(strings.Repeat("0", 64), now), auth: "none"}, 401},
		{"an expired code", req{method: "GET", path: "/login?code=" + LoginCode(e.token, now.Add(-LoginCodeTTL-time.Minute)), auth: "none"}, 401},
		{"a code from before this run", req{method: "GET", path: "/login?code=" + LoginCode(e.token, e.srv.started.Add(-2*time.Second)), auth: "none"}, 401},
		{"a tampered code", req{method: "GET", path: "/login?code=" + good[:len(good)-1] + "0", auth: "none"}, 401},
		{"garbage", req{method: "GET", path: "/login?code=a.b", auth: "none"}, 401},
		{"the sign-in form", req{method: "GET", path: "/login", auth: "none"}, 200},
		{"the token in the form", req{method: "POST", path: "/login", auth: "none", body: "token=" + e.token, header: form}, 303},
		{"a wrong token in the form", req{method: "POST", path: "/login", auth: "none", body: "token=nope", header: form}, 401},
		{"the token form from another site", req{method: "POST", path: "/login", auth: "none", body: "token=" + e.token, header: form, origin: "https://evil.example"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.r)
			if w.Code != tc.code {
				t.Fatalf("= %d %s, want %d", w.Code, w.Body, tc.code)
			}
			cookies := w.Result().Cookies()
			if tc.code != 303 {
				if len(cookies) != 0 {
					t.Fatalf("a refused sign-in set cookies %v", cookies)
				}
				return
			}
			if w.Header().Get("Location") != "/modules" {
				t.Errorf("Location = %q", w.Header().Get("Location"))
			}
			c := cookies
			if len(c) != 1 || c[0].Name != SessionCookie || c[0].Value != e.srv.session || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
				t.Fatalf("cookies = %+v", c)
			}
			if c[0].Value == e.token {
				t.Fatal("the cookie is the API token")
			}
		})
	}
	if u := e.srv.LoginURL(); !strings.HasPrefix(u, "http://127.0.0.1:8888/login?code=") {
		t.Errorf("LoginURL = %q", u)
	}
	if u := LoginURL("0.0.0.0:9000", e.token); !strings.HasPrefix(u, "http://127.0.0.1:9000/login?code=") {
		t.Errorf("LoginURL on every interface = %q", u)
	}
}

// A local program that fetches a page gets no session, so it can neither read
// the API nor change anything with what the page handed it.
func TestACookieFromAPageFetchCannotChangeAnything(t *testing.T) {
	e := newEnv(t, scripts())
	w := e.do(req{method: "GET", path: "/modules", auth: "none"})
	var cookie string
	for _, c := range w.Result().Cookies() {
		if c.Name == SessionCookie {
			cookie = c.Value
		}
	}
	calls := []struct{ method, path, body string }{
		{"GET", "/api/modules", ""},
		{"GET", "/api/modules/hello", ""},
		{"POST", "/api/modules/hello/unload", ""},
		{"POST", "/api/modules/hello/reload", ""},
		{"POST", "/api/modules/hello/disable", ""},
		{"PUT", "/api/modules/hello/config", `{"config":{"greeting":"pwned"}}`},
		{"POST", "/api/events", `{"type":"twitch.chat.message","data":{}}`},
	}
	for _, c := range calls {
		var body any
		if c.body != "" {
			body = c.body
		}
		w := e.do(req{method: c.method, path: c.path, body: body, auth: "none", cookie: cookie})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s with the page's cookie %q = %d %s, want 401", c.method, c.path, cookie, w.Code, w.Body)
		}
	}
	if st, _ := e.reg.Module("hello"); st.Status != "running" || !st.Enabled || st.ConfigOverrides != nil {
		t.Fatalf("hello changed: %+v", st)
	}
}

func TestEveryAPIRouteNeedsTheTokenOrSession(t *testing.T) {
	e := newEnv(t, scripts())
	for _, r := range e.srv.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/metrics" {
			continue
		}
		path := strings.NewReplacer(":name", "hello", ":action", "reload").Replace(r.Path)
		w := e.do(req{method: r.Method, path: path, auth: "none"})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials = %d, want 401", r.Method, path, w.Code)
		}
	}
}

func TestRemoteBindNeedsTheFlagAndTheToken(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := New(Config{Addr: "0.0.0.0:8888", Registry: e.reg, Bus: e.bus, Store: e.store}); err == nil || !strings.Contains(err.Error(), "allow-remote") {
		t.Fatalf("New on 0.0.0.0 without AllowRemote: %v", err)
	}
	var logs bytes.Buffer
	srv, err := New(Config{Addr: "192.0.2.10:8888", AllowRemote: true, AllowedHosts: []string{"deck.lan"}, Registry: e.reg, Bus: e.bus, Store: e.store,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := &testEnv{srv: srv, token: e.token}
	tests := []struct {
		name string
		r    req
		code int
	}{
		{"read API without token", req{method: "GET", path: "/api/modules", host: "192.0.2.10:8888", auth: "none", remote: "192.0.2.20:1"}, 401},
		{"metrics without token", req{method: "GET", path: "/metrics", host: "deck.lan:8888", auth: "none", remote: "192.0.2.20:1"}, 401},
		{"read API with token", req{method: "GET", path: "/api/modules", host: "deck.lan:8888", remote: "192.0.2.20:1"}, 200},
		{"page from the network asks for the token", req{method: "GET", path: "/modules", host: "192.0.2.10:8888", auth: "none", remote: "192.0.2.20:1"}, 401},
		{"foreign host", req{method: "GET", path: "/api/modules", host: "evil.example:8888", remote: "192.0.2.20:1"}, 403},
		{"login with a wrong token", req{method: "POST", path: "/login", host: "192.0.2.10:8888", auth: "none", remote: "192.0.2.20:1", body: "token=nope",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 401},
		{"login with the token", req{method: "POST", path: "/login", host: "192.0.2.10:8888", auth: "none", remote: "192.0.2.20:1", body: "token=" + e.token,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 303},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := r.do(tc.r); w.Code != tc.code {
				t.Fatalf("= %d %s, want %d", w.Code, w.Body, tc.code)
			}
		})
	}
	if strings.Contains(logs.String(), e.token) || strings.Contains(logs.String(), srv.session) {
		t.Error("the token or session reached the log")
	}
	if !strings.Contains(logs.String(), "status=401") {
		t.Error("refusals are not logged")
	}
}

func TestWebSocketFeed(t *testing.T) {
	e := newEnv(t, scripts())
	addr := e.serve(t)
	dial := func(pattern string, h http.Header) (*websocket.Conn, *http.Response, error) {
		return websocket.DefaultDialer.Dial("ws://"+addr+"/api/ws?pattern="+pattern, h)
	}
	auth := http.Header{"Authorization": {"Bearer " + e.token}}

	t.Run("refusals", func(t *testing.T) {
		cases := []struct {
			name string
			h    http.Header
			code int
		}{
			{"no token", http.Header{}, 401},
			{"foreign origin", http.Header{"Authorization": {"Bearer " + e.token}, "Origin": {"https://evil.example"}}, 403},
			{"foreign origin with cookie", http.Header{"Cookie": {SessionCookie + "=" + e.srv.session}, "Origin": {"https://evil.example"}}, 403},
		}
		for _, c := range cases {
			_, res, err := dial("", c.h)
			if err == nil || res == nil || res.StatusCode != c.code {
				t.Errorf("%s: err %v, response %v, want %d", c.name, err, res, c.code)
			}
		}
		if _, res, err := dial("bad%20pattern", auth); err == nil || res.StatusCode != 400 {
			t.Errorf("bad pattern: %v %v", err, res)
		}
	})

	conn, _, err := dial("custom.*", http.Header{"Cookie": {SessionCookie + "=" + e.srv.session}, "Origin": {"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	read := func(want func(WSMessage) bool) WSMessage {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			var m WSMessage
			if err := conn.ReadJSON(&m); err != nil {
				t.Fatalf("read: %v", err)
			}
			if want(m) {
				return m
			}
		}
	}
	read(func(m WSMessage) bool { return m.Kind == "hello" && m.Pattern == "custom.*" })
	post := func(typ string) {
		r, _ := http.NewRequest("POST", "http://"+addr+"/api/events", strings.NewReader(`{"type":"`+typ+`","data":{"n":1}}`))
		r.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(r)
		if err != nil || res.StatusCode != 202 {
			t.Fatalf("POST %s: %v %v", typ, err, res)
		}
		res.Body.Close()
	}
	post("other.skip")
	post("custom.one")
	m := read(func(m WSMessage) bool { return m.Kind == "event" })
	if m.Event.Type != "custom.one" {
		t.Fatalf("first event = %s, want custom.one (other.skip is filtered out)", m.Event.Type)
	}

	// A module change arrives whatever the filter, with the module's state.
	if err := e.reg.Disable(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	m = read(func(m WSMessage) bool { return m.Kind == "module" && m.Name == "hello" })
	if m.Module == nil || m.Module.Status != "disabled" || m.Totals == nil {
		t.Fatalf("module message = %+v", m)
	}

	// The client changes its filter.
	if err := conn.WriteJSON(map[string]string{"pattern": "other.*"}); err != nil {
		t.Fatal(err)
	}
	read(func(m WSMessage) bool { return m.Kind == "hello" && m.Pattern == "other.*" })
	post("custom.two")
	post("other.three")
	m = read(func(m WSMessage) bool { return m.Kind == "event" })
	if m.Event.Type != "other.three" {
		t.Fatalf("event after the new filter = %s", m.Event.Type)
	}
	data, _ := json.Marshal(m.Event.Data)
	if string(data) != `{"n":1}` {
		t.Errorf("data = %s", data)
	}
}

func TestServeShutsDownWithOpenWebSockets(t *testing.T) {
	e := newEnv(t, nil)
	ln := e.srv
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan error, 1)
	lnr, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	go func() { addrc <- ln.Serve(ctx, lnr) }()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+lnr.Addr().String()+"/api/ws", http.Header{"Authorization": {"Bearer " + e.token}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel()
	select {
	case err := <-addrc:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

// A token sent without "Bearer " is told so, not "wrong API token": the
// usual mistake of a Stream Deck plugin's header field. The hint does not
// depend on the value, so it tells nothing about the token.
func TestTokenWithoutBearerIsToldSo(t *testing.T) {
	e := newEnv(t, scripts())
	for _, tc := range []struct{ name, auth, want string }{
		{"the right token without Bearer", e.token, "must read Bearer TOKEN"},
		{"a wrong token without Bearer", "nope", "must read Bearer TOKEN"},
		{"another scheme", "Basic YTpi", "must read Bearer TOKEN"},
		{"Bearer with a wrong token", "Bearer nope", "wrong API token"},
	} {
		w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"a.b"}`, auth: tc.auth})
		if w.Code != 401 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s; want 401 saying %q", tc.name, w.Code, w.Body, tc.want)
		}
	}
	if w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"a.b"}`, auth: "bearer " + e.token}); w.Code != 202 {
		t.Errorf("lower-case bearer: %d %s", w.Code, w.Body)
	}
}
