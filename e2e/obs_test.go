package e2e

// End-to-end tests of OBS through the whole engine: a real OBS 29 with
// obs-websocket 5.1 (platform/obs/obstest, headless under Xvfb), the engine
// as `starstreamer run` starts it (--obs-addr, --obs-password), and a Lua
// module that drives OBS through the obs.* bindings and answers in the
// offline chat sink (GET /api/chat), which is what the tests read.
//
// The tests share one OBS (obsShared, stopped in TestMain); each starts its
// own engine. They run one after another and set the state they need first.
// The test that kills OBS starts it again, with its initial scenes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andreykaipov/goobs"
	"github.com/andreykaipov/goobs/api/events"
	"github.com/andreykaipov/goobs/api/events/subscriptions"
	"github.com/andreykaipov/goobs/api/requests/scenes"
	"github.com/gorilla/websocket"

	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// obsShared is the OBS the tests of this package share.
var obsShared obstest.Shared

// obsWait bounds every wait on OBS or the engine: it decides when a broken
// test gives up, never whether a working one passes.
const obsWait = 20 * time.Second

// obsBotModule drives OBS from chat commands and says in chat what it got
// back and which obs.* events it received.
const obsBotModule = `module { name = "obsbot", permissions = { "twitch.chat", "obs.control" } }

local function say(text) twitch.send_message(text) end

command("!current", function(event)
  local name, err = obs.current_scene()
  if name == nil then say("current failed: " .. tostring(err)) return end
  say("current " .. name)
end)

command("!scene", function(event, cmd)
  local ok, err = obs.set_scene(cmd.rest)
  if ok == nil then say("set_scene failed: " .. tostring(err)) return end
  say("set_scene " .. tostring(ok) .. " " .. cmd.rest)
end)

-- !vis "Scene A" Red on|off
command("!vis", function(event, cmd)
  local ok, err = obs.set_source_visible(cmd.args[1], cmd.args[2], cmd.args[3] == "on")
  if ok == nil then say("set_source_visible failed: " .. tostring(err)) return end
  say("set_source_visible " .. tostring(ok))
end)

command("!rec", function(event, cmd)
  if cmd.args[1] == "start" then
    local ok, err = obs.start_record()
    if ok == nil then say("start_record failed: " .. tostring(err)) return end
    say("start_record " .. tostring(ok))
  else
    local path, err = obs.stop_record()
    if path == nil then say("stop_record failed: " .. tostring(err)) return end
    say("stop_record returned " .. path)
  end
end)

command("!version", function(event)
  local v, err = obs.call("GetVersion")
  if v == nil then say("GetVersion failed: " .. tostring(err)) return end
  say("GetVersion " .. type(v) .. " obsVersion=" .. tostring(v.obsVersion) ..
      " obsWebSocketVersion=" .. tostring(v.obsWebSocketVersion))
  local item, err2 = obs.call("GetSceneItemId", { sceneName = "Scene A", sourceName = "Red" })
  if item == nil then say("GetSceneItemId failed: " .. tostring(err2)) return end
  say("GetSceneItemId sceneItemId=" .. tostring(item.sceneItemId))
  local none, err3 = obs.call("NoSuchRequest")
  say("NoSuchRequest -> " .. tostring(none) .. ", " .. tostring(err3))
end)

on_event("obs.scene_changed", function(e)
  say("scene_changed " .. tostring(e.data.previous_scene) .. " -> " .. tostring(e.data.scene_name))
end)

on_event("obs.source_visibility", function(e)
  say(string.format("visibility %s/%s %s (%s)", tostring(e.data.scene_name), tostring(e.data.source_name),
    tostring(e.data.visible), type(e.data.visible)))
end)

on_event({ "obs.recording_started", "obs.recording_stopped" }, function(e)
  say(e.type .. " path=" .. tostring(e.data.output_path))
end)

on_event({ "obs.connected", "obs.disconnected" }, function(e)
  say(e.type .. " reason=" .. tostring(e.data.reason))
end)
`

// startOBSBot runs the engine against o with obsBotModule, and returns once
// the module runs and the engine's OBS client is connected.
func startOBSBot(t *testing.T, o *obstest.OBS) *engineUnderTest {
	t.Helper()
	e := startEngine(t, map[string]string{"obsbot.lua": obsBotModule}, "--obs-addr", o.Addr, "--obs-password", o.Password)
	waitEngineReady(t, e.base, e.apiToken(), "obsbot")
	return e
}

