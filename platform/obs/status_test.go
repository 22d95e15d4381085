package obs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// waitStatus waits until cond holds for c's Status, re-checking on each
// OnChange, and returns that Status.
func waitStatus(t *testing.T, c *Client, changed <-chan struct{}, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		st := c.Status()
		if cond(st) {
			return st
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("status never matched; last: %+v", st)
		}
	}
}

func newWatched(t *testing.T, cfg Config) (*Client, <-chan struct{}) {
	t.Helper()
	changed := make(chan struct{}, 1)
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	c := New(cfg, nil)
	c.OnChange(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	return c, changed
}

// TestStatusSaysWhyAConnectionFails connects to a real OBS with the right and
// a wrong password, and to addresses where OBS is not: each failure is told
// apart in Status().LastError.
func TestStatusSaysWhyAConnectionFails(t *testing.T) {
	o := shared.Get(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := free.Addr().String()
	free.Close()
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A WebSocket server that never greets (obs-websocket 4 waits for
		// the client to speak first).
		up := websocket.Upgrader{}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		_, _, _ = conn.ReadMessage()
	}))
	t.Cleanup(silent.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }))
	t.Cleanup(plain.Close)
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }

	tests := []struct {
		name     string
		addr     string
		password string
		want     error // nil: connected
	}{
		{"the right password connects", o.Addr, o.Password, nil},
		{"a wrong password is refused", o.Addr, "not-the-password", ErrAuthFailed},
		{"nothing listening", refused, "", ErrRefused},
		{"a WebSocket server that is not obs-websocket 5", host(silent.URL), "", ErrVersion},
		{"an HTTP server that is not a WebSocket server", host(plain.URL), "", ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, changed := newWatched(t, Config{Addr: tt.addr, Password: tt.password, RequestTimeout: 2 * time.Second})
			done := make(chan error, 1)
			runCtx, cancel := context.WithCancel(ctxT(t))
			go func() { done <- c.Run(runCtx) }()
			defer func() { cancel(); <-done }()
			if tt.want == nil {
				st := waitStatus(t, c, changed, func(s Status) bool { return s.Connected })
				if st.LastError != nil || st.OBSVersion == "" || !strings.HasPrefix(st.WebSocketVersion, "5.") {
					t.Errorf("connected status = %+v, want versions and no error", st)
				}
				return
			}
			st := waitStatus(t, c, changed, func(s Status) bool { return s.LastError != nil })
			if !errors.Is(st.LastError, tt.want) || st.Connected {
				t.Fatalf("status = %+v, want LastError %v", st, tt.want)
			}
			if tt.password != "" && strings.Contains(st.LastError.Error(), tt.password) {
				t.Error("the error shows the password")
			}
		})
	}
}
