package obs

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// witness is an independent obs-websocket v5 client written on gorilla
// directly: it reads every program scene change from the socket, with no
// buffer that could drop one, to say what OBS really sent.
type witness struct {
	mu     sync.Mutex
	scenes []string
	err    error
	conn   *websocket.Conn
}

func newWitness(t *testing.T, o *obstest.OBS) *witness {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+o.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var hello struct {
		D struct {
			RPCVersion     int `json:"rpcVersion"`
			Authentication struct {
				Challenge, Salt string
			} `json:"authentication"`
		} `json:"d"`
	}
	if err := conn.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(o.Password + hello.D.Authentication.Salt))
	sum = sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(sum[:]) + hello.D.Authentication.Challenge))
	identify := map[string]any{"op": 1, "d": map[string]any{
		"rpcVersion":         1,
		"authentication":     base64.StdEncoding.EncodeToString(sum[:]),
		"eventSubscriptions": 1 << 2, // Scenes
	}}
	if err := conn.WriteJSON(identify); err != nil {
		t.Fatal(err)
	}
	var identified struct{ Op int }
	if err := conn.ReadJSON(&identified); err != nil || identified.Op != 2 {
		t.Fatalf("witness not identified: op %d, %v", identified.Op, err)
	}
	w := &witness{conn: conn}
	go w.read()
	return w
}

func (w *witness) read() {
	for {
		var msg struct {
			Op int
			D  struct {
				EventType string          `json:"eventType"`
				EventData json.RawMessage `json:"eventData"`
			}
		}
		if err := w.conn.ReadJSON(&msg); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		if msg.Op != 5 || msg.D.EventType != "CurrentProgramSceneChanged" {
			continue
		}
		var data struct{ SceneName string }
		_ = json.Unmarshal(msg.D.EventData, &data)
		w.mu.Lock()
		w.scenes = append(w.scenes, data.SceneName)
		w.mu.Unlock()
	}
}

func (w *witness) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.scenes...)
}

// TestBurstOfSceneSwitchesLosesNothing switches scenes at least 1,000 times
// as fast as OBS answers, while Emit is blocked, so that every resulting
// event piles up behind it. OBS emits CurrentProgramSceneChanged once per
// completed transition, at most once per rendered frame, so a burst yields
// fewer events than switches; the test checks that the client emits exactly
// the changes an independent raw-socket witness saw, and that there were far
// more of them than goobs' own 100-event channel holds.
func TestBurstOfSceneSwitchesLosesNothing(t *testing.T) {
	const (
		minSwitches = 1000
		maxSwitches = 5000
		minEvents   = 150 // more than goobs' channel (100) can hold
	)
	o := shared.Get(t)
	rec := newRecorder()
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	emit := func(typ string, data map[string]any) {
		if typ == "obs.scene_changed" {
			<-release
		}
		rec.emit(typ, data)
	}
	c := runClient(t, Config{Addr: o.Addr, Password: o.Password}, emit)
	// Cleanups run last-in first-out: release the held emitter before
	// runClient's cleanup waits for Run, or a failed test never ends.
	t.Cleanup(unblock)
	rec.waitFor(t, 0, "obs.connected", nil)
	ctx := ctxT(t)

	// A scene of its own marks the end of the burst: once it is announced,
	// every earlier change has been too.
	sentinel := fmt.Sprintf("Burst end %d", time.Now().UnixNano())
	if _, err := c.Call(ctx, "CreateScene", map[string]any{"sceneName": sentinel}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := ctxT(t)
		_ = c.SetScene(ctx, obstest.SceneA)
		if _, err := c.Call(ctx, "RemoveScene", map[string]any{"sceneName": sentinel}); err != nil {
			t.Errorf("removing %q: %v", sentinel, err)
		}
	})
	start, err := c.CurrentScene(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := newWitness(t, o)

	other := map[string]string{obstest.SceneA: obstest.SceneB, obstest.SceneB: obstest.SceneA}
	scene := start
	if scene == sentinel {
		t.Fatalf("program scene is already %q", sentinel)
	}
	switches := 0
	t0 := time.Now()
	for switches < minSwitches || (len(w.seen()) < minEvents && switches < maxSwitches) {
		scene = other[scene]
		if scene == "" {
			scene = obstest.SceneA
		}
		if err := c.SetScene(ctx, scene); err != nil {
			t.Fatalf("switch %d: %v", switches, err)
		}
		switches++
	}
	if err := c.SetScene(ctx, sentinel); err != nil {
		t.Fatal(err)
	}
	burst := time.Since(t0)
	unblock()

	_, last := rec.waitFor(t, 0, "obs.scene_changed", map[string]any{"scene_name": sentinel})
	var got []string
	prev := start
	for _, e := range rec.since(0) {
		if e.typ != "obs.scene_changed" {
			continue
		}
		name, _ := e.data["scene_name"].(string)
		if e.data["previous_scene"] != prev {
			t.Fatalf("change %d to %q has previous_scene %v, want %q", len(got), name, e.data["previous_scene"], prev)
		}
		got = append(got, name)
		prev = name
		if name == sentinel {
			break
		}
	}
	_ = last

	// The witness reads on its own connection; wait until it saw the end too.
	deadline := time.Now().Add(waitLimit)
	var want []string
	for {
		want = w.seen()
		if i := slices.Index(want, sentinel); i >= 0 {
			// OBS may announce the last scene twice; compare up to the first.
			want = want[:i+1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the witness never saw the switch to %q", sentinel)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("%d switches in %v: OBS announced %d changes, the client emitted %d", switches, burst, len(want), len(got))
	if len(want) < minEvents {
		t.Fatalf("OBS announced only %d changes for %d switches: too few to overflow goobs' channel", len(want), switches)
	}
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			t.Fatalf("client emitted %d scene changes, OBS announced %d; first difference at %d:\n client %q\n OBS    %q",
				len(got), len(want), i, around(got, i), around(want, i))
		}
	}
}

func around(s []string, i int) []string {
	return s[max(0, i-3):min(len(s), i+3)]
}