// waitEngineReady waits until module runs and GET /api/status says OBS is
// connected.
func waitEngineReady(tb testing.TB, base, token, module string) {
	tb.Helper()
	deadline := time.Now().Add(obsWait)
	for {
		var mods struct {
			Modules []struct{ Name, Status string }
		}
		var st struct{ Platforms map[string]string }
		running := false
		if getJSON(base+"/api/modules", token, &mods) == nil && getJSON(base+"/api/status", token, &st) == nil {
			for _, m := range mods.Modules {
				running = running || (m.Name == module && m.Status == "running")
			}
			if running && st.Platforms["obs"] == "connected" {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("within %v: module %s running = %v, OBS %q", obsWait, module, running, st.Platforms["obs"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// getJSON GETs an API URL with the token (every /api call needs it).
func getJSON(url, token string, v any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// chatLines returns the texts of GET /api/chat, oldest first.
func (e *engineUnderTest) chatLines() []string {
	e.t.Helper()
	var msgs []struct {
		Text string `json:"text"`
	}
	if err := getJSON(e.base+"/api/chat", e.apiToken(), &msgs); err != nil {
		e.t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// chatMark is the number of chat lines so far: waitChat(mark, ...) only
// looks at the lines said after it.
func (e *engineUnderTest) chatMark() int { return len(e.chatLines()) }

// waitChat waits for a chat line, said after mark, that matches pattern (a
// whole-line regular expression), and returns its submatches.
func (e *engineUnderTest) waitChat(mark int, pattern string) []string {
	e.t.Helper()
	re := regexp.MustCompile("^(?:" + pattern + ")$")
	deadline := time.Now().Add(obsWait)
	for {
		lines := e.chatLines()
		for _, l := range lines[min(mark, len(lines)):] {
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no chat line matching %q within %v; said since the mark:\n  %s",
				pattern, obsWait, strings.Join(lines[min(mark, len(lines)):], "\n  "))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// currentScene asks the module for the program scene.
func (e *engineUnderTest) currentScene() string {
	e.t.Helper()
	m := e.chatMark()
	e.chat("!current")
	return e.waitChat(m, `current (Scene [AB])`)[1]
}

// switchScene makes the module switch from the current scene to the other
// one, and waits for its answer and for the obs.scene_changed it receives.
func (e *engineUnderTest) switchScene() (from, to string) {
	e.t.Helper()
	from = e.currentScene()
	to = otherScene(from)
	m := e.chatMark()
	e.chat("!scene " + to)
	e.waitChat(m, `set_scene true `+regexp.QuoteMeta(to))
	e.waitChat(m, `scene_changed `+regexp.QuoteMeta(from)+` -> `+regexp.QuoteMeta(to))
	if now := e.currentScene(); now != to {
		e.t.Fatalf("after obs.scene_changed to %q, obs.current_scene() = %q", to, now)
	}
	return from, to
}

func otherScene(s string) string {
	if s == obstest.SceneA {
		return obstest.SceneB
	}
	return obstest.SceneA
}

func TestOBSLuaSwitchesSceneOnChatCommandAndSeesSceneChanged(t *testing.T) {
	e := startOBSBot(t, obsShared.Get(t))
	// Both ways, so that previous_scene follows the switches.
	from, to := e.switchScene()
	back, again := e.switchScene()
	if back != to || again != from {
		t.Fatalf("switched %s -> %s, then %s -> %s", from, to, back, again)
	}
}

func TestOBSLuaTogglesSourceAndSeesSourceVisibility(t *testing.T) {
	e := startOBSBot(t, obsShared.Get(t))
	for _, on := range []bool{false, true} { // ends as OBS starts: visible
		word := map[bool]string{false: "off", true: "on"}[on]
		m := e.chatMark()
		e.chat(fmt.Sprintf(`!vis "%s" %s %s`, obstest.SceneA, obstest.Red, word))
		e.waitChat(m, `set_source_visible true`)
		e.waitChat(m, fmt.Sprintf(`visibility %s/%s %v \(boolean\)`, obstest.SceneA, obstest.Red, on))
	}
	// A source that is not there: nil, err.
	m := e.chatMark()
	e.chat(fmt.Sprintf(`!vis "%s" NoSuchSource off`, obstest.SceneA))
	e.waitChat(m, `set_source_visible failed: .+`)
}

func TestOBSLuaRecordsAndSeesBothRecordingEventsWithThePath(t *testing.T) {
	o := obsShared.Get(t)
	e := startOBSBot(t, o)
	m := e.chatMark()
	e.chat("!rec start")
	e.waitChat(m, `start_record true`)
	started := e.waitChat(m, `obs\.recording_started path=(.*)`)[1]

	m = e.chatMark()
	e.chat("!rec stop")
	returned := e.waitChat(m, `stop_record returned (.*)`)[1]
	stopped := e.waitChat(m, `obs\.recording_stopped path=(.*)`)[1]

	if returned == "" || filepath.Dir(returned) != o.RecordingsDir() {
		t.Fatalf("obs.stop_record() = %q, want a file in %s", returned, o.RecordingsDir())
	}
	if started != returned || stopped != returned {
		t.Fatalf("output_path: recording_started %q, recording_stopped %q, obs.stop_record() %q", started, stopped, returned)
	}
	if fi, err := os.Stat(returned); err != nil || fi.Size() == 0 {
		t.Fatalf("recording file: %v (size %d)", err, sizeOf(fi))
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

func TestOBSLuaCallSendsAnyRequest(t *testing.T) {
	e := startOBSBot(t, obsShared.Get(t))
	m := e.chatMark()
	e.chat("!version")
	v := e.waitChat(m, `GetVersion (\S+) obsVersion=(\S+) obsWebSocketVersion=(\S+)`)
	if v[1] != "table" || !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v[2]) || !strings.HasPrefix(v[3], "5.") {
		t.Fatalf("obs.call(\"GetVersion\"): %q", v[0])
	}
	t.Logf("%s", v[0])
	// Fields reach OBS, and a failed request is nil, err.
	e.waitChat(m, `GetSceneItemId sceneItemId=[1-9]\d*`)
	e.waitChat(m, `NoSuchRequest -> nil, .+`)
}

// TestOBSLuaSeesDisconnectFailsFastAndReconnects kills the shared OBS and
// starts it again.
func TestOBSLuaSeesDisconnectFailsFastAndReconnects(t *testing.T) {
	o := obsShared.Get(t)
	e := startOBSBot(t, o)
	e.switchScene() // works before

	m := e.chatMark()
	if err := o.Kill(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() { // leave a running OBS to the tests after this one
		if !restarted {
			if err := o.Start(); err != nil {
				t.Errorf("restarting the shared OBS: %v", err)
			}
		}
	})
	reason := e.waitChat(m, `obs\.disconnected reason=(.+)`)[1]
	t.Logf("obs.disconnected reason=%s", reason)

	// While OBS is gone, every call is nil, err with the client's
	// not-connected error: it did not wait for OBS (that would end in a
	// timeout error instead).
	notConnected := regexp.QuoteMeta(obs.ErrNotConnected.Error())
	t0 := time.Now()
	for _, c := range []struct{ command, answer string }{
		{"!scene " + obstest.SceneB, `set_scene failed: .*` + notConnected + `.*`},
		{"!current", `current failed: .*` + notConnected + `.*`},
		{fmt.Sprintf(`!vis "%s" %s off`, obstest.SceneA, obstest.Red), `set_source_visible failed: .*` + notConnected + `.*`},
		{"!rec stop", `stop_record failed: .*` + notConnected + `.*`},
		{"!version", `GetVersion failed: .*` + notConnected + `.*`},
	} {
		m := e.chatMark()
		e.chat(c.command)
		e.waitChat(m, c.answer)
	}
	t.Logf("5 commands answered with %q in %v (HTTP and chat polling included)", obs.ErrNotConnected, time.Since(t0).Round(time.Millisecond))
	var st struct{ Platforms map[string]string }
	// the connection's state (as on the Connections page): "error", with
	// the reason in GET /api/connections, while the client keeps retrying
	if err := getJSON(e.base+"/api/status", e.apiToken(), &st); err != nil || st.Platforms["obs"] != "error" {
		t.Fatalf("GET /api/status while OBS is down: platforms %v, err %v", st.Platforms, err)
	}

	m = e.chatMark()
	restarted = true
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	e.waitChat(m, `obs\.connected reason=reconnected`)
	t.Logf("reconnected %v after OBS was up again", time.Since(t1).Round(time.Millisecond))
	e.switchScene() // works again
}

// obsBenchModule: a bench.switch event makes it switch scene: it emits
// bench.start just before obs.set_scene and bench.returned when that
// returned. Its obs.scene_changed handler emits bench.done with the seq of
// the last switch it made, the count n of changes it has seen, and the
// bus' timestamp of the obs.scene_changed event. The bus stamps every event
// as it is emitted: those stamps are the benchmark's clock.
const obsBenchModule = `module { name = "obsbench", permissions = { "obs.control" } }
local last_seq, changes = -1, 0
on_event("bench.switch", function(e)
  last_seq = e.data.seq
  emit("bench.start", { seq = e.data.seq })
  local ok, err = obs.set_scene(e.data.scene)
  emit("bench.returned", { seq = e.data.seq, error = err })
end)
on_event("obs.scene_changed", function(e)
  changes = changes + 1
  emit("bench.done", { seq = last_seq, n = changes, scene = e.data.scene_name, changed_at = e.timestamp })
end)
`

// BenchmarkLuaSetSceneToSceneChanged measures a scene switch made from Lua
// and seen in Lua, through the whole engine, against the same switch made
// with a bare goobs client, on the same OBS. Run it with -benchtime=300x or
// more: one switch takes tens of milliseconds of OBS' own time.
//
//   - lua: each iteration fires bench.switch (POST /api/events, not timed).
//     p50/p99: bench.start → bench.done, that is Lua calls obs.set_scene →
//     binding → OBS client → OBS → CurrentProgramSceneChanged → event
//     mapping → bus → module mailbox → Lua handler of obs.scene_changed.
//     set-p50: obs.set_scene's round trip as Lua sees it. handler-p50/p99:
//     the bus taking obs.scene_changed → the Lua handler running.
//   - goobs: SetCurrentProgramScene, then CurrentProgramSceneChanged read
//     from goobs' channel (p50/p99); set-p50: the request's round trip.
//   - event-path: another goobs client switches the scene; a bare goobs
//     client and the engine both listen. added-p50/p99: the Lua handler
//     running - the bare client reading the same event, i.e. what the
//     engine adds on the event path (drain, mapping, bus, mailbox,
//     coroutine), free of OBS' timing.
//
// The added cost of the whole round trip is lua p50 - goobs p50; it is
// about (lua set-p50 - goobs set-p50) + event-path added-p50.
//
// What dominates both p50s is OBS and TCP, not us: OBS announces a switch
// on a rendered frame (30 fps here), and the connection that made the
// request gets the event only when OBS' Nagle algorithm lets it go, that is
// once the client's delayed ACK of the response has left (about 40 ms on
// Linux) — the same for the engine and for bare goobs.
func BenchmarkLuaSetSceneToSceneChanged(b *testing.B) {
	o := obsShared.Get(b)

	b.Run("lua", func(b *testing.B) {
		base, token := startOBSBenchEngine(b, o)
		feed := dialFeed(b, base, token, "bench.start,bench.returned,bench.done")
		scene := currentSceneRaw(b, o)
		total := make([]time.Duration, 0, b.N)
		set := make([]time.Duration, 0, b.N)
		handler := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			scene = otherScene(scene)
			body := fmt.Sprintf(`{"type":"bench.switch","data":{"scene":%q,"seq":%d}}`, scene, i)
			if code, msg := postAPI(base, token, "/api/events", body); code != http.StatusAccepted {
				b.Fatalf("POST /api/events: %d %s", code, msg)
			}
			bySeq := func(e feedEvent) bool { return e.Data["seq"] == float64(i) }
			start := feed.next(b, "bench.start", bySeq)
			returned := feed.next(b, "bench.returned", bySeq)
			if err := returned.Data["error"]; err != nil {
				b.Fatalf("obs.set_scene: %v", err)
			}
			done := feed.next(b, "bench.done", bySeq)
			if s := done.Data["scene"]; s != scene {
				b.Fatalf("obs.scene_changed to %v, want %q", s, scene)
			}
			total = append(total, done.Timestamp.Sub(start.Timestamp))
			set = append(set, returned.Timestamp.Sub(start.Timestamp))
			handler = append(handler, done.Timestamp.Sub(done.changedAt()))
		}
		b.StopTimer()
		reportPercentiles(b, "", total)
		b.ReportMetric(percentileµs(set, 0.5), "set-p50-µs")
		reportPercentiles(b, "handler-", handler)
	})

	b.Run("goobs", func(b *testing.B) {
		gc := rawGoobs(b, o, subscriptions.Scenes)
		arrivals := sceneChanges(gc)
		scene := currentSceneRaw(b, o)
		total := make([]time.Duration, 0, b.N)
		set := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			scene = otherScene(scene)
			t0 := time.Now()
			if _, err := gc.Scenes.SetCurrentProgramScene(scenes.NewSetCurrentProgramSceneParams().WithSceneName(scene)); err != nil {
				b.Fatal(err)
			}
			set = append(set, time.Since(t0))
			total = append(total, waitSceneChange(b, arrivals, scene).Sub(t0))
		}
		b.StopTimer()
		reportPercentiles(b, "", total)
		b.ReportMetric(percentileµs(set, 0.5), "set-p50-µs")
	})

	b.Run("event-path", func(b *testing.B) {
		base, token := startOBSBenchEngine(b, o)
		feed := dialFeed(b, base, token, "bench.done")
		arrivals := sceneChanges(rawGoobs(b, o, subscriptions.Scenes))
		driver := rawGoobs(b, o, subscriptions.None)
		scene := currentSceneRaw(b, o)
		added := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			scene = otherScene(scene)
			if _, err := driver.Scenes.SetCurrentProgramScene(scenes.NewSetCurrentProgramSceneParams().WithSceneName(scene)); err != nil {
				b.Fatal(err)
			}
			seen := waitSceneChange(b, arrivals, scene)
			done := feed.next(b, "bench.done", func(e feedEvent) bool { return e.Data["n"] == float64(i+1) })
			if s := done.Data["scene"]; s != scene {
				b.Fatalf("obs.scene_changed to %v, want %q", s, scene)
			}
			added = append(added, done.Timestamp.Sub(seen))
		}
		b.StopTimer()
		reportPercentiles(b, "added-", added)
	})
}

func reportPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	b.ReportMetric(percentileµs(ds, 0.50), prefix+"p50-µs")
	b.ReportMetric(percentileµs(ds, 0.99), prefix+"p99-µs")
}

func percentileµs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))]) / float64(time.Microsecond)
}

// currentSceneRaw reads OBS' program scene with a bare goobs client.
func currentSceneRaw(b *testing.B, o *obstest.OBS) string {
	b.Helper()
	cur, err := rawGoobs(b, o, subscriptions.None).Scenes.GetCurrentProgramScene()
	if err != nil {
		b.Fatal(err)
	}
	return cur.CurrentProgramSceneName
}

// startOBSBenchEngine runs the engine (as startEngine does, for a
// benchmark) with obsBenchModule against o, and returns the API's base URL
// and token once the module runs and OBS is connected.
func startOBSBenchEngine(b *testing.B, o *obstest.OBS) (base, token string) {
	b.Helper()
	dir := b.TempDir()
	sdir := writeScripts(b, dir, map[string]string{"obsbench.lua": obsBenchModule})
	data := filepath.Join(dir, "data", "ss.db")
	addr := freeAddr(b)
	logs := &lockedLog{}
	p := startProcess(b, logs, "--scripts", sdir, "--data", data, "--addr", addr, "--obs-addr", o.Addr, "--obs-password", o.Password)
	b.Cleanup(func() {
		p.stop(b, obsWait)
		if b.Failed() {
			b.Logf("engine log:\n%s", logs.String())
		}
	})
	base, token = "http://"+addr, readToken(b, data, obsWait)
	waitEngineReady(b, base, token, "obsbench")
	return base, token
}

func postAPI(base, token, path, body string) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

// feedEvent is an event of the live feed (GET /api/ws).
type feedEvent struct {
	Type      string         `json:"type"`
	Data      map[string]any `json:"data"`
	Timestamp time.Time      `json:"timestamp"`
}

// changedAt is data.changed_at (a Lua event.timestamp: float seconds).
func (e feedEvent) changedAt() time.Time {
	s, _ := e.Data["changed_at"].(float64)
	return time.Unix(0, int64(s*1e9))
}

// eventFeed reads the live feed in the background and keeps its events
// until next takes them.
type eventFeed struct {
	mu     sync.Mutex
	events []feedEvent
	wake   chan struct{}
	err    error
	diag   func() string // what to add to a failure
}

func dialFeed(tb testing.TB, base, token, pattern string) *eventFeed {
	tb.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/ws?pattern=" + pattern
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		tb.Fatalf("dialing the live feed: %v", err)
	}
	f := &eventFeed{wake: make(chan struct{}, 1), diag: func() string {
		var mods struct {
			Modules []struct {
				Name      string `json:"name"`
				Errors    int    `json:"errors"`
				LastError string `json:"last_error"`
			}
		}
		if err := getJSON(base+"/api/modules", token, &mods); err != nil {
			return "; GET /api/modules: " + err.Error()
		}
		return fmt.Sprintf("; modules: %+v", mods.Modules)
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var msg struct {
				Kind  string     `json:"kind"`
				Event *feedEvent `json:"event"`
			}
			err := conn.ReadJSON(&msg)
			f.mu.Lock()
			if err != nil {
				f.err = err
			} else if msg.Kind == "event" && msg.Event != nil {
				f.events = append(f.events, *msg.Event)
			}
			f.mu.Unlock()
			select {
			case f.wake <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		conn.Close()
		<-done
	})
	return f
}

// next waits for an event of type typ for which match is true, and takes it
// out of the feed.
func (f *eventFeed) next(tb testing.TB, typ string, match func(feedEvent) bool) feedEvent {
	tb.Helper()
	deadline := time.NewTimer(obsWait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		for i, e := range f.events {
			if e.Type == typ && match(e) {
				f.events = slices.Delete(f.events, i, i+1)
				f.mu.Unlock()
				return e
			}
		}
		err, have := f.err, slices.Clone(f.events)
		f.mu.Unlock()
		if err != nil {
			tb.Fatalf("live feed: %v", err)
		}
		select {
		case <-f.wake:
		case <-deadline.C:
			tb.Fatalf("no %s event within %v; the feed has %v%s", typ, obsWait, have, f.diag())
		}
	}
}

type sceneArrival struct {
	scene string
	at    time.Time
}

// sceneChanges forwards gc's CurrentProgramSceneChanged events, stamped
// when read, until gc is closed.
func sceneChanges(gc *goobs.Client) <-chan sceneArrival {
	out := make(chan sceneArrival, 64)
	go func() {
		for ev := range gc.IncomingEvents {
			if e, ok := ev.(*events.CurrentProgramSceneChanged); ok {
				select {
				case out <- sceneArrival{e.SceneName, time.Now()}:
				default: // nobody waits any more
				}
			}
		}
	}()
	return out
}

// waitSceneChange returns when the change to scene was read.
func waitSceneChange(tb testing.TB, arrivals <-chan sceneArrival, scene string) time.Time {
	tb.Helper()
	deadline := time.NewTimer(obsWait)
	defer deadline.Stop()
	for {
		select {
		case a := <-arrivals:
			if a.scene == scene {
				return a.at
			}
		case <-deadline.C:
			tb.Fatalf("no CurrentProgramSceneChanged to %q within %v", scene, obsWait)
		}
	}
}

// rawGoobs connects a bare goobs client to o, subscribed to the event
// categories subs (subscriptions.*), and closes it when tb ends.
//
// goobs v1.6.0's Disconnect panics ("send on closed channel") if a message
// is being handed on at that moment (see platform/obs doc.go). So the
// socket is closed first and Disconnect waits until goobs' reader has
// failed on it; the benchmark makes no switch by then, so no scene event is
// in flight.
func rawGoobs(tb testing.TB, o *obstest.OBS, subs int) *goobs.Client {
	tb.Helper()
	var mu sync.Mutex
	var conn *closeWatchedConn
	dialer := &websocket.Dialer{
		HandshakeTimeout: obsWait,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c := &closeWatchedConn{Conn: nc, failed: make(chan struct{})}
			mu.Lock()
			conn = c
			mu.Unlock()
			return c, nil
		},
	}
	gc, err := goobs.New(o.Addr, goobs.WithPassword(o.Password), goobs.WithDialer(dialer),
		goobs.WithEventSubscriptions(subs), goobs.WithLogger(discardPrintf{}))
	if err != nil {
		tb.Fatalf("goobs: %v", err)
	}
	tb.Cleanup(func() {
		mu.Lock()
		c := conn
		mu.Unlock()
		c.Close()
		select {
		case <-c.failed:
			_ = gc.Disconnect() // its close frame fails on the closed socket: fine
		case <-time.After(obsWait):
			tb.Error("goobs' reader did not stop; its client is left behind")
		}
	})
	return gc
}

// closeWatchedConn closes failed when a Read fails.
type closeWatchedConn struct {
	net.Conn
	once   sync.Once
	failed chan struct{}
}

func (c *closeWatchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		c.once.Do(func() { close(c.failed) })
	}
	return n, err
}

type discardPrintf struct{}

func (discardPrintf) Printf(string, ...any) {}
