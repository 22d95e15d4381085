package obs

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// TestReconnectsAcrossOBSRestarts follows one client through an OBS that is
// absent at first, starts, is killed, and starts again.
func TestReconnectsAcrossOBSRestarts(t *testing.T) {
	o := obstest.New(t) // not started yet
	rec := newRecorder()
	c := runClient(t, Config{
		Addr: o.Addr, Password: o.Password,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		// A request that hangs would show up as a timeout error, not as a
		// slow test that passes.
		RequestTimeout: waitLimit,
	}, rec.emit)
	ctx := ctxT(t)

	// OBS absent: the client retries, requests fail at once.
	if _, err := c.CurrentScene(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("before OBS runs: error = %v, want ErrNotConnected", err)
	}
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 0, "obs.connected", map[string]any{"reason": "connected"})
	if !c.Connected() {
		t.Fatal("Connected() = false after obs.connected")
	}
	switchAndSee(t, c, rec, obstest.SceneB)

	// OBS killed while requests are being made: they end with
	// ErrNotConnected, never with a timeout.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.CurrentScene(ctx); err != nil && !errors.Is(err, ErrNotConnected) {
				select {
				case errs <- err:
				default:
				}
				return
			}
		}
	}()
	m := rec.mark()
	if err := o.Kill(); err != nil {
		t.Fatal(err)
	}
	_, data := rec.waitFor(t, m, "obs.disconnected", nil)
	if r, _ := data["reason"].(string); r == "" || r == "shutdown" {
		t.Errorf("disconnect reason = %q", r)
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("request during the kill: %v, want nil or ErrNotConnected", err)
	default:
	}
	if c.Connected() {
		t.Fatal("Connected() = true after obs.disconnected")
	}
	for _, call := range []func() error{
		func() error { return c.SetScene(ctx, obstest.SceneA) },
		func() error { return c.SetSourceVisible(ctx, obstest.SceneA, obstest.Red, false) },
		func() error { _, err := c.StopRecord(ctx); return err },
	} {
		if err := call(); !errors.Is(err, ErrNotConnected) {
			t.Fatalf("while OBS is down: error = %v, want ErrNotConnected", err)
		}
	}

	// OBS back: the client reconnects by itself and works.
	m = rec.mark()
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.connected", map[string]any{"reason": "reconnected"})
	switchAndSee(t, c, rec, obstest.SceneB)
	m = rec.mark()
	if err := c.SetSourceVisible(ctx, obstest.SceneB, obstest.Blue, false); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.source_visibility", map[string]any{"source_name": obstest.Blue, "visible": false})

	// Every connection is announced once, every loss once, in turn.
	var seq []string
	for _, e := range rec.since(0) {
		if e.typ == "obs.connected" || e.typ == "obs.disconnected" {
			seq = append(seq, e.typ)
		}
	}
	if want := []string{"obs.connected", "obs.disconnected", "obs.connected"}; !equal(seq, want) {
		t.Fatalf("connection events = %v, want %v", seq, want)
	}
}

// switchAndSee switches to scene (from the other one) and waits for the event.
func switchAndSee(t *testing.T, c *Client, rec *recorder, scene string) {
	t.Helper()
	m := rec.mark()
	if err := c.SetScene(ctxT(t), scene); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, m, "obs.scene_changed", map[string]any{"scene_name": scene})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWrongPasswordIsRetriedAndReported(t *testing.T) {
	o := shared.Get(t)
	rec := newRecorder()
	logs := &countingHandler{match: "OBS refused the password", seen: make(chan struct{}, 100)}
	c := runClient(t, Config{Addr: o.Addr, Password: "wrong", Logger: slog.New(logs),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, rec.emit)
	for range 3 { // three refused attempts
		select {
		case <-logs.seen:
		case <-time.After(waitLimit):
			t.Fatal("no warning about the refused password")
		}
	}
	if c.Connected() {
		t.Fatal("connected with a wrong password")
	}
	if _, err := c.CurrentScene(context.Background()); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("error = %v, want ErrNotConnected", err)
	}
	if evs := rec.since(0); len(evs) != 0 {
		t.Fatalf("events without a connection: %v", describe(evs))
	}
}

// countingHandler signals seen for every warning whose message contains match.
type countingHandler struct {
	match string
	seen  chan struct{}
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && strings.Contains(r.Message, h.match) {
		select {
		case h.seen <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func TestRunEndsWithDisconnectedAfterConnected(t *testing.T) {
	o := shared.Get(t)
	rec := newRecorder()
	c := New(Config{Addr: o.Addr, Password: o.Password, Logger: testLogger(t)}, rec.emit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	rec.waitFor(t, 0, "obs.connected", nil)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	// Run returned: everything was emitted already.
	evs := rec.since(0)
	if last := evs[len(evs)-1]; last.typ != "obs.disconnected" || last.data["reason"] != "shutdown" {
		t.Fatalf("last event = %v %v, want obs.disconnected{reason: shutdown}", last.typ, last.data)
	}
	if c.Connected() {
		t.Fatal("Connected() after Run returned")
	}
	// The client can run again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- c.Run(ctx2) }()
	rec.waitFor(t, len(evs), "obs.connected", nil)
	cancel2()
	if err := <-done; err != nil {
		t.Fatalf("second Run = %v", err)
	}
}
