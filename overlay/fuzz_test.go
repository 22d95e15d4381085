package overlay

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzMediaName: a name CheckMediaName accepts stays inside the media folder.
func FuzzMediaName(f *testing.F) {
	for _, s := range []string{"follow.png", "a/b.gif", "../x.png", "..", "/etc/passwd", `..\x.png`, "a/../../b.mp3", "a//b.png", ".png", "x.png\x00", "ä.png", " .png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if _, err := CheckMediaName(name); err != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(name)) || slices.Contains(strings.Split(name, "/"), "..") || strings.ContainsAny(name, "\\\x00:") {
			t.Fatalf("accepted %q, which is not a plain name inside the folder", name)
		}
		if filepath.Clean(filepath.FromSlash(name)) != filepath.FromSlash(name) {
			t.Fatalf("accepted %q, which is not clean", name)
		}
	})
}

// FuzzOverlayPath requests any path under /overlay/ with the right key: the
// answer is never a file outside the overlays and media folders, and only the
// known resources answer 200.
func FuzzOverlayPath(f *testing.F) {
	e := newTestEnv(f)
	key := e.key("alerts")
	for _, s := range []string{"alerts", "alerts/ws", "alerts/media/follow.png", "alerts/media/../../secret.txt", "alerts/media/..%2fsecret.txt",
		"../secret.txt", "alerts/media/sub/tier2.png", "alerts/media/%2e%2e/secret.txt", "alerts/../alerts", "alerts/media/./follow.png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path = "/overlay/" + p
		r.URL.RawQuery = "key=" + key
		w := httptest.NewRecorder()
		e.m.ServeHTTP(w, r)
		body := w.Body.String()
		if strings.Contains(body, "TOP SECRET") {
			t.Fatalf("%q served a file outside the folders", p)
		}
		if w.Code != http.StatusOK {
			return
		}
		switch {
		case p == "alerts":
		case p == "alerts/media/follow.png" || p == "alerts/media/sub/tier2.png":
		default:
			t.Fatalf("%q answered 200: %.80q", p, body)
		}
	})
}
