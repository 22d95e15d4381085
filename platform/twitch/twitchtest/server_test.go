package twitchtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const wait = 5 * time.Second

func dial(t *testing.T, u string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readJSON(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func keys(m any) string {
	var ks []string
	for k := range m.(map[string]any) {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func subscribe(t *testing.T, s *Server, session, typ string) int {
	t.Helper()
	body := `{"type":"` + typ + `","version":"1","condition":{"broadcaster_user_id":"1"},"transport":{"method":"websocket","session_id":"` + session + `"}}`
	req, _ := http.NewRequest("POST", s.SubscriptionsURL(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Client-Id", "cid")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func newServer(t *testing.T) *Server {
	s := New(Options{})
	t.Cleanup(s.Close)
	s.AddToken(Token{Access: "tok", UserID: "1", Login: "streamer"})
	return s
}

func TestWelcomeAndNotificationUseTwitchsEnvelope(t *testing.T) {
	s := newServer(t)
	c := dial(t, s.EventSubURL())
	w := readJSON(t, c)
	if got := keys(w["metadata"]); got != "message_id,message_timestamp,message_type" {
		t.Errorf("welcome metadata keys %s", got)
	}
	sess := w["payload"].(map[string]any)["session"]
	if got := keys(sess); got != "connected_at,id,keepalive_timeout_seconds,reconnect_url,recovery_url,status" {
		t.Errorf("session keys %s", got)
	}
	ss, err := s.NextSession(wait)
	if err != nil {
		t.Fatal(err)
	}
	if id := sess.(map[string]any)["id"]; id != ss.ID() {
		t.Errorf("welcome id %v, session %s", id, ss.ID())
	}
	if code := subscribe(t, s, ss.ID(), "channel.follow"); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d", code)
	}
	if code := subscribe(t, s, ss.ID(), "channel.follow"); code != http.StatusConflict {
		t.Errorf("duplicate subscribe: %d, want 409", code)
	}
	id, err := ss.Notify("channel.follow", "2", map[string]any{"user_id": "5"})
	if err != nil {
		t.Fatal(err)
	}
	n := readJSON(t, c)
	md := n["metadata"].(map[string]any)
	if md["message_id"] != id || md["message_type"] != "notification" || md["subscription_type"] != "channel.follow" ||
		md["subscription_version"] != "2" {
		t.Errorf("metadata %v", md)
	}
	sub := n["payload"].(map[string]any)["subscription"].(map[string]any)
	if sub["transport"].(map[string]any)["session_id"] != ss.ID() || sub["type"] != "channel.follow" {
		t.Errorf("subscription %v", sub)
	}
	if err := ss.Resend(id); err != nil {
		t.Fatal(err)
	}
	if again := readJSON(t, c); again["metadata"].(map[string]any)["message_id"] != id {
		t.Error("Resend changed the message id")
	}
}

func TestInboundTrafficIsClosedWith4001(t *testing.T) {
	s := newServer(t)
	c := dial(t, s.EventSubURL())
	readJSON(t, c)
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	c.SetReadDeadline(time.Now().Add(wait))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 {
		t.Fatalf("err = %v, want close 4001", err)
	}
}

func TestReconnectURLCarriesSubscriptions(t *testing.T) {
	s := newServer(t)
	c := dial(t, s.EventSubURL())
	readJSON(t, c)
	old, _ := s.NextSession(wait)
	subscribe(t, s, old.ID(), "channel.raid")
	if err := old.Reconnect(); err != nil {
		t.Fatal(err)
	}
	r := readJSON(t, c)
	sess := r["payload"].(map[string]any)["session"].(map[string]any)
	if r["metadata"].(map[string]any)["message_type"] != "session_reconnect" || sess["status"] != "reconnecting" {
		t.Fatalf("reconnect message %v", r)
	}
	c2 := dial(t, sess["reconnect_url"].(string))
	readJSON(t, c2)
	fresh, _ := s.NextSession(wait)
	if subs := fresh.Subscriptions(); len(subs) != 1 || subs[0].Type != "channel.raid" {
		t.Errorf("new session subscriptions %v", subs)
	}
}

func TestSubscriptionErrors(t *testing.T) {
	s := newServer(t)
	dial(t, s.EventSubURL())
	ss, _ := s.NextSession(wait)
	s.RefuseSubscription("channel.cheer", http.StatusForbidden, "subscription missing proper authorization")
	if code := subscribe(t, s, ss.ID(), "channel.cheer"); code != http.StatusForbidden {
		t.Errorf("refused: %d", code)
	}
	if code := subscribe(t, s, "no-such-session", "channel.raid"); code != http.StatusBadRequest {
		t.Errorf("unknown session: %d", code)
	}
	if n := len(s.CallsTo("POST", "/eventsub/subscriptions")); n != 2 {
		t.Errorf("%d recorded calls, want 2", n)
	}
}

func TestCloseSendsTheCode(t *testing.T) {
	s := newServer(t)
	c := dial(t, s.EventSubURL())
	readJSON(t, c)
	ss, _ := s.NextSession(wait)
	ss.Close(4007, "invalid reconnect")
	c.SetReadDeadline(time.Now().Add(wait))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4007 {
		t.Fatalf("err = %v, want close 4007", err)
	}
	<-ss.Done()
	if ss.CloseCode() != 4007 {
		t.Errorf("CloseCode = %d", ss.CloseCode())
	}
}
