package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/obs/obstest"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// connModule acts on events posted through the API, so the test can drive
// OBS and Twitch from Lua with neither connected at start.
const connModule = `module { name = "connbot", permissions = { "twitch.chat", "obs.control" } }
on_event("deck.scene", function(e)
  local ok, err = obs.set_scene(e.data.name)
  log.info("set_scene " .. tostring(ok) .. " " .. tostring(err))
  store_result = "set_scene " .. tostring(ok) .. " " .. tostring(err)
end)
on_event("deck.say", function(e)
  local ok, err = twitch.send_message(e.data.text)
  if not ok then log.warn("send_message failed: " .. tostring(err)) end
end)
on_event("obs.scene_changed", function(e)
  twitch.send_message("scene_changed " .. tostring(e.data.scene_name))
end)
`

// connEngine is the starstreamer command started with no Twitch or OBS
// flags (only the Twitch endpoints point at the fake, with the
// --twitch-*-url flags), as a streamer starts it before connecting anything
// from the panel.
type connEngine struct {
	t     *testing.T
	base  string
	token string
	log   *lockedLog
}

func startConnEngine(t *testing.T, tw *twitchtest.Server) *connEngine {
	t.Helper()
	dir := t.TempDir()
	sdir := writeScripts(t, dir, map[string]string{"connbot.lua": connModule})
	data := filepath.Join(dir, "data", "ss.db")
	addr := freeAddr(t)
	logs := &lockedLog{}
	p := startProcess(t, logs, "--scripts", sdir, "--data", data, "--addr", addr, "--log-level", "debug",
		"--twitch-auth-url", tw.AuthURL(), "--twitch-api-url", tw.HelixURL(),
		"--twitch-eventsub-url", tw.EventSubURL(), "--twitch-subscriptions-url", tw.SubscriptionsURL())
	t.Cleanup(func() {
		p.stop(t, obsWait)
		if t.Failed() {
			t.Logf("engine log:\n%s", logs.String())
		}
	})
	e := &connEngine{t: t, base: "http://" + addr, log: logs, token: readToken(t, data, obsWait)}
	deadline := time.Now().Add(obsWait)
	for {
		var mods struct {
			Modules []struct{ Name, Status string }
		}
		if e.call("GET", "/api/modules", "", &mods) == http.StatusOK && len(mods.Modules) == 1 && mods.Modules[0].Status == "running" {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine did not start with its module running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// secretsE2E are what no API answer or log line may show.
var secretsE2E = []string{obstest.Password, "e2e-access-token", "e2e-refresh-token", "e2e-wrong-pass"}

// call makes an API call with the token and decodes the answer into v; it
// fails the test when the answer shows a secret.
func (e *connEngine) call(method, path, body string, v any) int {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, s := range secretsE2E {
		if strings.Contains(string(data), s) {
			e.t.Fatalf("%s %s shows a secret: %s", method, path, data)
		}
	}
	if v != nil {
		_ = json.Unmarshal(data, v)
	}
	return resp.StatusCode
}

// conns is GET /api/connections, as a generic map.
func (e *connEngine) conns() (tw, ob map[string]any) {
	e.t.Helper()
	var st struct{ Twitch, OBS map[string]any }
	if code := e.call("GET", "/api/connections", "", &st); code != http.StatusOK {
		e.t.Fatalf("GET /api/connections: %d", code)
	}
	return st.Twitch, st.OBS
}

func (e *connEngine) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(obsWait)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loads counts the module's loads and reloads so far.
func (e *connEngine) loads() uint64 {
	e.t.Helper()
	var mod struct {
		Module struct {
			Status           string
			ReloadsSucceeded uint64 `json:"reloads_succeeded"`
			ReloadsFailed    uint64 `json:"reloads_failed"`
		}
	}
	if code := e.call("GET", "/api/modules/connbot", "", &mod); code != http.StatusOK || mod.Module.Status != "running" {
		e.t.Fatalf("module connbot: %d %+v", code, mod.Module)
	}
	return mod.Module.ReloadsSucceeded + mod.Module.ReloadsFailed
}

func (e *connEngine) logHas(s string) bool { return strings.Contains(e.log.String(), s) }

// TestConnectFromTheAPIWithoutARestart starts an engine with no Twitch or OBS
// flags, connects OBS (a wrong password first) and logs in to Twitch through
// the API, and checks the running module's obs.set_scene and
// twitch.send_message reach them — the module never restarted — and that no
// secret shows in an answer or a log line.
func TestConnectFromTheAPIWithoutARestart(t *testing.T) {
	o := obsShared.Get(t)
	tw := twitchtest.New(twitchtest.Options{DeviceInterval: 1})
	t.Cleanup(tw.Close)
	tw.AddUser(twitchtest.User{ID: "1001", Login: "streamer", DisplayName: "Streamer"})
	tw.SetDeviceFlow(twitchtest.DeviceFlow{Manual: true, Token: twitchtest.Token{Access: "e2e-access-token", Refresh: "e2e-refresh-token",
		UserID: "1001", Login: "streamer", Scopes: twitch.Scopes}})
	e := startConnEngine(t, tw)

	before := e.loads()
	twSt, obSt := e.conns()
	// OBS is tried at its default address (127.0.0.1:4455), where no OBS
	// of the tests runs.
	if twSt["state"] != "not_configured" || obSt["state"] == "connected" || obSt["addr"] != "127.0.0.1:4455" {
		t.Fatalf("fresh engine: twitch %v, obs %v", twSt, obSt)
	}
	// Not connected: the module's call fails fast with a clear error.
	e.call("POST", "/api/events", `{"type":"deck.scene","data":{"name":"Scene B"}}`, nil)
	e.waitFor("set_scene to fail while OBS is not connected", func() bool { return e.logHas("set_scene nil") && e.logHas("not connected") })

	// A wrong password: a clear error, in the answer and in GET.
	var bad struct {
		Error string
		OBS   map[string]any
	}
	if code := e.call("PUT", "/api/connections/obs", `{"addr":"`+o.Addr+`","password":"e2e-wrong-pass"}`, &bad); code != http.StatusBadGateway || !strings.Contains(bad.Error, "wrong password") {
		t.Fatalf("wrong password: %d %+v", code, bad)
	}
	if _, obSt = e.conns(); obSt["state"] != "error" || !strings.Contains(obSt["last_error"].(string), "wrong password") {
		t.Fatalf("GET after a wrong password: %v", obSt)
	}

	start := time.Now()
	code := e.call("PUT", "/api/connections/obs", `{"addr":"`+o.Addr+`","password":"`+o.Password+`"}`, &obSt)
	took := time.Since(start)
	if code != http.StatusOK || obSt["state"] != "connected" {
		t.Fatalf("right password: %d %v", code, obSt)
	}
	t.Logf("PUT /api/connections/obs -> connected in %v", took.Round(time.Millisecond))
	e.call("POST", "/api/events", `{"type":"deck.scene","data":{"name":"Scene B"}}`, nil)
	e.waitFor("set_scene to work on the new connection", func() bool { return e.logHas("set_scene true nil") })

	// Twitch: client id and channel, then the device-code login.
	if code := e.call("PUT", "/api/connections/twitch", `{"client_id":"e2eclient","channel":"streamer"}`, &twSt); code != http.StatusOK || twSt["state"] != "offline" {
		t.Fatalf("PUT twitch: %d %v", code, twSt)
	}
	var lc map[string]any
	if code := e.call("POST", "/api/connections/twitch/login", "", &lc); code != http.StatusOK || lc["user_code"] != "ABCDEFGH" || lc["verification_uri"] == nil || lc["expires_in"] == nil {
		t.Fatalf("POST login: %d %v", code, lc)
	}
	obsSince := obSt["since"]
	tw.ApproveDevice()
	e.waitFor("twitch connected", func() bool { twSt, _ = e.conns(); return twSt["state"] == "connected" })
	// Connecting Twitch left the OBS connection alone: the same one, still up.
	if _, ob := e.conns(); ob["state"] != "connected" || ob["since"] != obsSince {
		t.Errorf("OBS after the Twitch login: %v (connected since %v before)", ob, obsSince)
	}
	e.call("POST", "/api/events", `{"type":"deck.say","data":{"text":"hello from the panel login"}}`, nil)
	if !tw.WaitFor(obsWait, func() bool {
		for _, m := range tw.ChatMessages() {
			if m.Message == "hello from the panel login" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the module's send_message never reached Helix; chat %v", tw.ChatMessages())
	}

	if after := e.loads(); after != before {
		t.Errorf("the module was (re)loaded %d times while connecting, want 0", after-before)
	}
	for _, s := range secretsE2E {
		if e.logHas(s) {
			t.Errorf("a secret (%q) is in the log", s)
		}
	}
}
