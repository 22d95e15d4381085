package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// bankScript exports a function another module might call; a call leaves a chat line.
const bankScript = `module { name = "bank", permissions = { "twitch.chat", "store" } }
export { pay = function(who, n) store.incr("paid", n) twitch.send_message("bank paid " .. tostring(who)) return true end }
command("!admin", { permission = "broadcaster" }, function(event) twitch.reply(event, "admin ran") end)
`

// sneaky tries, at its top level, to chat, emit, write the store and call
// another module; each attempt is under pcall so that it can go on.
const sneaky = `module { name = "sneaky", description = "Looks harmless", permissions = { "twitch.chat", "store", "call" } }
local function try(f) pcall(f) end
try(function() twitch.send_message("sneaky chatted") end)
try(function() emit("sneaky.loaded", { at = "top" }) end)
try(function() store.set("planted", true) end)
try(function() call("bank.pay", "sneaky", 1000) end)
try(function() emit("twitch.chat.message", { user = { id = "1", username = "streamer", broadcaster = true }, message = "!admin" }) end)
command("!sneaky", { permission = "moderator" }, function(event) twitch.reply(event, "hi") end)
on_event("twitch.follow", function(event) end)
every(60, function() end)
export { x = function() end }
`

func TestInspectAndInstallLeaveNoTrace(t *testing.T) {
	e := newEnv(t, map[string]string{"bank.lua": bankScript})
	events := e.collect("*")
	for _, path := range []string{"/api/scripts/inspect", "/api/scripts"} {
		w := e.do(req{method: "POST", path: path, body: ScriptRequest{Code: sneaky}})
		if w.Code != http.StatusOK && w.Code != http.StatusCreated {
			t.Fatalf("POST %s = %d %s", path, w.Code, w.Body)
		}
	}
	// The watcher would load the new file: do what it does.
	e.reg.FileChanged(e.ctx, "sneaky")
	if st, _ := e.reg.Module("sneaky"); st.Status != engine.StatusAwaitingApproval {
		t.Fatalf("sneaky is %s: %s", st.Status, st.LastError)
	}
	time.Sleep(50 * time.Millisecond) // anything sent would have arrived
	if msgs := e.chat.Recent(); len(msgs) != 0 {
		t.Fatalf("inspecting or installing chatted: %+v", msgs)
	}
	for _, space := range []string{"", "sneaky", "bank"} {
		if keys, _ := e.store.Keys(space, "", 10); len(keys) != 0 {
			t.Fatalf("inspecting or installing wrote the store of %q: %v", space, keys)
		}
	}
	for {
		select {
		case ev := <-events:
			if !strings.HasPrefix(ev.Type, "engine.module.") {
				t.Fatalf("inspecting or installing emitted %s from %s", ev.Type, ev.Source)
			}
			continue
		default:
		}
		break
	}

	// The inspection says what it registers, read without running it.
	ins := decode[InspectResponse](t, e.do(req{method: "POST", path: "/api/scripts/inspect", body: ScriptRequest{Code: sneaky}}))
	if len(ins.Commands) != 1 || ins.Commands[0].Name != "!sneaky" || ins.Commands[0].Permission != "moderator" ||
		!slices.Equal(ins.Events, []string{"twitch.follow"}) || ins.Timers != 1 || !slices.Equal(ins.Exports, []string{"x"}) || ins.Hash == "" {
		t.Errorf("inspection = %+v", ins.Inspection)
	}
}

func TestReviewAndApproveTheReviewedVersion(t *testing.T) {
	e := newEnv(t, scripts())
	w := e.do(req{method: "POST", path: "/api/scripts", body: ScriptRequest{Code: pasted}})
	if w.Code != http.StatusCreated {
		t.Fatalf("install = %d %s", w.Code, w.Body)
	}
	rv := decode[ReviewResponse](t, e.do(req{method: "GET", path: "/api/modules/pasted/review"}))
	if rv.Source != pasted || !rv.NeedsApproval || rv.Approved != nil || len(rv.Permissions) != 2 || len(rv.Commands) != 1 || rv.Hash == "" {
		t.Fatalf("review = %+v", rv)
	}
	// The file changes after the review: approving the reviewed hash is refused.
	changed := strings.Replace(pasted, `"obs.control" }`, `"obs.control", "store" }`, 1)
	if err := os.WriteFile(filepath.Join(e.dir, "pasted.lua"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	w = e.do(req{method: "POST", path: "/api/modules/pasted/approve", body: ApproveRequest{Hash: rv.Hash}})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed since") {
		t.Fatalf("approve of a stale review = %d %s, want 409", w.Code, w.Body)
	}
	if st, _ := e.reg.Module("pasted"); st.Status == engine.StatusRunning {
		t.Fatal("a version nobody reviewed runs")
	}
	rv = decode[ReviewResponse](t, e.do(req{method: "GET", path: "/api/modules/pasted/review"}))
	w = e.do(req{method: "POST", path: "/api/modules/pasted/approve", body: ApproveRequest{Hash: rv.Hash}})
	if w.Code != http.StatusOK {
		t.Fatalf("approve = %d %s", w.Code, w.Body)
	}
	// A module written by hand needs no approval; the panel is told so.
	w = e.do(req{method: "POST", path: "/api/modules/hello/approve"})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "needs no approval") {
		t.Errorf("approve of a hand-written module = %d %s", w.Code, w.Body)
	}
	if w := e.do(req{method: "GET", path: "/api/modules/nope/review"}); w.Code != http.StatusNotFound {
		t.Errorf("review of an unknown module = %d", w.Code)
	}
}

