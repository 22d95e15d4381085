package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestOverlayAPINeedsTheTokenAndKeepsTheKeySecret(t *testing.T) {
	e := newOverlayEnv(t, t.TempDir(), nil)
	if w := e.do(req{method: "GET", path: "/api/overlays", auth: "none"}); w.Code != http.StatusUnauthorized {
		t.Fatalf("GET /api/overlays without the token: %d", w.Code)
	}
	w := e.do(req{method: "GET", path: "/api/overlays"})
	if w.Code != 200 {
		t.Fatalf("GET /api/overlays: %d %s", w.Code, w.Body)
	}
	list := decode[OverlaysResponse](t, w)
	if len(list.Overlays) != 1 || list.Overlays[0].Name != "alerts" || len(list.Overlays[0].Key) < 20 || len(list.TestKinds) == 0 {
		t.Fatalf("list: %+v", list)
	}
	key := list.Overlays[0].Key
	for _, tc := range []struct {
		r    req
		code int
	}{
		{req{method: "GET", path: "/overlay/alerts", auth: "none"}, 403},
		{req{method: "GET", path: "/overlay/alerts?key=nope", auth: "none"}, 403},
		{req{method: "GET", path: "/overlay/alerts?key=" + e.token, auth: "none"}, 403}, // the API token is not an overlay key
		{req{method: "GET", path: "/overlay/alerts?key=" + key, auth: "none", host: "evil.example:8888"}, 403},
		{req{method: "GET", path: "/overlay/alerts?key=" + key, auth: "none"}, 200},
		{req{method: "GET", path: "/overlay/alerts/media/..%2f..%2fscripts%2fx.lua?key=" + key, auth: "none"}, 400},
		{req{method: "GET", path: "/overlay/..%2fapi%2fstatus?key=" + key, auth: "none"}, 400},
		{req{method: "GET", path: "/overlay/alerts/../../data/t.db?key=" + key, auth: "none"}, 404},
		{req{method: "POST", path: "/overlay/alerts?key=" + key, auth: "none"}, 405},
	} {
		w := e.do(tc.r)
		if w.Code != tc.code {
			t.Errorf("%s %s (host %q): %d, want %d: %s", tc.r.method, tc.r.path, tc.r.host, w.Code, tc.code, w.Body)
		}
	}
	w = e.do(req{method: "GET", path: "/overlay/alerts?key=" + key, auth: "none"})
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("overlay page CSP %q", csp)
	}
}

func TestOverlayPanelActions(t *testing.T) {
	e := newOverlayEnv(t, t.TempDir(), nil)
	post := func(path string) map[string]any {
		t.Helper()
		w := e.do(req{method: "POST", path: path})
		if w.Code != 200 {
			t.Fatalf("POST %s: %d %s", path, w.Code, w.Body)
		}
		return decode[map[string]any](t, w)
	}
	info := func(r map[string]any) map[string]any { return r["info"].(map[string]any) }
	r := post("/api/overlays/alerts/test?kind=follow")
	if a := r["alert"].(map[string]any); a["kind"] != "follow" || a["module"] != "panel" || r["preview_only"] != true {
		t.Fatalf("test alert %v", r)
	}
	if n := len(info(r)["waiting"].([]any)); n != 0 {
		t.Fatalf("a test alert without a browser source was queued (%d waiting)", n)
	}
	for _, who := range []string{"Alice", "Bob"} {
		if _, err := e.ov.Alert(context.Background(), "test", map[string]any{"text": who}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(info(post("/api/overlays/alerts/pause"))["waiting"].([]any)); n != 2 {
		t.Fatalf("%d waiting, want 2 (no browser source is open)", n)
	}
	if r := post("/api/overlays/alerts/resume"); info(r)["paused"] != false {
		t.Fatalf("resume: %v", r)
	}
	if r := post("/api/overlays/alerts/clear"); r["cleared"] != float64(2) {
		t.Fatalf("clear: %v", r)
	}
	old := info(post("/api/overlays/alerts/pause"))["key"]
	if r := post("/api/overlays/alerts/rotate-key"); r["key"] == old || r["key"] == "" {
		t.Fatalf("rotate-key: %v", r)
	}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/overlays/alerts/test?kind=nope", 400},
		{"/api/overlays/alerts/explode", 404},
		{"/api/overlays/nope/skip", 400},
		{"/api/overlays/al..erts/skip", 400},
		{"/api/overlays/alerts/replay?n=0", 400},
	} {
		if w := e.do(req{method: "POST", path: tc.path}); w.Code != tc.code {
			t.Errorf("POST %s: %d, want %d: %s", tc.path, w.Code, tc.code, w.Body)
		}
	}
	if w := e.do(req{method: "POST", path: "/api/overlays/alerts/skip", auth: "none", origin: "http://evil.example"}); w.Code != http.StatusForbidden {
		t.Errorf("a cross-site POST: %d", w.Code)
	}
}

func TestWithoutOverlaysThereAreNoOverlayRoutes(t *testing.T) {
	e := newEnv(t, nil)
	if w := e.do(req{method: "GET", path: "/overlay/alerts?key=x"}); w.Code != 404 && w.Code != 405 {
		t.Errorf("/overlay without overlays: %d", w.Code)
	}
	if w := e.do(req{method: "GET", path: "/overlays"}); w.Code != 200 {
		t.Errorf("the Overlays page: %d", w.Code)
	}
}
