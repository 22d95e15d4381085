package twitch

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// frames builds n chat-message frames with distinct message ids.
func frames(b *testing.B, n int) [][]byte {
	b.Helper()
	var env map[string]any
	if err := json.Unmarshal(mustRead(b, testdata("channel.chat.message")), &env); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		env["metadata"].(map[string]any)["message_id"] = fmt.Sprintf("bench-%d", i)
		out[i], _ = json.Marshal(env)
	}
	return out
}

func reportLatency(b *testing.B, lat []time.Duration, total time.Duration) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Microsecond) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
	b.ReportMetric(float64(len(lat))/total.Seconds(), "frames/s")
}

// BenchmarkFrameToEmit: a chat-message frame's bytes in → Emit called
// (parse, dedupe, map), in process.
func BenchmarkFrameToEmit(b *testing.B) {
	var emitted time.Time
	c, err := New(Config{ClientID: "id", Channel: "streamer", Token: "x", DedupeSize: 4096}, nil,
		func(string, map[string]any) { emitted = time.Now() })
	if err != nil {
		b.Fatal(err)
	}
	fs := frames(b, b.N)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		m, err := parseFrame(fs[i])
		if err != nil {
			b.Fatal(err)
		}
		c.dispatch(&m)
		lat = append(lat, emitted.Sub(t0))
	}
	total := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, total)
}

// BenchmarkEventSubWebSocketToEmit: the fake server writes a frame on the
// WebSocket → the client's Emit is called (loopback socket, read loop,
// parse, dedupe, map). One frame in flight at a time.
func BenchmarkEventSubWebSocketToEmit(b *testing.B) {
	got := make(chan time.Time, 1)
	srv := twitchtest.New(twitchtest.Options{})
	defer srv.Close()
	srv.AddUser(broadcaster)
	srv.AddToken(twitchtest.Token{Access: "t", UserID: broadcaster.ID, Login: broadcaster.Login, Scopes: Scopes})
	c, err := New(Config{ClientID: "id", Channel: broadcaster.Login, Token: "t", AuthURL: srv.AuthURL(),
		APIURL: srv.HelixURL(), EventSubURL: srv.EventSubURL(), SubscriptionsURL: srv.SubscriptionsURL()}, nil,
		func(typ string, _ map[string]any) {
			if typ == "twitch.chat.message" {
				got <- time.Now()
			}
		})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	defer cancel()
	go c.Run(ctx)
	ss, err := srv.NextSession(wait)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ss.WaitSubscriptions(len(subscriptions), wait); err != nil {
		b.Fatal(err)
	}
	fs := frames(b, b.N)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := ss.SendEnvelope(fs[i], true); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(t0))
	}
	total := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, total)
}