// webhookScript keeps a secret config field and uses it in a handler.
const webhookScript = `module { name = "hook", permissions = { "twitch.chat" },
  config = { webhook = { secret = true, default = "" }, channel = "general" } }
command("!hook", function(event)
  log.info("posting to " .. config.webhook, { url = config.webhook })
  twitch.reply(event, "hook length " .. #config.webhook)
end)
command("!boom", function(event) error("cannot post to " .. config.webhook) end)
`

func TestSecretConfigIsNeverShownOrLogged(t *testing.T) {
	const secret = "https://discord.com/api/webhooks/123/very-secret-token"
	var logs syncBuffer
	e := newEnvLog(t, map[string]string{"hook.lua": webhookScript}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	feed := e.collect("engine.module.*")
	w := e.do(req{method: "PUT", path: "/api/modules/hook/config", body: ConfigRequest{Config: map[string]any{"webhook": secret, "channel": "alerts"}}})
	if w.Code != 200 {
		t.Fatalf("PUT config = %d %s", w.Code, w.Body)
	}
	waitEvent(t, feed, nil)
	answers := []string{w.Body.String()}
	st := decode[ActionResponse](t, w).Module
	if st.ConfigOverrides["webhook"] != engine.SecretMask || st.ConfigOverrides["channel"] != "alerts" || !slices.Equal(st.Secrets, []string{"webhook"}) {
		t.Errorf("config as answered: %+v %v", st.ConfigOverrides, st.Secrets)
	}
	// The module has the value.
	if w := e.do(req{method: "POST", path: "/api/chat", body: ChatRequest{Message: "!hook"}}); w.Code != 202 {
		t.Fatal(w.Body)
	}
	waitFor(t, "the reply", func() bool {
		for _, m := range e.chat.Recent() {
			if m.Text == "hook length 54" {
				return true
			}
		}
		return false
	})
	e.do(req{method: "POST", path: "/api/chat", body: ChatRequest{Message: "!boom"}})
	waitFor(t, "the error", func() bool { st, _ := e.reg.Module("hook"); return st.Errors > 0 })
	// Sending the mask back keeps the value.
	w = e.do(req{method: "PUT", path: "/api/modules/hook/config", body: ConfigRequest{Config: map[string]any{"webhook": engine.SecretMask, "channel": "x"}}})
	if w.Code != 200 {
		t.Fatalf("PUT config with the mask = %d %s", w.Code, w.Body)
	}
	answers = append(answers, w.Body.String())
	if ms, _ := e.store.ModuleSettings("hook"); ms.Config["webhook"] != secret {
		t.Fatalf("the mask replaced the stored secret: %v", ms.Config["webhook"])
	}
	for _, path := range []string{"/api/modules", "/api/modules/hook", "/api/modules/hook/review", "/api/stats"} {
		answers = append(answers, e.do(req{method: "GET", path: path}).Body.String())
	}
	answers = append(answers, e.do(req{method: "POST", path: "/api/scripts/inspect", body: ScriptRequest{Code: strings.Replace(webhookScript, `default = ""`, `default = "`+secret+`"`, 1)}}).Body.String())
	for i, a := range answers {
		if strings.Contains(a, "very-secret-token") {
			t.Errorf("answer %d carries the secret: %s", i, a)
		}
	}
	if l := logs.String(); strings.Contains(l, "very-secret-token") || !strings.Contains(l, "posting to "+engine.SecretMask) {
		t.Errorf("the log carries the secret or lost the line:\n%s", l)
	}
}

// syncBuffer collects log lines written from several goroutines, to check
// what reached them (no secret, for instance).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A hostile paste gets the sandbox's budgets at inspection too: an endless
// top level is stopped and reported, and the panel keeps answering.
func TestInspectingAnEndlessScriptIsStopped(t *testing.T) {
	e := newEnv(t, scripts())
	for _, code := range []string{
		"module { name = \"spin\" }\nwhile true do end",
		"module { name = \"deep\" }\nlocal function f() return f() + 1 end\nf()",
	} {
		w := e.do(req{method: "POST", path: "/api/scripts/inspect", body: ScriptRequest{Code: code}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "does not load") {
			t.Errorf("inspect of %q = %d %s", code, w.Code, w.Body)
		}
	}
	if w := e.do(req{method: "GET", path: "/api/modules"}); w.Code != 200 {
		t.Fatalf("the panel stopped answering: %d", w.Code)
	}
}
