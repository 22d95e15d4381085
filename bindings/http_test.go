package bindings

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// webServer is a local server: POST /echo answers the JSON it got with a
// field added, /away redirects to a host no module declares.
func webServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/echo":
			var in map[string]any
			if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil {
				http.Error(w, "want JSON", http.StatusBadRequest)
				return
			}
			in["seen"] = r.Method + " " + r.Header.Get("X-Key")
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(in)
		case "/away":
			http.Redirect(w, r, "http://undeclared.invalid/steal", http.StatusFound)
		case "/text":
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, "got "+string(b))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func TestHTTPModulePostsJSONAndReadsTheAnswer(t *testing.T) {
	s, _ := webServer(t)
	script := `module { name = "web", permissions = { "http:127.0.0.1", "twitch.chat" } }
on_event("go", function(e)
  local r, err = http.request{ method = "POST", url = e.data.base .. "/echo", json = { n = 3, who = "Alice", list = { 1, 2 } }, headers = { ["X-Key"] = "k1" }, timeout = 5 }
  if not r then twitch.send_message("error " .. err) return end
  twitch.send_message(string.format("status %d n=%d who=%s list=%d seen=%s ct=%s", r.status, r.json.n, r.json.who, #r.json.list, r.json.seen, r.headers["content-type"]))
  local p = http.post(e.data.base .. "/text", "plain words")
  twitch.send_message("post " .. p.status .. " " .. p.body .. " " .. tostring(p.json))
  local g = http.get(e.data.base .. "/missing")
  twitch.send_message("get " .. g.status)
end)`
	te := newTestEngine(t, map[string]string{"web.lua": script})
	te.emit("go", map[string]any{"base": s.URL})
	te.waitChat("status 200 n=3 who=Alice list=2 seen=POST k1 ct=application/json")
	te.waitChat("post 200 got plain words nil")
	te.waitChat("get 404")
}

