package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeOBS speaks just enough obs-websocket v5 (no authentication) to test
// what a real OBS cannot be made to do on demand: flood events, leave a
// request unanswered, drop connections mid-stream.
type fakeOBS struct {
	addr    string
	ignore  string // request type never answered
	flood   bool   // send scene change events without pause
	dropAt  int64  // close the socket abruptly after this many events (0: never)
	conns   atomic.Int64
	stopped chan struct{}
}

func startFakeOBS(t *testing.T, f *fakeOBS) *fakeOBS {
	t.Helper()
	f.stopped = make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.stopped)
		srv.CloseClientConnections()
		srv.Close()
	})
	f.addr = strings.TrimPrefix(srv.URL, "http://")
	return f
}

func (f *fakeOBS) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	f.conns.Add(1)
	var wmu sync.Mutex
	send := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteJSON(v)
	}
	if send(map[string]any{"op": 0, "d": map[string]any{"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}}) != nil {
		return
	}
	var identify struct{ Op int }
	if conn.ReadJSON(&identify) != nil || identify.Op != 1 {
		return
	}
	if send(map[string]any{"op": 2, "d": map[string]any{"negotiatedRpcVersion": 1}}) != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	if f.flood {
		go func() {
			for n := int64(1); ; n++ {
				select {
				case <-done:
					return
				case <-f.stopped:
					return
				default:
				}
				ev := map[string]any{"op": 5, "d": map[string]any{"eventType": "CurrentProgramSceneChanged",
					"eventIntent": 4, "eventData": map[string]any{"sceneName": fmt.Sprint("S", n)}}}
				if send(ev) != nil {
					return
				}
				if n == f.dropAt {
					conn.UnderlyingConn().Close() // abrupt: no close frame
					return
				}
			}
		}()
	}
	for {
		var req struct {
			Op int
			D  struct {
				RequestType string `json:"requestType"`
				RequestID   string `json:"requestId"`
			}
		}
		if err := conn.ReadJSON(&req); err != nil {
			return
		}
		if req.Op != 6 || req.D.RequestType == f.ignore {
			continue
		}
		data := map[string]any{}
		if req.D.RequestType == "GetCurrentProgramScene" {
			data["currentProgramSceneName"] = "S0"
		}
		resp := map[string]any{"op": 7, "d": map[string]any{
			"requestType": req.D.RequestType, "requestId": req.D.RequestID,
			"requestStatus": map[string]any{"result": true, "code": 100}, "responseData": data}}
		if send(resp) != nil {
			return
		}
	}
}

// TestShutdownDuringEventFloodIsSafe stops clients while events pour in,
// and has the server drop connections mid-stream: goobs v1.6.0 panics with
// "send on closed channel" if it is torn down at the wrong moment.
func TestShutdownDuringEventFloodIsSafe(t *testing.T) {
	f := startFakeOBS(t, &fakeOBS{flood: true})
	for range 20 {
		var connected atomic.Bool
		ready := make(chan struct{})
		c := New(Config{Addr: f.addr, Logger: testLogger(t)}, func(typ string, _ map[string]any) {
			if typ == "obs.connected" && connected.CompareAndSwap(false, true) {
				close(ready)
			}
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		select {
		case <-ready:
		case <-time.After(waitLimit):
			t.Fatal("never connected")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerDroppingTheSocketMidStreamReconnects(t *testing.T) {
	f := startFakeOBS(t, &fakeOBS{flood: true, dropAt: 500})
	rec := newRecorder()
	runClient(t, Config{Addr: f.addr, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, rec.emit)
	for range 5 { // five drops, five reconnections
		i, _ := rec.waitFor(t, 0, "obs.disconnected", map[string]any{"reason": "OBS closed the connection"})
		rec.waitFor(t, i, "obs.connected", map[string]any{"reason": "reconnected"})
		rec.mu.Lock()
		rec.events = rec.events[i+1:] // look for the next drop
		rec.mu.Unlock()
	}
}

func TestUnansweredRequestTimesOutAndReconnects(t *testing.T) {
	f := startFakeOBS(t, &fakeOBS{ignore: "GetStats"})
	rec := newRecorder()
	c := runClient(t, Config{Addr: f.addr, RequestTimeout: 200 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, rec.emit)
	rec.waitFor(t, 0, "obs.connected", nil)

	_, err := c.Call(context.Background(), "GetStats", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unanswered request: error = %v, want DeadlineExceeded", err)
	}
	// goobs would hand the late answer to the next request: the client
	// starts a new connection instead.
	i, data := rec.waitFor(t, 0, "obs.disconnected", nil)
	if r, _ := data["reason"].(string); !strings.Contains(r, "GetStats") {
		t.Errorf("reason = %q, want it to name the request", r)
	}
	rec.waitFor(t, i, "obs.connected", map[string]any{"reason": "reconnected"})
	if got, err := c.CurrentScene(context.Background()); err != nil || got != "S0" {
		t.Fatalf("after reconnecting: CurrentScene = %q, %v", got, err)
	}
	if n := f.conns.Load(); n != 2 {
		t.Errorf("connections = %d, want 2", n)
	}
}

func TestCancelledRequestReturnsAtOnce(t *testing.T) {
	f := startFakeOBS(t, &fakeOBS{ignore: "GetStats"})
	rec := newRecorder()
	c := runClient(t, Config{Addr: f.addr, RequestTimeout: waitLimit}, rec.emit)
	rec.waitFor(t, 0, "obs.connected", nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Call(ctx, "GetStats", nil); errc <- err }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestFakeOBSEventsAreMappedInOrder(t *testing.T) {
	// The flood is far faster than a real OBS (no frame pacing): 5,000
	// events must come out in order, each naming the one before.
	f := startFakeOBS(t, &fakeOBS{flood: true})
	const n = 5000
	got := make(chan map[string]any, n)
	var count atomic.Int64
	runClient(t, Config{Addr: f.addr}, func(typ string, data map[string]any) {
		if typ == "obs.scene_changed" && count.Add(1) <= n {
			got <- data
		}
	})
	prev := "S0"
	for i := 1; i <= n; i++ {
		var d map[string]any
		select {
		case d = <-got:
		case <-time.After(waitLimit):
			t.Fatalf("only %d events", i-1)
		}
		want := fmt.Sprint("S", i)
		if d["scene_name"] != want || d["previous_scene"] != prev {
			b, _ := json.Marshal(d)
			t.Fatalf("event %d = %s, want scene_name %s previous_scene %s", i, b, want, prev)
		}
		prev = want
	}
}

// BenchmarkEventThroughput pushes a flood of scene change events from the
// fake server through goobs, the drain, the queue and the mapper to Emit.
func BenchmarkEventThroughput(b *testing.B) {
	f := &fakeOBS{flood: true}
	f.stopped = make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	defer srv.Close()
	defer close(f.stopped)
	f.addr = strings.TrimPrefix(srv.URL, "http://")

	var count atomic.Int64
	done := make(chan struct{})
	target := int64(b.N)
	c := New(Config{Addr: f.addr}, func(typ string, _ map[string]any) {
		if typ == "obs.scene_changed" && count.Add(1) == target {
			close(done)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	go func() { _ = c.Run(ctx) }()
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
