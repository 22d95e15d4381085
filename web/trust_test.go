package web

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
