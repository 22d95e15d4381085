package web

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func scripts() map[string]string {
	return map[string]string{"hello.lua": helloScript, "counter.lua": counterScript, "broken.lua": brokenScript}
}

func TestModulesListsEveryModuleWithTotals(t *testing.T) {
	e := newEnv(t, scripts())
	w := e.do(req{method: "GET", path: "/api/modules"})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/modules: %d %s", w.Code, w.Body)
	}
	res := decode[ModulesResponse](t, w)
	if want := (Totals{Discovered: 3, Loaded: 2, Enabled: 3, Failed: 1}); res.Totals != want {
		t.Errorf("totals = %+v, want %+v", res.Totals, want)
	}
	byName := map[string]engine.ModuleState{}
	for _, m := range res.Modules {
		byName[m.Name] = m
	}
	h := byName["hello"]
	if h.Status != "running" || h.Version != "1.0.0" || h.Author != "tests" || h.Description != "Says hello" ||
		len(h.Permissions) != 1 || h.Handlers == 0 || len(h.Commands) != 1 || h.Commands[0].Name != "!hello" || h.LastReload == nil || !h.LastReload.OK {
		t.Errorf("hello = %+v", h)
	}
	b := byName["broken"]
	if b.Status != "failed" || !strings.Contains(b.LastError, "broken.lua") {
		t.Errorf("broken = status %q, last error %q: want failed with the file named", b.Status, b.LastError)
	}
}

func TestModuleGetOneAndUnknown(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name, path string
		code       int
	}{
		{"known module", "/api/modules/hello", 200},
		{"unknown module", "/api/modules/nope", 404},
		{"traversal in name", "/api/modules/..%2F..%2Fetc", 400},
		{"dot dot", "/api/modules/..", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "GET", path: tc.path})
			if w.Code != tc.code {
				t.Fatalf("GET %s = %d %s, want %d", tc.path, w.Code, w.Body, tc.code)
			}
		})
	}
}

func TestModuleActionsChangeState(t *testing.T) {
	e := newEnv(t, scripts())
	steps := []struct {
		action, module string
		code           int
		status         string
		enabled        bool
	}{
		{"disable", "hello", 200, "disabled", false},
		{"enable", "hello", 200, "running", true},
		{"unload", "hello", 200, "stopped", true},
		{"load", "hello", 200, "running", true},
		{"reload", "hello", 200, "running", true},
		{"reload", "broken", 422, "failed", true},
	}
	for _, s := range steps {
		w := e.do(req{method: "POST", path: "/api/modules/" + s.module + "/" + s.action})
		if w.Code != s.code {
			t.Fatalf("%s %s = %d %s, want %d", s.action, s.module, w.Code, w.Body, s.code)
		}
		res := decode[ActionResponse](t, w)
		if res.Module.Status != s.status || res.Module.Enabled != s.enabled {
			t.Fatalf("after %s %s: status %q enabled %v, want %q %v", s.action, s.module, res.Module.Status, res.Module.Enabled, s.status, s.enabled)
		}
		if s.code == 422 && res.Error == "" {
			t.Errorf("a failed %s says no error", s.action)
		}
	}
}

func TestModuleActionRefusals(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name, path string
		code       int
	}{
		{"unknown module", "/api/modules/nope/reload", 404},
		{"unknown module enable", "/api/modules/nope/enable", 404},
		{"unknown action", "/api/modules/hello/explode", 404},
		{"encoded traversal", "/api/modules/..%2Fx/reload", 400},
		{"encoded absolute", "/api/modules/%2Fetc%2Fpasswd/load", 400},
		{"raw traversal", "/api/modules/../x/reload", 400},
		{"backslash", "/api/modules/..%5Cx/load", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "POST", path: tc.path})
			if w.Code != tc.code {
				t.Fatalf("POST %s = %d %s, want %d", tc.path, w.Code, w.Body, tc.code)
			}
			if !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("refusal without an error message: %s", w.Body)
			}
		})
	}
}

func TestPostEventEmitsOnTheBus(t *testing.T) {
	e := newEnv(t, scripts())
	ch := e.collect("custom.*")
	w := e.do(req{method: "POST", path: "/api/events", body: map[string]any{"type": "custom.deck", "data": map[string]any{"button": 3, "label": "Scene"}}})
	if w.Code != http.StatusAccepted {
		t.Fatalf("POST /api/events = %d %s", w.Code, w.Body)
	}
	res := decode[EventResponse](t, w)
	ev := waitEvent(t, ch, nil)
	if ev.ID != res.ID || ev.Type != "custom.deck" || ev.Source != "api" || ev.Data["label"] != "Scene" || ev.Data["button"] != float64(3) {
		t.Errorf("event = %+v, response id %q", ev, res.ID)
	}
}

