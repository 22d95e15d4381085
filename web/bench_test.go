package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// BenchmarkPostEvent measures POST /api/events through the whole middleware
// stack (Host, Origin, token, decode, emit) and reports p99 latency.
func BenchmarkPostEvent(b *testing.B) {
	e := newEnv(b, nil)
	h := e.srv.Handler()
	body := `{"type":"deck.button","data":{"button":3,"label":"Scene","user":{"id":"1","username":"a"}}}`
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/events", strings.NewReader(body))
		r.Host = testAddr
		r.Header.Set("Authorization", "Bearer "+e.token)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, r)
		lat = append(lat, time.Since(t0))
		if w.Code != http.StatusAccepted {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat))/el.Seconds(), "req/s")
}

// BenchmarkGlobMatch measures the feed's per-client filter.
func BenchmarkGlobMatch(b *testing.B) {
	g := engine.CompileGlob("twitch.*.message")
	for b.Loop() {
		g.Match("twitch.chat.message")
	}
}

// BenchmarkGetModules measures GET /api/modules with three real Lua modules.
func BenchmarkGetModules(b *testing.B) {
	e := newEnv(b, scripts())
	h := e.srv.Handler()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/api/modules", nil)
		r.Host = testAddr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
