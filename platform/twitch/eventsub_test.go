package twitch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

func TestRunCreatesEverySubscriptionWithTheRightCondition(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	e.rec.waitN(t, "twitch.connected", 1)
	if !e.client.Connected() {
		t.Error("Connected() = false after the welcome")
	}
	got := map[string]twitchtest.Subscription{}
	for _, s := range ss.Subscriptions() {
		got[s.Type] = s
	}
	b, u := broadcaster.ID, bot.ID
	want := map[string]struct {
		version   string
		condition map[string]string
	}{
		"channel.chat.message":         {"1", map[string]string{"broadcaster_user_id": b, "user_id": u}},
		"channel.follow":               {"2", map[string]string{"broadcaster_user_id": b, "moderator_user_id": u}},
		"channel.subscribe":            {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.subscription.gift":    {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.subscription.message": {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.raid":                 {"1", map[string]string{"to_broadcaster_user_id": b}},
		"channel.cheer":                {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.channel_points_custom_reward_redemption.add":    {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.hype_train.begin":                               {"2", map[string]string{"broadcaster_user_id": b}},
		"channel.hype_train.progress":                            {"2", map[string]string{"broadcaster_user_id": b}},
		"channel.hype_train.end":                                 {"2", map[string]string{"broadcaster_user_id": b}},
		"stream.online":                                          {"1", map[string]string{"broadcaster_user_id": b}},
		"stream.offline":                                         {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.update":                                         {"2", map[string]string{"broadcaster_user_id": b}},
		"channel.ban":                                            {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.unban":                                          {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.moderator.add":                                  {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.moderator.remove":                               {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.poll.begin":                                     {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.poll.progress":                                  {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.poll.end":                                       {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.prediction.begin":                               {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.prediction.progress":                            {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.prediction.lock":                                {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.prediction.end":                                 {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.shoutout.create":                                {"1", map[string]string{"broadcaster_user_id": b, "moderator_user_id": u}},
		"channel.shoutout.receive":                               {"1", map[string]string{"broadcaster_user_id": b, "moderator_user_id": u}},
		"channel.ad_break.begin":                                 {"1", map[string]string{"broadcaster_user_id": b}},
		"channel.chat.notification":                              {"1", map[string]string{"broadcaster_user_id": b, "user_id": u}},
		"channel.chat.message_delete":                            {"1", map[string]string{"broadcaster_user_id": b, "user_id": u}},
		"channel.chat.clear":                                     {"1", map[string]string{"broadcaster_user_id": b, "user_id": u}},
		"channel.channel_points_custom_reward_redemption.update": {"1", map[string]string{"broadcaster_user_id": b}},
	}
	if len(got) != len(want) {
		t.Errorf("%d subscriptions, want %d", len(got), len(want))
	}
	for typ, w := range want {
		s, ok := got[typ]
		if !ok {
			t.Errorf("no %s subscription", typ)
			continue
		}
		if s.Version != w.version || fmt.Sprint(s.Condition) != fmt.Sprint(w.condition) {
			t.Errorf("%s: version %s condition %v, want %s %v", typ, s.Version, s.Condition, w.version, w.condition)
		}
	}
	for _, c := range e.srv.CallsTo("POST", "/eventsub/subscriptions") {
		if c.Header.Get("Authorization") != "Bearer tok-bot" || c.Header.Get("Client-Id") != "cid" {
			t.Errorf("subscription request without the user token and client id: %v", c.Header)
		}
	}
}

func TestEveryTwitchExampleReachesEmit(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	files := []struct{ file, typ string }{
		{"channel.chat.message", "twitch.chat.message"},
		{"channel.follow", "twitch.follow"},
		{"channel.subscribe", "twitch.subscription"},
		{"channel.subscription.message", "twitch.subscription"},
		{"channel.subscription.gift", "twitch.gift"},
		{"channel.raid", "twitch.raid"},
		{"channel.cheer", "twitch.cheer"},
		{"channel.channel_points_custom_reward_redemption.add", "twitch.channel_points"},
		{"channel.hype_train.begin", "twitch.hype_train.begin"},
		{"channel.hype_train.progress", "twitch.hype_train.progress"},
		{"channel.hype_train.end", "twitch.hype_train.end"},
		{"stream.online", "twitch.stream.online"},
		{"channel.update", "twitch.channel.update"},
		{"channel.ban", "twitch.ban"},
		{"channel.ban.permanent", "twitch.ban"},
		{"channel.unban", "twitch.unban"},
		{"channel.moderator.add", "twitch.moderator.add"},
		{"channel.moderator.remove", "twitch.moderator.remove"},
		{"channel.poll.begin", "twitch.poll.begin"},
		{"channel.poll.progress", "twitch.poll.progress"},
		{"channel.poll.end", "twitch.poll.end"},
		{"channel.prediction.begin", "twitch.prediction.begin"},
		{"channel.prediction.progress", "twitch.prediction.progress"},
		{"channel.prediction.lock", "twitch.prediction.lock"},
		{"channel.prediction.end", "twitch.prediction.end"},
		{"channel.shoutout.create", "twitch.shoutout.create"},
		{"channel.shoutout.receive", "twitch.shoutout.receive"},
		{"channel.ad_break.begin", "twitch.ad_break.begin"},
		{"channel.chat.notification", "twitch.chat.notification"},
		{"channel.chat.notification.announcement", "twitch.chat.notification"},
		{"channel.chat.message_delete", "twitch.chat.message_delete"},
		{"channel.chat.clear", "twitch.chat.clear"},
		{"channel.channel_points_custom_reward_redemption.update", "twitch.channel_points.update"},
		{"stream.offline", "twitch.stream.offline"},
	}
	for _, f := range files {
		if _, err := ss.SendFile(testdata(f.file)); err != nil {
			t.Fatal(err)
		}
	}
	e.rec.waitN(t, "twitch.stream.offline", 1)
	var got []string
	for _, ev := range e.rec.all("") {
		if ev.typ != "twitch.connected" {
			got = append(got, ev.typ)
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, f.typ)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
}

func TestDuplicateMessageIDIsHandledOnce(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	id, err := ss.SendFile(testdata("channel.follow"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := ss.Resend(id); err != nil {
			t.Fatal(err)
		}
	}
	ss.SendFile(testdata("channel.raid")) // marker: everything before it was read
	e.rec.waitN(t, "twitch.raid", 1)
	if n := len(e.rec.all("twitch.follow")); n != 1 {
		t.Fatalf("follow handled %d times, want 1", n)
	}
}

func TestSessionReconnectKeepsSubscriptionsAndLosesNoEvent(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	old := e.connected(t)
	posts := len(e.srv.CallsTo("POST", "/eventsub/subscriptions"))

	if err := old.Reconnect(); err != nil {
		t.Fatal(err)
	}
	// Still delivered on the old socket while the client moves.
	followID, _ := old.SendFile(testdata("channel.follow"))
	fresh := e.nextSession(t, len(subscriptions)) // carried over by the server
	<-old.Done()                                  // the client closes the old socket after the new welcome
	if code := old.CloseCode(); code != 0 {
		t.Errorf("old socket closed by the server with %d; the client should close it", code)
	}
	fresh.SendFile(testdata("channel.cheer"))
	// Twitch may deliver the same message on both sockets: once only.
	if _, err := fresh.SendEnvelope(resendable(t, "channel.follow", followID), true); err != nil {
		t.Fatal(err)
	}
	fresh.SendFile(testdata("channel.raid"))
	e.rec.waitN(t, "twitch.raid", 1)

	if n := len(e.rec.all("twitch.follow")); n != 1 {
		t.Errorf("follow handled %d times, want 1", n)
	}
	if n := len(e.rec.all("twitch.cheer")); n != 1 {
		t.Errorf("cheer handled %d times, want 1", n)
	}
	if n := len(e.srv.CallsTo("POST", "/eventsub/subscriptions")); n != posts {
		t.Errorf("%d subscription requests after session_reconnect; must not resubscribe", n-posts)
	}
	if n := len(e.rec.all("twitch.disconnected")); n != 0 {
		t.Errorf("session_reconnect emitted %d twitch.disconnected", n)
	}
	if !e.client.Connected() {
		t.Error("not connected after the hand-over")
	}
}

// resendable is a testdata envelope carrying a given message id.
func resendable(t *testing.T, name, id string) []byte {
	t.Helper()
	m := map[string]any{}
	b := mustRead(t, testdata(name))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["metadata"].(map[string]any)["message_id"] = id
	out, _ := json.Marshal(m)
	return out
}

func TestKeepaliveLossReconnectsAndResubscribes(t *testing.T) {
	e := newEnv(t, twitchtest.Options{KeepaliveTimeoutSeconds: 1, KeepaliveInterval: 50 * time.Millisecond},
		func(e *env) { e.cfg.KeepaliveGrace = 200 * time.Millisecond })
	first := e.connected(t)
	id, _ := first.SendFile(testdata("channel.subscribe"))
	e.rec.waitN(t, "twitch.subscription", 1)
	first.StopKeepalives()

	second := e.nextSession(t, len(subscriptions)) // re-created by the client
	dis := e.rec.waitN(t, "twitch.disconnected", 1)
	if r, _ := dis[0].data["reason"].(string); !strings.Contains(r, "keepalive") {
		t.Errorf("disconnect reason %q, want a keepalive timeout", r)
	}
	e.rec.waitN(t, "twitch.connected", 2)
	// At-least-once delivery may repeat the old message on the new session.
	second.SendEnvelope(resendable(t, "channel.subscribe", id), true)
	second.SendFile(testdata("channel.raid"))
	e.rec.waitN(t, "twitch.raid", 1)
	if n := len(e.rec.all("twitch.subscription")); n != 1 {
		t.Errorf("subscription event handled %d times, want 1", n)
	}
}

func TestCloseCodesEachLeadToAFreshSubscribedSession(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	for code := 4000; code <= 4007; code++ {
		ss.Close(code, "test")
		ss = e.nextSession(t, len(subscriptions))
		dis := e.rec.waitN(t, "twitch.disconnected", code-3999)
		reason, _ := dis[len(dis)-1].data["reason"].(string)
		if !strings.Contains(reason, fmt.Sprint(code)) {
			t.Errorf("close %d: reason %q does not name the code", code, reason)
		}
		if want := closeCodes[code].text; !strings.Contains(reason, want) {
			t.Errorf("close %d: reason %q, want %q", code, reason, want)
		}
	}
	if !strings.Contains(e.logs.String(), "level=ERROR") || !strings.Contains(e.logs.String(), "inbound traffic") {
		t.Error("4001 (client sent inbound traffic) must be logged as an error")
	}
}

func TestRevocationIsEmittedWithItsReason(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	if err := ss.Revoke("channel.cheer", "authorization_revoked"); err != nil {
		t.Fatal(err)
	}
	ev := e.rec.waitN(t, "twitch.subscription_revoked", 1)[0]
	if ev.data["type"] != "channel.cheer" || ev.data["status"] != "authorization_revoked" {
		t.Errorf("revocation data %v", ev.data)
	}
	if !strings.Contains(e.logs.String(), "revoked the app") {
		t.Error("revocation reason not logged")
	}
}

func TestSubscriptionWithoutItsScopeIsNotRequestedAndNamesTheScope(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		var scopes []string
		for _, s := range Scopes {
			if s != "bits:read" && s != "channel:read:polls" {
				scopes = append(scopes, s)
			}
		}
		scopes = append(scopes, "channel:manage:polls") // the other scope Twitch accepts for polls
		e.srv.AddToken(twitchtest.Token{Access: "tok-bot", Refresh: "ref-bot", UserID: bot.ID, Login: bot.Login, Scopes: scopes})
	})
	e.start(t)
	ss := e.nextSession(t, len(subscriptions)-1)
	eventually(t, func() bool { return len(e.client.Refusals()) == 1 })
	r := e.client.Refusals()[0]
	if r.Type != "channel.cheer" || r.Scope != "bits:read" || !r.Missing || r.Status != 0 ||
		!strings.Contains(r.Hint, "lacks the scope bits:read") {
		t.Errorf("refusal %+v", r)
	}
	for _, c := range e.srv.CallsTo("POST", "/eventsub/subscriptions") {
		if strings.Contains(string(c.Body), `"channel.cheer"`) {
			t.Error("channel.cheer was requested without its scope")
		}
	}
	have := map[string]bool{}
	for _, s := range ss.Subscriptions() {
		have[s.Type] = true
	}
	if !have["channel.poll.begin"] {
		t.Error("polls not subscribed with channel:manage:polls")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "scope=bits:read") {
		t.Errorf("log does not name the missing scope:\n%s", logs)
	}
	ss.SendFile(testdata("channel.follow"))
	e.rec.waitN(t, "twitch.follow", 1)
}

func TestRefusedSubscriptionNamesTheScopeAndOthersStillWork(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.RefuseSubscription("channel.ban", http.StatusForbidden, "subscription missing proper authorization")
	})
	e.start(t)
	ss := e.nextSession(t, len(subscriptions)-1)
	eventually(t, func() bool { return len(e.client.Refusals()) == 1 })
	r := e.client.Refusals()[0]
	if r.Type != "channel.ban" || r.Scope != "channel:moderate" || r.Missing || r.Status != http.StatusForbidden ||
		!strings.Contains(r.Hint, "channel:moderate must be granted by the broadcaster") {
		t.Errorf("refusal %+v", r)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "scope=channel:moderate") {
		t.Errorf("log does not name the scope:\n%s", logs)
	}
	ss.SendFile(testdata("channel.unban"))
	e.rec.waitN(t, "twitch.unban", 1)
}

func TestFailedReconnectFallsBackToAFreshSubscribedSession(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	old := e.connected(t)
	bad := `{"metadata":{"message_id":"r1","message_type":"session_reconnect","message_timestamp":"2022-11-18T09:10:11.634234626Z"},
	"payload":{"session":{"id":"` + old.ID() + `","status":"reconnecting","keepalive_timeout_seconds":null,
	"reconnect_url":"ws://127.0.0.1:1/ws","connected_at":"2022-11-16T10:11:12.634234626Z"}}}`
	if _, err := old.SendEnvelope([]byte(bad), true); err != nil {
		t.Fatal(err)
	}
	e.nextSession(t, len(subscriptions))
	dis := e.rec.waitN(t, "twitch.disconnected", 1)
	if r, _ := dis[0].data["reason"].(string); !strings.Contains(r, "reconnect failed") {
		t.Errorf("reason %q", r)
	}
	e.rec.waitN(t, "twitch.connected", 2)
}

// The hint of a refused subscription follows what Twitch answered: only a
// 403 is about scopes; a 400 "type and version not valid" is not.
func TestRefusalHintMatchesTheRefusal(t *testing.T) {
	tests := []struct {
		name        string
		r           Refusal
		want, avoid string
	}{
		{"forbidden, scope granted but not by the broadcaster", Refusal{Scope: "bits:read", Status: http.StatusForbidden}, "must be granted by the broadcaster (chan)", ""},
		{"forbidden, token lacks the scope", Refusal{Scope: "bits:read", Missing: true, Status: http.StatusForbidden}, "lacks the scope bits:read", "broadcaster"},
		{"forbidden, no scope needed", Refusal{Status: http.StatusForbidden}, "not authorized", "scope"},
		{"bad request", Refusal{Scope: "bits:read", Status: http.StatusBadRequest, Message: "type and version not valid"}, "type, version or condition", "scope"},
		{"unauthorized", Refusal{Scope: "bits:read", Status: http.StatusUnauthorized}, "log in again", "scope"},
		{"too many", Refusal{Scope: "bits:read", Status: http.StatusTooManyRequests}, "limit", "scope"},
		{"server error", Refusal{Scope: "bits:read", Status: http.StatusInternalServerError}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refusalHint(tt.r, "chan")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) || tt.avoid != "" && strings.Contains(got, tt.avoid) {
				t.Errorf("hint %q; want it to say %q and not %q", got, tt.want, tt.avoid)
			}
		})
	}
}

func TestBadRequestRefusalIsNotBlamedOnAScope(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.RefuseSubscription("channel.cheer", http.StatusBadRequest, "type and version not valid")
	})
	e.start(t)
	e.nextSession(t, len(subscriptions)-1)
	eventually(t, func() bool { return len(e.client.Refusals()) == 1 })
	r := e.client.Refusals()[0]
	if r.Status != http.StatusBadRequest || r.Missing || !strings.Contains(r.Hint, "type, version or condition") {
		t.Errorf("refusal %+v", r)
	}
	if logs := e.logs.String(); strings.Contains(logs, "must be granted") || !strings.Contains(logs, "type and version not valid") {
		t.Errorf("log blames a scope or drops Twitch's message:\n%s", logs)
	}
}