func TestHTTPRefusesUndeclaredHostsNamingThePermission(t *testing.T) {
	s, hits := webServer(t)
	for _, tc := range []struct{ name, perms string }{
		{"nothing declared", `"twitch.chat"`},
		{"another host declared", `"twitch.chat", "http:discord.com"`},
		{"the bare reserved word", `"twitch.chat", "http"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := `module { name = "web", permissions = { ` + tc.perms + ` } }
on_event("go", function(e)
  local ok, err = pcall(http.get, e.data.base .. "/echo")
  twitch.send_message("refused " .. tostring(ok) .. " " .. tostring(err))
end)`
			te := newTestEngine(t, map[string]string{"web.lua": script})
			te.emit("go", map[string]any{"base": s.URL})
			te.waitChat(`refused false`)
			m := te.waitChat(`http.get to 127.0.0.1 needs the "http:127.0.0.1" permission`)
			if !strings.Contains(m.Text, "permissions") {
				t.Fatalf("error does not say where to declare it: %s", m.Text)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("the server got %d requests from modules that did not declare it", hits.Load())
	}
}

func TestHTTPRedirectToAnUndeclaredHostIsNotFollowed(t *testing.T) {
	s, _ := webServer(t)
	script := `module { name = "web", permissions = { "http:127.0.0.1", "twitch.chat" } }
on_event("go", function(e)
  local r, err = http.get(e.data.base .. "/away")
  twitch.send_message("redirect " .. tostring(r) .. " " .. tostring(err))
end)`
	te := newTestEngine(t, map[string]string{"web.lua": script})
	te.emit("go", map[string]any{"base": s.URL})
	te.waitChat(`redirect nil http.get: undeclared.invalid: redirect not followed: host not declared: undeclared.invalid (declare the permission "http:undeclared.invalid")`)
}

func TestHTTPArgumentsAndLoadTime(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		{"top level", `module { name = "m", permissions = { "http:127.0.0.1", "twitch.chat" } }
local ok, err = pcall(http.get, "http://127.0.0.1:1/")
on_event("go", function() twitch.send_message(tostring(err)) end)`, "cannot be used in top-level code"},
		{"bad scheme", `module { name = "m", permissions = { "http:127.0.0.1", "twitch.chat" } }
on_event("go", function() local ok, err = pcall(http.get, "file:///etc/passwd") twitch.send_message(tostring(err)) end)`, "not an http or https URL"},
		{"body and json", `module { name = "m", permissions = { "http:127.0.0.1", "twitch.chat" } }
on_event("go", function() local ok, err = pcall(http.request, { url = "http://127.0.0.1:1/", body = "x", json = {} }) twitch.send_message(tostring(err)) end)`, "body or json, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"m.lua": tc.code})
			te.emit("go", nil)
			te.waitChat(tc.want)
		})
	}
}

func TestHTTPPermissionWithSchemeOrPortSaysTheShape(t *testing.T) {
	te := newTestEngine(t, map[string]string{"m.lua": `module { name = "m", permissions = { "http:https://discord.com/api" } }`})
	if st := te.module("m"); !strings.Contains(st.LastError, `http:HOST takes a lower-case host name or address without scheme, port or path, e.g. "http:discord.com"`) {
		t.Fatalf("module state %+v", st)
	}
}

func TestHTTPPermissionFamily(t *testing.T) {
	for p, want := range map[string]bool{
		"http:discord.com": true, "http:127.0.0.1": true, "http:::1": true, "http:localhost": true,
		"http:": false, "http:127.0.0.1:8080": false, "http:Discord.com": false, "http:https://x.com": false, "http:a/b": false,
		"http": true, "twitch.chat": true, "http:HOST": false,
	} {
		if got := knownPermission(p); got != want {
			t.Errorf("knownPermission(%q) = %v, want %v", p, got, want)
		}
	}
}

// fakeWebhook is a local stand-in for Discord's webhook endpoint: it records
// the JSON posted to /api/webhooks/ID/TOKEN and answers 204 as Discord does.
type fakeWebhook struct {
	mu    sync.Mutex
	posts []map[string]any
}

func (f *fakeWebhook) start(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/webhooks/1/tok" || r.Header.Get("Content-Type") != "application/json" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
			return
		}
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.posts = append(f.posts, m)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestDiscordWebhookLibraryPostsToTheEndpoint(t *testing.T) {
	f := &fakeWebhook{}
	s := f.start(t)
	script := `module { name = "hook", permissions = { "http:127.0.0.1", "twitch.chat" } }
local webhook = require("discord_webhook")
on_event("go", function(e)
  local ok, err = webhook.send(e.data.base .. "/api/webhooks/1/tok", { content = "Live @everyone", username = "Star",
    embeds = { { title = "Playing", url = "https://twitch.tv/x" } } })
  twitch.send_message("sent " .. tostring(ok) .. " " .. tostring(err))
  ok, err = webhook.send(e.data.base .. "/api/webhooks/2/wrong", { content = "x" })
  twitch.send_message("wrong " .. tostring(ok) .. " " .. tostring(err))
  ok, err = webhook.send(e.data.base .. "/api/webhooks/1/tok", { })
  twitch.send_message("empty " .. tostring(ok) .. " " .. tostring(err))
  ok, err = webhook.send("", { content = "x" })
  twitch.send_message("nourl " .. tostring(ok) .. " " .. tostring(err))
  ok, err = webhook.send(e.data.base .. "/api/webhooks/1/tok", { content = string.rep("é", 2001) })
  twitch.send_message("long " .. tostring(ok) .. " " .. tostring(err))
end)`
	te := newTestEngine(t, map[string]string{"hook.lua": script})
	te.emit("go", map[string]any{"base": s.URL})
	te.waitChat("sent true nil")
	te.waitChat("wrong nil discord_webhook: Discord answered 404: Unknown Webhook")
	te.waitChat("empty nil discord_webhook: a message needs content or embeds")
	te.waitChat("nourl nil discord_webhook: the webhook URL must be an https:// address")
	te.waitChat("long nil discord_webhook: content is longer than 2000 characters")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posts) != 1 {
		t.Fatalf("posts %v", f.posts)
	}
	p := f.posts[0]
	embeds, _ := p["embeds"].([]any)
	am, _ := p["allowed_mentions"].(map[string]any)
	parse, isList := am["parse"].([]any)
	if p["content"] != "Live @everyone" || p["username"] != "Star" || len(embeds) != 1 || !isList || len(parse) != 0 {
		t.Fatalf("payload %v", p)
	}
}
