package obs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/obs/obstest"
)

// shared is the OBS the tests of this package share; tests that kill OBS
// start their own.
var shared obstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	if err := shared.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the shared OBS:", err)
	}
	os.Exit(code)
}

// waitLimit bounds every wait for OBS; it only decides when a broken test
// gives up, never whether a working one passes.
const waitLimit = 30 * time.Second

type event struct {
	typ  string
	data map[string]any
}

// recorder collects emitted events.
type recorder struct {
	mu     sync.Mutex
	events []event
	wake   chan struct{}
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 1)} }

func (r *recorder) emit(typ string, data map[string]any) {
	r.mu.Lock()
	r.events = append(r.events, event{typ, data})
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// since returns the events recorded from index i on.
func (r *recorder) since(i int) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events[i:]...)
}

// waitFor waits for an event of type typ, recorded at index from or later,
// whose data has every key/value of want; it returns its index and data.
func (r *recorder) waitFor(t testing.TB, from int, typ string, want map[string]any) (int, map[string]any) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		for i, e := range r.since(from) {
			if e.typ == typ && hasAll(e.data, want) {
				return from + i, e.data
			}
		}
		select {
		case <-r.wake:
		case <-deadline.C:
			t.Fatalf("no %s event with %v within %v; got %s", typ, want, waitLimit, describe(r.since(from)))
		}
	}
}

func hasAll(data, want map[string]any) bool {
	for k, v := range want {
		if data[k] != v {
			return false
		}
	}
	return true
}

func describe(evs []event) string {
	var b strings.Builder
	for i, e := range evs {
		if i == 20 {
			fmt.Fprintf(&b, " ... (%d more)", len(evs)-20)
			break
		}
		fmt.Fprintf(&b, "\n  %s %v", e.typ, e.data)
	}
	return b.String()
}

// testLogger logs through t when -v is given.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// runClient runs a Client for o (or cfg as given) until the test ends.
func runClient(t testing.TB, cfg Config, emit Emit) *Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	c := New(cfg, emit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return c
}

// connectShared runs a Client against the shared OBS and waits until it is
// connected.
func connectShared(t testing.TB) (*Client, *recorder, *obstest.OBS) {
	t.Helper()
	o := shared.Get(t)
	rec := newRecorder()
	c := runClient(t, Config{Addr: o.Addr, Password: o.Password}, rec.emit)
	rec.waitFor(t, 0, "obs.connected", nil)
	return c, rec, o
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}
