package obs

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/andreykaipov/goobs"
	"github.com/andreykaipov/goobs/api/requests/sceneitems"
	"github.com/andreykaipov/goobs/api/requests/scenes"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// ensureScene makes name the program scene and returns once the client has
// emitted the scene change (or it already was the program scene).
func ensureScene(t *testing.T, c *Client, rec *recorder, name string) {
	t.Helper()
	ctx := ctxT(t)
	cur, err := c.CurrentScene(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur == name {
		return
	}
	m := rec.mark()
	if err := c.SetScene(ctx, name); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.scene_changed", map[string]any{"scene_name": name})
}

func TestSetSceneEmitsSceneChanged(t *testing.T) {
	c, rec, _ := connectShared(t)
	ensureScene(t, c, rec, obstest.SceneA)

	m := rec.mark()
	if err := c.SetScene(ctxT(t), obstest.SceneB); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.scene_changed", map[string]any{"scene_name": obstest.SceneB, "previous_scene": obstest.SceneA})
	if got, err := c.CurrentScene(ctxT(t)); err != nil || got != obstest.SceneB {
		t.Fatalf("CurrentScene = %q, %v; want %q", got, err, obstest.SceneB)
	}
}

func TestSetSceneToAMissingSceneIsNotFound(t *testing.T) {
	c, _, _ := connectShared(t)
	err := c.SetScene(ctxT(t), "No Such Scene")
	if !IsNotFound(err) {
		t.Fatalf("error = %v, want a RequestError with code 600", err)
	}
}

func TestSetSourceVisibleEmitsSourceVisibility(t *testing.T) {
	c, rec, _ := connectShared(t)
	ctx := ctxT(t)
	for _, visible := range []bool{false, true, false, true} {
		m := rec.mark()
		if err := c.SetSourceVisible(ctx, obstest.SceneA, obstest.Red, visible); err != nil {
			t.Fatal(err)
		}
		_, data := rec.waitFor(t, m, "obs.source_visibility", map[string]any{"scene_name": obstest.SceneA, "visible": visible})
		if data["source_name"] != obstest.Red {
			t.Fatalf("source_name = %v, want %q (data %v)", data["source_name"], obstest.Red, data)
		}
	}
	if err := c.SetSourceVisible(ctx, obstest.SceneA, "No Such Source", true); !IsNotFound(err) {
		t.Fatalf("missing source: error = %v, want not found", err)
	}
}

// rawGoobs connects a plain goobs client, as another obs-websocket client
// (a Stream Deck, OBS' own dock) would. It is dialled and closed the way
// Client does it (goobs' own Disconnect can panic while events arrive), but
// without back-pressure: its IncomingEvents behaves as goobs' alone.
func rawGoobs(t testing.TB, o *obstest.OBS) *goobs.Client {
	t.Helper()
	cfg := Config{Addr: o.Addr, Password: o.Password}.withDefaults()
	s, err := dial(context.Background(), &cfg, testLogger(t), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.end("test over")
		s.teardown()
	})
	return s.gc
}

func TestChangesByAnotherClientAreEmitted(t *testing.T) {
	c, rec, o := connectShared(t)
	ensureScene(t, c, rec, obstest.SceneA)
	other := rawGoobs(t, o)

	m := rec.mark()
	if _, err := other.Scenes.SetCurrentProgramScene(scenes.NewSetCurrentProgramSceneParams().WithSceneName(obstest.SceneB)); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.scene_changed", map[string]any{"scene_name": obstest.SceneB, "previous_scene": obstest.SceneA})

	// The item id of Blue in Scene B was never asked for by c: naming it
	// goes through GetSceneItemList.
	id, err := other.SceneItems.GetSceneItemId(sceneitems.NewGetSceneItemIdParams().
		WithSceneName(obstest.SceneB).WithSourceName(obstest.Blue))
	if err != nil {
		t.Fatal(err)
	}
	for _, visible := range []bool{false, true} {
		m = rec.mark()
		if _, err := other.SceneItems.SetSceneItemEnabled(sceneitems.NewSetSceneItemEnabledParams().
			WithSceneName(obstest.SceneB).WithSceneItemId(id.SceneItemId).WithSceneItemEnabled(visible)); err != nil {
			t.Fatal(err)
		}
		rec.waitFor(t, m, "obs.source_visibility", map[string]any{
			"scene_name": obstest.SceneB, "source_name": obstest.Blue, "visible": visible,
			"scene_item_id": int64(id.SceneItemId)})
	}
}

func TestRecordEmitsStartAndStopWithPath(t *testing.T) {
	c, rec, o := connectShared(t)
	ctx := ctxT(t)
	m := rec.mark()
	if err := c.StartRecord(ctx); err != nil {
		t.Fatal(err)
	}
	_, started := rec.waitFor(t, m, "obs.recording_started", map[string]any{"output_active": true})
	path, err := c.StopRecord(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, stopped := rec.waitFor(t, m, "obs.recording_stopped", map[string]any{"output_active": false})

	if path == "" || filepath.Dir(path) != o.RecordingsDir() {
		t.Fatalf("StopRecord path = %q, want a file in %s", path, o.RecordingsDir())
	}
	for name, data := range map[string]map[string]any{"started": started, "stopped": stopped} {
		if data["output_path"] != path {
			t.Errorf("recording_%s output_path = %v, want %q", name, data["output_path"], path)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("recording file: %v", err)
	}
}

func TestStreamThatCannotConnectEmitsStopped(t *testing.T) {
	c, rec, _ := connectShared(t)
	ctx := ctxT(t)
	// Point the stream at a loopback port nobody listens on.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if _, err := c.Call(ctx, "SetStreamServiceSettings", map[string]any{
		"streamServiceType": "rtmp_custom",
		"streamServiceSettings": map[string]any{
			"server": "rtmp://127.0.0.1:" + strconv.Itoa(port) + "/live", "key": "test", "use_auth": false,
		},
	}); err != nil {
		t.Fatal(err)
	}
	m := rec.mark()
	if err := c.StartStream(ctx); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.stream_stopped", map[string]any{"output_active": false})
	for _, e := range rec.since(m) {
		if e.typ == "obs.stream_started" {
			t.Fatalf("stream_started emitted for a stream that never connected: %v", e.data)
		}
	}
	if err := c.StopStream(ctx); err == nil {
		t.Fatal("StopStream of a stopped stream succeeded")
	}
}

func TestCallSendsAnyRequest(t *testing.T) {
	c, _, _ := connectShared(t)
	ctx := ctxT(t)
	v, err := c.Call(ctx, "GetVersion", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v["obsWebSocketVersion"].(string); !strings.HasPrefix(s, "5.") {
		t.Errorf("obsWebSocketVersion = %#v", v["obsWebSocketVersion"])
	}
	if v["rpcVersion"] != int64(1) {
		t.Errorf("rpcVersion = %#v, want int64(1)", v["rpcVersion"])
	}
	checkShapes(t, v)

	list, err := c.Call(ctx, "GetSceneList", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	checkShapes(t, list)
	var names []string
	for _, s := range list["scenes"].([]any) {
		names = append(names, s.(map[string]any)["sceneName"].(string))
	}
	if !slices.Contains(names, obstest.SceneA) || !slices.Contains(names, obstest.SceneB) {
		t.Errorf("scenes = %v, want %q and %q among them", names, obstest.SceneA, obstest.SceneB)
	}

	_, err = c.Call(ctx, "NoSuchRequest", nil)
	var re *RequestError
	if !errors.As(err, &re) || re.Code != 204 || re.RequestType != "NoSuchRequest" {
		t.Fatalf("unknown request: error = %#v", err)
	}
}