func TestPostEventReachesAModule(t *testing.T) {
	e := newEnv(t, scripts())
	for range 2 {
		w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"twitch.follow","data":{"user":{"id":"1","username":"a","display_name":"A"}}}`})
		if w.Code != 202 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	waitFor(t, "the counter module to count two follows", func() bool {
		v, _ := e.store.Get("counter", "follows")
		return string(v) == "2"
	})
}

func TestPostEventRefusals(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name, body string
		code       int
		mentions   string
	}{
		{"not JSON", `{"type":`, 400, "JSON"},
		{"empty body", ``, 400, "empty"},
		{"missing type", `{"data":{}}`, 400, "type"},
		{"type with spaces", `{"type":"bad type"}`, 400, "type"},
		{"type is a number", `{"type":5}`, 400, "type"},
		{"engine type", `{"type":"engine.module.loaded","data":{}}`, 400, "engine"},
		{"data is a list", `{"type":"a.b","data":[1,2]}`, 400, "data"},
		{"data is a string", `{"type":"a.b","data":"x"}`, 400, "data"},
		{"unknown field", `{"type":"a.b","nope":1}`, 400, "nope"},
		{"trailing data", `{"type":"a.b"} {}`, 400, "after"},
		{"oversized", `{"type":"a.b","data":{"x":"` + strings.Repeat("a", MaxEventBody) + `"}}`, 413, "larger"},
		{"data null is fine", `{"type":"a.b","data":null}`, 202, ""},
		{"no data is fine", `{"type":"a.b"}`, 202, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/events", body: tc.body})
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.mentions) {
				t.Fatalf("= %d %s, want %d mentioning %q", w.Code, w.Body, tc.code, tc.mentions)
			}
		})
	}
	w := e.do(req{method: "POST", path: "/api/events", body: `{"type":"a.b"}`, header: map[string]string{"Content-Type": "text/plain"}})
	if w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body = %d, want 415", w.Code)
	}
}

func TestChatConsoleGetsTheBotsReply(t *testing.T) {
	e := newEnv(t, scripts())
	msgs := e.collect("twitch.chat.message")
	w := e.do(req{method: "POST", path: "/api/chat", body: ChatRequest{Name: "Tester_1", Message: "!hello", Moderator: true}})
	if w.Code != http.StatusAccepted {
		t.Fatalf("POST /api/chat = %d %s", w.Code, w.Body)
	}
	ev := waitEvent(t, msgs, nil)
	u, _ := ev.Data["user"].(map[string]any)
	if ev.Source != "panel" || u["username"] != "tester_1" || u["display_name"] != "Tester_1" || u["moderator"] != true || u["vip"] != false {
		t.Errorf("chat event = %+v", ev.Data)
	}
	waitFor(t, "the bot's reply in the chat sink", func() bool { return len(e.chat.Recent()) > 0 })
	w = e.do(req{method: "GET", path: "/api/chat"})
	got := decode[[]engine.ChatMessage](t, w)
	if len(got) != 1 || got[0].Text != "Hello Tester_1" || got[0].Module != "hello" {
		t.Errorf("GET /api/chat = %+v", got)
	}
}

func TestChatRefusals(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name string
		body ChatRequest
		code int
	}{
		{"empty message", ChatRequest{Name: "a", Message: "  "}, 400},
		{"bad name", ChatRequest{Name: "a b<script>", Message: "hi"}, 400},
		{"too long", ChatRequest{Name: "a", Message: strings.Repeat("x", 501)}, 400},
		{"default name", ChatRequest{Message: "hi"}, 202},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := e.do(req{method: "POST", path: "/api/chat", body: tc.body}); w.Code != tc.code {
				t.Fatalf("= %d %s, want %d", w.Code, w.Body, tc.code)
			}
		})
	}
}

func TestChatEventHasTheTwitchShape(t *testing.T) {
	ev, err := ChatEvent(ChatRequest{Name: "@Streamer", Message: "hi", Broadcaster: true, Subscriber: true})
	if err != nil {
		t.Fatal(err)
	}
	u := ev.Data["user"].(map[string]any)
	for _, k := range []string{"id", "username", "display_name", "badges", "broadcaster", "moderator", "vip", "subscriber"} {
		if _, ok := u[k]; !ok {
			t.Errorf("user lacks %q", k)
		}
	}
	for _, k := range []string{"user", "message", "message_id", "badges"} {
		if _, ok := ev.Data[k]; !ok {
			t.Errorf("data lacks %q", k)
		}
	}
	if b := ev.Data["badges"].([]any); len(b) != 2 || b[0].(map[string]any)["set_id"] != "broadcaster" {
		t.Errorf("badges = %v", b)
	}
	if u["username"] != "streamer" {
		t.Errorf("username = %v", u["username"])
	}
	for _, spec := range engine.TwitchEventSpecs {
		if spec.Type == ev.Type {
			if err := spec.Check(ev.Data); err != nil {
				t.Errorf("the panel's chat line is off the documented twitch.chat.message: %v", err)
			}
		}
	}
}

const pasted = `module { name = "pasted", description = "From Discord", version = "1.0", author = "someone",
  permissions = { "twitch.chat", "obs.control" } }
command("!pasted", {}, function(event) twitch.reply(event, "pasted works") end)
on_event("deck.button", function(event) end)
`

func TestInstallInspectApproveFlow(t *testing.T) {
	e := newEnv(t, scripts())
	w := e.do(req{method: "POST", path: "/api/scripts/inspect", body: ScriptRequest{Code: pasted}})
	if w.Code != 200 {
		t.Fatalf("inspect = %d %s", w.Code, w.Body)
	}
	ins := decode[InspectResponse](t, w)
	if ins.Module.Name != "pasted" || ins.Exists || len(ins.Permissions) != 2 || ins.Permissions[0].Name != "obs.control" || !strings.Contains(ins.Permissions[0].Description, "OBS") {
		t.Fatalf("inspect = %+v", ins)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "pasted.lua")); err == nil {
		t.Fatal("inspect saved the script")
	}

	w = e.do(req{method: "POST", path: "/api/scripts", body: ScriptRequest{Code: pasted}})
	if w.Code != http.StatusCreated {
		t.Fatalf("install = %d %s", w.Code, w.Body)
	}
	inst := decode[InstallResponse](t, w)
	if inst.Module.Status != engine.StatusAwaitingApproval || !inst.Module.NeedsApproval {
		t.Fatalf("installed module = %+v, want awaiting approval", inst.Module)
	}
	if data, err := os.ReadFile(filepath.Join(e.dir, "pasted.lua")); err != nil || string(data) != pasted {
		t.Fatalf("scripts/pasted.lua = %q, %v", data, err)
	}
	// Not running yet: the command is not answered.
	if cmds := e.reg.Commands(); len(cmds) != 1 {
		t.Fatalf("commands before approval = %+v", cmds)
	}

	w = e.do(req{method: "POST", path: "/api/scripts", body: ScriptRequest{Code: pasted}})
	if w.Code != http.StatusConflict {
		t.Fatalf("second install without replace = %d %s, want 409", w.Code, w.Body)
	}
	ins = decode[InspectResponse](t, e.do(req{method: "POST", path: "/api/scripts/inspect", body: ScriptRequest{Code: pasted}}))
	if !ins.Exists {
		t.Error("inspect of an installed name does not say it exists")
	}

	w = e.do(req{method: "POST", path: "/api/modules/pasted/approve"})
	if w.Code != 200 {
		t.Fatalf("approve = %d %s", w.Code, w.Body)
	}
	if st := decode[ActionResponse](t, w).Module; st.Status != "running" || !st.Enabled {
		t.Fatalf("approved module = %+v", st)
	}
	// A changed permission list needs approval again.
	changed := strings.Replace(pasted, `"obs.control"`, `"obs.control", "store"`, 1)
	w = e.do(req{method: "POST", path: "/api/scripts", body: ScriptRequest{Code: changed, Replace: true}})
	if w.Code != http.StatusCreated || decode[InstallResponse](t, w).Module.Status != engine.StatusAwaitingApproval {
		t.Fatalf("replace = %d %s", w.Code, w.Body)
	}
}

func TestInstallRefusals(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name string
		body any
		code int
	}{
		{"traversal name", ScriptRequest{Code: `module { name = "../evil" }`}, 400},
		{"absolute name", ScriptRequest{Code: `module { name = "/tmp/evil" }`}, 400},
		{"dotted name", ScriptRequest{Code: `module { name = "a.b" }`}, 400},
		{"no name", ScriptRequest{Code: `module { description = "x" }`}, 400},
		{"does not compile", ScriptRequest{Code: `module { name = "x" } this is not lua`}, 422},
		{"empty", ScriptRequest{Code: "  "}, 400},
		{"existing without replace", ScriptRequest{Code: helloScript}, 409},
		{"too large", ScriptRequest{Code: "--" + strings.Repeat("x", engine.MaxModuleBytes)}, 413},
		{"not JSON", "code=1", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/scripts", body: tc.body})
			if w.Code != tc.code {
				t.Fatalf("= %d %s, want %d", w.Code, w.Body, tc.code)
			}
		})
	}
	entries, _ := os.ReadDir(filepath.Dir(e.dir))
	for _, en := range entries {
		if strings.Contains(en.Name(), "evil") {
			t.Errorf("a file escaped the scripts folder: %s", en.Name())
		}
	}
	if _, err := os.Stat("/tmp/evil.lua"); err == nil {
		t.Error("/tmp/evil.lua was written")
	}
}

func TestConfigOverridesAreValidatedAndApplied(t *testing.T) {
	e := newEnv(t, scripts())
	tests := []struct {
		name string
		body any
		code int
	}{
		{"wrong kind", map[string]any{"config": map[string]any{"greeting": 5}}, 400},
		{"unknown key", map[string]any{"config": map[string]any{"nope": 1}}, 400},
		{"not an object", map[string]any{"config": []any{1}}, 400},
		{"missing config", map[string]any{}, 400},
		{"valid", map[string]any{"config": map[string]any{"greeting": "Yo", "shout": true}}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "PUT", path: "/api/modules/hello/config", body: tc.body})
			if w.Code != tc.code {
				t.Fatalf("= %d %s, want %d", w.Code, w.Body, tc.code)
			}
		})
	}
	if w := e.do(req{method: "POST", path: "/api/modules/nope/config", body: map[string]any{"config": map[string]any{}}}); w.Code != 404 {
		t.Errorf("config of unknown module = %d", w.Code)
	}
	st, _ := e.reg.Module("hello")
	if st.ConfigOverrides["greeting"] != "Yo" {
		t.Fatalf("overrides = %v", st.ConfigOverrides)
	}
	e.do(req{method: "POST", path: "/api/chat", body: ChatRequest{Name: "bob", Message: "!hello"}})
	waitFor(t, "the reply with the new config", func() bool {
		r := e.chat.Recent()
		return len(r) > 0 && r[len(r)-1].Text == "YO BOB"
	})
}

func TestReadEndpoints(t *testing.T) {
	e := newEnv(t, scripts())
	e.do(req{method: "POST", path: "/api/events", body: `{"type":"twitch.follow","data":{}}`})
	var stats StatsResponse
	var counter ModuleStats
	waitFor(t, "the follow's handler time in the stats", func() bool {
		stats = decode[StatsResponse](t, e.do(req{method: "GET", path: "/api/stats"}))
		for _, m := range stats.Modules {
			if m.Name == "counter" {
				counter = m
			}
		}
		return counter.HandlerMS > 0
	})
	if stats.Bus.Events == 0 || stats.Bus.PerType["twitch.follow"] != 1 || len(stats.Modules) != 3 || stats.Platforms["obs"] != "connected" {
		t.Errorf("stats = %+v", stats)
	}
	if counter.Invocations == 0 || counter.Status != "running" || counter.Handlers != 1 {
		t.Errorf("counter stats = %+v", counter)
	}
	cmds := decode[[]engine.CommandInfo](t, e.do(req{method: "GET", path: "/api/commands"}))
	if len(cmds) != 1 || cmds[0].Name != "!hello" || cmds[0].Module != "hello" {
		t.Errorf("commands = %+v", cmds)
	}
	st := decode[StatusResponse](t, e.do(req{method: "GET", path: "/api/status"}))
	if st.Platforms["twitch"] != "offline" || st.Totals.Discovered != 3 {
		t.Errorf("status = %+v", st)
	}
	// the bindings' vocabulary without the reserved names, in words
	perms := decode[[]Permission](t, e.do(req{method: "GET", path: "/api/permissions"}))
	offered := e.srv.offeredPermissions()
	if len(perms) != len(offered) || len(perms) == 0 {
		t.Errorf("permissions = %+v, want %v", perms, offered)
	}
	for _, p := range perms {
		if p.Reserved || !p.Known || p.Description == "" || p.Name == "http" {
			t.Errorf("the panel offers %+v", p)
		}
	}
	tpls := decode[[]Template](t, e.do(req{method: "GET", path: "/api/templates"}))
	if len(tpls) != len(Templates()) {
		t.Errorf("templates = %d", len(tpls))
	}
}

func TestMetricsPrometheusText(t *testing.T) {
	e := newEnv(t, scripts())
	e.do(req{method: "POST", path: "/api/events", body: `{"type":"custom.x"}`})
	w := e.do(req{method: "GET", path: "/metrics"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{
		"# TYPE starstreamer_events_total counter",
		`starstreamer_events_by_type_total{type="custom.x"} 1`,
		`starstreamer_module_up{module="hello"} 1`,
		`starstreamer_module_up{module="broken"} 0`,
		`starstreamer_module_reloads_total{module="broken",result="failed"} 1`,
		`starstreamer_platform_connected{platform="obs",state="connected"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if f := strings.Fields(line); len(f) != 2 {
			t.Errorf("malformed sample line %q", line)
		}
	}
}

func TestTemplatesHaveTheDesignShapes(t *testing.T) {
	need := map[string][]string{
		"twitch.chat.message":     {"user", "message", "message_id", "badges"},
		"twitch.follow":           {"user", "followed_at"},
		"twitch.subscription":     {"user", "tier", "is_gift"},
		"twitch.gift":             {"user", "tier", "total", "cumulative"},
		"twitch.raid":             {"from_broadcaster", "viewers"},
		"twitch.cheer":            {"user", "bits", "message"},
		"twitch.channel_points":   {"user", "reward", "input", "redemption_id"},
		"twitch.hype_train.begin": {"level", "total", "goal", "top_contributions"},
		"twitch.ban":              {"user", "moderator", "reason", "ends_at", "seconds"},
		"twitch.channel.update":   {"title", "game"},
		"twitch.poll.begin":       {"id", "title", "choices"},
		"twitch.shoutout.receive": {"from_broadcaster", "viewer_count"},
		"twitch.ad_break.begin":   {"duration_seconds", "is_automatic"},
		"obs.scene_changed":       {"scene_name", "previous_scene"},
		"obs.stream_started":      {"output_active", "output_state"},
		"discord.message":         {"author", "channel", "content", "message_id", "guild"},
	}
	seen := map[string]bool{}
	for _, tp := range Templates() {
		if err := engine.ValidateType(tp.Type); err != nil {
			t.Errorf("%s: %v", tp.Name, err)
		}
		for _, k := range need[tp.Type] {
			if _, ok := tp.Data[k]; !ok {
				t.Errorf("template %s (%s) lacks %q", tp.Name, tp.Type, k)
			}
		}
		for _, spec := range slices.Concat(engine.TwitchEventSpecs, engine.OBSEventSpecs, engine.DiscordEventSpecs) {
			if spec.Type == tp.Type {
				if err := spec.Check(tp.Data); err != nil {
					t.Errorf("template %s is off the documented event: %v", tp.Name, err)
				}
			}
		}
		seen[tp.Type] = true
	}
	for typ := range need {
		if !seen[typ] {
			t.Errorf("no template for %s", typ)
		}
	}
}

func TestTokenIsCreatedOnceAndKept(t *testing.T) {
	e := newEnv(t, nil)
	a, err := Token(e.store)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Token(e.store)
	if a != b || len(a) != 64 || a != e.token {
		t.Errorf("tokens %q %q", a, b)
	}
}

// An event no module listens to is still accepted (202), and both the
// answer and the live feed say it is unhandled; a handled one is not marked.
func TestUnhandledEventsAreAcceptedAndMarked(t *testing.T) {
	e := newEnv(t, scripts())
	addr := e.serve(t)
	conn := dialWS(t, addr, "/api/ws?pattern=deck.*,twitch.chat.*", e.token)
	chat := `{"type":"twitch.chat.message","data":{"user":{"id":"1","username":"me","display_name":"Me"},"message":"hi"}}`
	for _, tc := range []struct {
		body      string
		typ       string
		unhandled bool
	}{
		{`{"type":"deck.button","data":{"name":"brb"}}`, "deck.button", true},
		{chat, "twitch.chat.message", false},
	} {
		hr, _ := http.NewRequest("POST", "http://"+addr+"/api/events", strings.NewReader(tc.body))
		hr.Header.Set("Authorization", "Bearer "+e.token)
		hr.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		var got EventResponse
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || err != nil {
			t.Fatalf("%s: %d %v", tc.typ, resp.StatusCode, err)
		}
		if got.Unhandled != tc.unhandled {
			t.Errorf("%s: response unhandled = %v, want %v", tc.typ, got.Unhandled, tc.unhandled)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			_ = conn.SetReadDeadline(deadline)
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("%s: not on the feed: %v", tc.typ, err)
			}
			var m WSMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if m.Kind == "event" && m.Event.Type == tc.typ {
				if m.Unhandled != tc.unhandled {
					t.Errorf("%s: feed unhandled = %v, want %v", tc.typ, m.Unhandled, tc.unhandled)
				}
				break
			}
		}
	}
}
