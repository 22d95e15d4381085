package web

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
)

// FuzzPostEvent feeds arbitrary bodies to POST /api/events: the answer is 202
// or a 4xx with a message, never a 5xx, and 202 only for an object with a valid type.
func FuzzPostEvent(f *testing.F) {
	for _, s := range []string{`{"type":"a.b","data":{"x":1}}`, `{"type":"engine.x"}`, `{"data":[]}`, `[]`, `{"type":"a.b","data":{"x":{"y":[1,2,{"z":null}]}}}`, "\x00", `{"type":"a b"}`} {
		f.Add(s)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		w := e.do(req{method: "POST", path: "/api/events", body: body})
		switch {
		case w.Code == 202:
			var v struct {
				Type string
				Data json.RawMessage
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil || v.Type == "" || strings.HasPrefix(v.Type, "engine.") {
				t.Fatalf("accepted %q", body)
			}
		case w.Code >= 400 && w.Code < 500:
			if !strings.Contains(w.Body.String(), `"error"`) {
				t.Fatalf("refusal without message: %s", w.Body)
			}
		default:
			t.Fatalf("body %q: status %d %s", body, w.Code, w.Body)
		}
	})
}

// FuzzGlobMatch compares the feed's matcher with a regular expression.
func FuzzGlobMatch(f *testing.F) {
	for _, s := range [][2]string{{"twitch.*", "twitch.chat.message"}, {"*", ""}, {"obs.stream_*", "obs.stream_started"}, {"a*b*c", "aXbYbc"}, {"**", "x"}, {"a.b", "a.bc"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, typ string) {
		if len(p) > 64 || len(typ) > 64 || !utf8.ValidString(p) || !utf8.ValidString(typ) {
			return
		}
		parts := strings.Split(p, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		g := engine.CompileGlob(p)
		if got, want := g.Match(typ), re.MatchString(typ); got != want {
			t.Fatalf("CompileGlob(%q).Match(%q) = %v, regexp says %v", p, typ, got, want)
		}
	})
}

// FuzzChatEvent: any chat request gives a refusal or an event in the Twitch shape.
func FuzzChatEvent(f *testing.F) {
	f.Add("viewer", "!hello", true, false)
	f.Add("", "", false, true)
	f.Add("a b", strings.Repeat("é", 600), false, false)
	f.Fuzz(func(t *testing.T, name, msg string, mod, sub bool) {
		ev, err := ChatEvent(ChatRequest{Name: name, Message: msg, Moderator: mod, Subscriber: sub})
		if err != nil {
			return
		}
		u := ev.Data["user"].(map[string]any)
		if !loginRE.MatchString(u["display_name"].(string)) || u["moderator"] != mod || ev.Data["message"] == "" {
			t.Fatalf("event %+v", ev.Data)
		}
	})
}

// FuzzConnectionsSettings feeds arbitrary bodies to PUT
// /api/connections/twitch and /obs (on a manager that never dials): the
// answer is a success or a 4xx with a message, never a 5xx, and never shows
// a password that was sent.
func FuzzConnectionsSettings(f *testing.F) {
	for _, s := range []string{`{"client_id":"abc","channel":"#Me"}`, `{"addr":"127.0.0.1:4455","password":"pw-secret"}`,
		`{"addr":"[::1]:4455"}`, `{"addr":"h:0"}`, `{"client_id":1}`, `{}`, `[]`, "\x00", `{"addr":"a:b:c"}`, `{"password":null}`} {
		f.Add(s)
	}
	store, err := engine.OpenStore(filepath.Join(f.TempDir(), "fz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	m, err := connections.New(connections.Config{Store: store}) // not started: nothing connects
	if err != nil {
		f.Fatal(err)
	}
	e := newEnv(f, nil, func(c *Config) { c.Connections = m })
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/api/connections/twitch", "/api/connections/obs"} {
			w := e.do(req{method: "PUT", path: path, body: body})
			if w.Code >= 500 || (w.Code >= 400 && !strings.Contains(w.Body.String(), `"error"`)) {
				t.Fatalf("PUT %s %q: %d %s", path, body, w.Code, w.Body)
			}
			var v struct{ Password string }
			if json.Unmarshal([]byte(body), &v) == nil && len(v.Password) >= 4 && strings.Contains(w.Body.String(), v.Password) {
				t.Fatalf("PUT %s %q shows the password: %s", path, body, w.Body)
			}
		}
	})
}
