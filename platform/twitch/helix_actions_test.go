package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

var (
	viewer = twitchtest.User{ID: "3003", Login: "viewer", DisplayName: "Viewer"}
	friend = twitchtest.User{ID: "4004", Login: "friend", DisplayName: "Friend"}
)

// newBroadcasterEnv is newEnv with the broadcaster's own token (the
// broadcaster-only endpoints need it) carrying scopes, a live stream, a
// viewer, a friend channel and two games.
func newBroadcasterEnv(t *testing.T, scopes []string, mod func(*env)) *env {
	t.Helper()
	return newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.AddToken(twitchtest.Token{Access: "tok-b", Refresh: "ref-b", UserID: broadcaster.ID, Login: broadcaster.Login, Scopes: scopes})
		e.store.tok = Tokens{AccessToken: "tok-b", RefreshToken: "ref-b"}
		e.srv.AddUser(viewer)
		e.srv.AddUser(friend)
		e.srv.AddGame(twitchtest.Game{ID: "509658", Name: "Just Chatting"})
		e.srv.AddGame(twitchtest.Game{ID: "27471", Name: "Minecraft"})
		e.srv.SetStream(twitchtest.Stream{UserID: broadcaster.ID, UserLogin: broadcaster.Login, StartedAt: time.Now().Add(-time.Hour)})
		if mod != nil {
			mod(e)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// lastCall is the last recorded request to a path that is not a user lookup.
func lastCall(t *testing.T, srv *twitchtest.Server, method, path string) twitchtest.Call {
	t.Helper()
	calls := srv.CallsTo(method, path)
	if len(calls) == 0 {
		t.Fatalf("no %s %s recorded", method, path)
	}
	return calls[len(calls)-1]
}

func TestEachActionSendsTheDocumentedHelixRequest(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, nil)
	e.connected(t)
	ctx := context.Background()
	c := e.client
	b := broadcaster.ID
	var pollID, predID, rewardID string
	tests := []struct {
		name         string
		call         func() error
		method, path string
		query        url.Values
		body         string // JSON, compared as values; "" means no body
	}{
		{"timeout by login", func() error { _, err := c.Ban(ctx, UserRef{Login: "@Viewer"}, 600, "spam"); return err },
			"POST", "/helix/moderation/bans", url.Values{"broadcaster_id": {b}, "moderator_id": {b}},
			`{"data":{"user_id":"3003","duration":600,"reason":"spam"}}`},
		{"unban by id", func() error { return c.Unban(ctx, UserRef{ID: viewer.ID}) },
			"DELETE", "/helix/moderation/bans", url.Values{"broadcaster_id": {b}, "moderator_id": {b}, "user_id": {"3003"}}, ""},
		{"ban without duration", func() error { _, err := c.Ban(ctx, UserRef{ID: viewer.ID}, 0, ""); return err },
			"POST", "/helix/moderation/bans", url.Values{"broadcaster_id": {b}, "moderator_id": {b}},
			`{"data":{"user_id":"3003","reason":""}}`},
		{"delete message", func() error { return c.DeleteMessage(ctx, "msg-1") },
			"DELETE", "/helix/moderation/chat", url.Values{"broadcaster_id": {b}, "moderator_id": {b}, "message_id": {"msg-1"}}, ""},
		{"clear chat", func() error { return c.ClearChat(ctx) },
			"DELETE", "/helix/moderation/chat", url.Values{"broadcaster_id": {b}, "moderator_id": {b}}, ""},
		{"chat settings", func() error {
			_, err := c.UpdateChatSettings(ctx, ChatSettings{SlowSeconds: ptr(10), FollowersMinutes: ptr(-1), EmoteOnly: ptr(true)})
			return err
		}, "PATCH", "/helix/chat/settings", url.Values{"broadcaster_id": {b}, "moderator_id": {b}},
			`{"slow_mode":true,"slow_mode_wait_time":10,"follower_mode":false,"emote_mode":true}`},
		{"announcement", func() error { return c.Announce(ctx, "hello", "Purple") },
			"POST", "/helix/chat/announcements", url.Values{"broadcaster_id": {b}, "moderator_id": {b}},
			`{"message":"hello","color":"purple"}`},
		{"shoutout", func() error { return c.Shoutout(ctx, UserRef{Login: "friend"}) },
			"POST", "/helix/chat/shoutouts", url.Values{"from_broadcaster_id": {b}, "to_broadcaster_id": {"4004"}, "moderator_id": {b}}, ""},
		{"whisper", func() error { return c.Whisper(ctx, UserRef{Login: "viewer"}, "psst") },
			"POST", "/helix/whispers", url.Values{"from_user_id": {b}, "to_user_id": {"3003"}}, `{"message":"psst"}`},
		{"update channel with game by name", func() error {
			return c.UpdateChannel(ctx, ChannelUpdate{Title: ptr("New title"), Game: ptr("minecr"), Tags: []string{"English"}})
		}, "PATCH", "/helix/channels", url.Values{"broadcaster_id": {b}},
			`{"title":"New title","game_id":"27471","tags":["English"]}`},
		{"create poll", func() error {
			p, err := c.CreatePoll(ctx, "Best?", []string{"A", "B"}, 60)
			pollID, _ = p["id"].(string)
			return err
		}, "POST", "/helix/polls", nil,
			`{"broadcaster_id":"1001","title":"Best?","choices":[{"title":"A"},{"title":"B"}],"duration":60}`},
		{"end poll archived", func() error { _, err := c.EndPoll(ctx, pollID, true); return err },
			"PATCH", "/helix/polls", nil, `{"broadcaster_id":"1001","id":"<poll>","status":"ARCHIVED"}`},
		{"create prediction", func() error {
			p, err := c.CreatePrediction(ctx, "Win?", []string{"Yes", "No"}, 120)
			predID, _ = p["id"].(string)
			return err
		}, "POST", "/helix/predictions", nil,
			`{"broadcaster_id":"1001","title":"Win?","outcomes":[{"title":"Yes"},{"title":"No"}],"prediction_window":120}`},
		{"lock prediction", func() error { _, err := c.EndPrediction(ctx, predID, "LOCKED", ""); return err },
			"PATCH", "/helix/predictions", nil, `{"broadcaster_id":"1001","id":"<pred>","status":"LOCKED"}`},
		{"resolve prediction by outcome title", func() error { _, err := c.EndPrediction(ctx, predID, "RESOLVED", "yes"); return err },
			"PATCH", "/helix/predictions", nil, `{"broadcaster_id":"1001","id":"<pred>","status":"RESOLVED","winning_outcome_id":"<yes>"}`},
		{"create reward", func() error {
			r, err := c.CreateReward(ctx, RewardFields{Title: ptr("Hydrate"), Cost: ptr(100), Cooldown: ptr(60), InputRequired: ptr(true)})
			rewardID, _ = r["id"].(string)
			return err
		}, "POST", "/helix/channel_points/custom_rewards", url.Values{"broadcaster_id": {b}},
			`{"title":"Hydrate","cost":100,"is_user_input_required":true,"is_global_cooldown_enabled":true,"global_cooldown_seconds":60}`},
		{"list rewards", func() error { _, err := c.Rewards(ctx); return err },
			"GET", "/helix/channel_points/custom_rewards", url.Values{"broadcaster_id": {b}}, ""},
		{"update reward", func() error { _, err := c.UpdateReward(ctx, rewardID, RewardFields{Enabled: ptr(false)}); return err },
			"PATCH", "/helix/channel_points/custom_rewards", url.Values{"broadcaster_id": {b}, "id": {"<reward>"}}, `{"is_enabled":false}`},
		{"fulfil redemption", func() error {
			red := e.srv.AddRedemption(rewardID, viewer.ID)
			_, err := c.UpdateRedemption(ctx, rewardID, red, "FULFILLED")
			return err
		}, "PATCH", "/helix/channel_points/custom_rewards/redemptions", url.Values{"broadcaster_id": {b}, "reward_id": {"<reward>"}, "id": {"<any>"}},
			`{"status":"FULFILLED"}`},
		{"delete reward", func() error { return c.DeleteReward(ctx, rewardID) },
			"DELETE", "/helix/channel_points/custom_rewards", url.Values{"broadcaster_id": {b}, "id": {"<reward>"}}, ""},
		{"raid", func() error { _, err := c.StartRaid(ctx, UserRef{Login: "friend"}); return err },
			"POST", "/helix/raids", url.Values{"from_broadcaster_id": {b}, "to_broadcaster_id": {"4004"}}, ""},
		{"cancel raid", func() error { return c.CancelRaid(ctx) },
			"DELETE", "/helix/raids", url.Values{"broadcaster_id": {b}}, ""},
		{"marker", func() error { _, err := c.CreateMarker(ctx, "great play"); return err },
			"POST", "/helix/streams/markers", nil, `{"user_id":"1001","description":"great play"}`},
		{"commercial", func() error { _, err := c.StartCommercial(ctx, 90); return err },
			"POST", "/helix/channels/commercial", nil, `{"broadcaster_id":"1001","length":90}`},
		{"add vip", func() error { return c.AddVIP(ctx, UserRef{Login: "viewer"}) },
			"POST", "/helix/channels/vips", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
		{"remove vip", func() error { return c.RemoveVIP(ctx, UserRef{Login: "viewer"}) },
			"DELETE", "/helix/channels/vips", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
		{"add moderator", func() error { return c.AddModerator(ctx, UserRef{Login: "viewer"}) },
			"POST", "/helix/moderation/moderators", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
		{"remove moderator", func() error { return c.RemoveModerator(ctx, UserRef{Login: "viewer"}) },
			"DELETE", "/helix/moderation/moderators", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
		{"followers", func() error { _, err := c.Followers(ctx, 5); return err },
			"GET", "/helix/channels/followers", url.Values{"broadcaster_id": {b}, "first": {"5"}}, ""},
		{"is following", func() error { _, _, err := c.IsFollowing(ctx, UserRef{Login: "viewer"}); return err },
			"GET", "/helix/channels/followers", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
		{"is subscribed", func() error { _, err := c.Subscription(ctx, UserRef{Login: "viewer"}); return err },
			"GET", "/helix/subscriptions", url.Values{"broadcaster_id": {b}, "user_id": {"3003"}}, ""},
	}
	for _, tt := range tests {
		if err := tt.call(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := lastCall(t, e.srv, tt.method, tt.path)
		repl := strings.NewReplacer("<poll>", pollID, "<pred>", predID, "<reward>", rewardID)
		for k, v := range tt.query {
			want := repl.Replace(v[0])
			if want == "<any>" {
				want = got.Query.Get(k)
			}
			if got.Query.Get(k) != want || got.Query.Get(k) == "" {
				t.Errorf("%s: query %s = %q, want %q (query %v)", tt.name, k, got.Query.Get(k), want, got.Query)
			}
		}
		if len(got.Query) != len(tt.query) {
			t.Errorf("%s: query %v, want exactly the keys of %v", tt.name, got.Query, tt.query)
		}
		if tt.body == "" {
			if got.Body != "" {
				t.Errorf("%s: body %s, want none", tt.name, got.Body)
			}
			continue
		}
		want := repl.Replace(tt.body)
		if strings.Contains(want, "<yes>") {
			want = strings.ReplaceAll(want, "<yes>", outcomeIDOf(t, e, predID, "Yes"))
		}
		var gotV, wantV any
		if err := json.Unmarshal([]byte(got.Body), &gotV); err != nil {
			t.Errorf("%s: body %q: %v", tt.name, got.Body, err)
			continue
		}
		if err := json.Unmarshal([]byte(want), &wantV); err != nil {
			t.Fatalf("%s: want body %q: %v", tt.name, want, err)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s: body %s, want %s", tt.name, got.Body, want)
		}
	}
	if got := e.srv.Channel(); got.Title != "New title" || got.GameID != "27471" {
		t.Errorf("channel after update = %+v", got)
	}
}

// outcomeIDOf looks an outcome's id up in the prediction as Twitch has it.
func outcomeIDOf(t *testing.T, e *env, predID, title string) string {
	t.Helper()
	var list dataList
	if err := e.client.helix(context.Background(), ScopePredictions, "GET", "/predictions",
		url.Values{"broadcaster_id": {broadcaster.ID}, "id": {predID}}, nil, &list); err != nil || len(list.Data) == 0 {
		t.Fatalf("get prediction: %v", err)
	}
	for _, o := range list.Data[0]["outcomes"].([]any) {
		if m := o.(map[string]any); m["title"] == title {
			return m["id"].(string)
		}
	}
	t.Fatalf("no outcome %q", title)
	return ""
}

func TestMissingScopeIsNamed(t *testing.T) {
	tests := []struct {
		name    string
		scopes  []string
		fail    bool // Twitch itself answers 401 Missing scope
		call    func(c *Client) error
		scope   string
		path    string
		reaches bool // the request reaches Twitch
	}{
		{"granted scopes known: refused before sending", EventScopes, false,
			func(c *Client) error {
				_, err := c.Ban(context.Background(), UserRef{ID: viewer.ID}, 0, "")
				return err
			},
			ScopeBans, "/helix/moderation/bans", false},
		{"Twitch answers 401 naming the scope: no refresh, named", Scopes, true,
			func(c *Client) error { return c.Whisper(context.Background(), UserRef{ID: viewer.ID}, "hi") },
			ScopeWhispers, "/helix/whispers", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBroadcasterEnv(t, tt.scopes, nil)
			e.connected(t)
			if tt.fail {
				e.srv.FailNext("POST", tt.path, twitchtest.Response{Status: http.StatusUnauthorized,
					Body: `{"error":"Unauthorized","status":401,"message":"Missing scope: ` + tt.scope + `"}`})
			}
			refreshes := len(e.srv.CallsTo("POST", "/oauth2/token"))
			err := tt.call(e.client)
			var se *ScopeError
			if !errors.As(err, &se) || se.Scope != tt.scope || !errors.Is(err, ErrMissingScope) ||
				!strings.Contains(err.Error(), "re-connect to grant "+tt.scope) {
				t.Fatalf("err = %v, want a ScopeError naming %s", err, tt.scope)
			}
			if n := len(e.srv.Calls()); (len(e.srv.CallsTo(http.MethodPost, tt.path)) > 0) != tt.reaches {
				t.Errorf("request reached Twitch = %v, want %v (%d calls)", !tt.reaches, tt.reaches, n)
			}
			if n := len(e.srv.CallsTo("POST", "/oauth2/token")); n != refreshes {
				t.Errorf("%d token refreshes for a missing scope, want none", n-refreshes)
			}
		})
	}
}

func TestRateLimitedActionIsRetriedAfterReset(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, nil)
	e.connected(t)
	e.srv.RateLimitNext("POST", "/helix/moderation/bans", time.Now().Add(-time.Second))
	if _, err := e.client.Ban(context.Background(), UserRef{ID: viewer.ID}, 30, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.CallsTo("POST", "/helix/moderation/bans")); n != 2 {
		t.Errorf("%d calls, want 2 (429 then the retry)", n)
	}
	if _, ok := e.srv.Bans()[viewer.ID]; !ok {
		t.Error("viewer not timed out after the retry")
	}
}

// TestEmptyRateLimitBucketWaitsForTheReset: once Ratelimit-Remaining says 0,
// the next call waits for Ratelimit-Reset instead of spending a request on a
// certain 429.
func TestEmptyRateLimitBucketWaitsForTheReset(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, nil)
	e.connected(t)
	e.srv.SetBucket(2, time.Second)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, _, err := e.client.IsFollowing(ctx, UserRef{ID: viewer.ID}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Sent before the reset, the third request would be refused with 429
	// and retried: four requests.
	if calls := e.srv.CallsTo("GET", "/helix/channels/followers"); len(calls) != 3 {
		t.Fatalf("%d requests, want 3 (none refused with 429)", len(calls))
	}
}

func TestShoutoutLimitsAreClearErrorsNotRetried(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, func(e *env) { e.srv.AddUser(twitchtest.User{ID: "5005", Login: "other"}) })
	e.connected(t)
	ctx := context.Background()
	if err := e.client.Shoutout(ctx, UserRef{Login: "friend"}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"friend", "other"} {
		err := e.client.Shoutout(ctx, UserRef{Login: who})
		if !errors.Is(err, ErrShoutoutLimit) || !strings.Contains(err.Error(), "minutes") {
			t.Errorf("shoutout %s within 2 minutes: err = %v, want ErrShoutoutLimit", who, err)
		}
	}
	if n := len(e.srv.CallsTo("POST", "/helix/chat/shoutouts")); n != 3 {
		t.Errorf("%d shoutout requests, want 3 (limits are not retried)", n)
	}
}

func TestRedemptionsOfRewardsAnotherAppCreatedAreRefusedClearly(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, nil)
	e.connected(t)
	ctx := context.Background()
	theirs := e.srv.AddReward(twitchtest.Reward{BroadcasterID: broadcaster.ID, ClientID: "someone-else", Title: "Theirs", Cost: 5})
	red := e.srv.AddRedemption(theirs, viewer.ID)
	if _, err := e.client.UpdateRedemption(ctx, theirs, red, "CANCELED"); !errors.Is(err, ErrNotCreatedByApp) ||
		!strings.Contains(err.Error(), "only rewards StarStreamer created") {
		t.Errorf("refund of another app's reward: err = %v, want ErrNotCreatedByApp", err)
	}
	ours, err := e.client.CreateReward(ctx, RewardFields{Title: ptr("Ours"), Cost: ptr(10)})
	if err != nil {
		t.Fatal(err)
	}
	red2 := e.srv.AddRedemption(ours["id"].(string), viewer.ID)
	if _, err := e.client.UpdateRedemption(ctx, ours["id"].(string), red2, "CANCELED"); err != nil {
		t.Fatalf("refund of our reward: %v", err)
	}
	if st := e.srv.RedemptionStatus(red2); st != "CANCELED" {
		t.Errorf("redemption status %q, want CANCELED", st)
	}
}

func TestUsersResolveByLoginIDOrDigitsAndAreCached(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, func(e *env) { e.srv.AddUser(twitchtest.User{ID: "9", Login: "12345"}) })
	e.connected(t)
	ctx := context.Background()
	tests := []struct {
		ref    UserRef
		wantID string
		err    error
	}{
		{UserRef{Login: "@VIEWER"}, viewer.ID, nil},
		{UserRef{Login: viewer.ID}, viewer.ID, nil}, // digits: an id
		{UserRef{Login: "12345"}, "9", nil},         // digits that are a login
		{UserRef{ID: "777"}, "777", nil},            // an event's id is trusted
		{UserRef{Login: "nobody"}, "", ErrUserNotFound},
		{UserRef{Login: " @ "}, "", ErrUserNotFound},
	}
	for _, tt := range tests {
		u, err := e.client.ResolveUser(ctx, tt.ref)
		if u.ID != tt.wantID || !errors.Is(err, tt.err) {
			t.Errorf("ResolveUser(%v) = %+v, %v; want id %q, %v", tt.ref, u, err, tt.wantID, tt.err)
		}
	}
	before := len(e.srv.CallsTo("GET", "/helix/users"))
	if _, err := e.client.ResolveUser(ctx, UserRef{Login: "viewer"}); err != nil {
		t.Fatal(err)
	}
	if after := len(e.srv.CallsTo("GET", "/helix/users")); after != before {
		t.Errorf("a second lookup of the same login asked Twitch again (%d calls)", after-before)
	}
}

func TestActionArgumentsOutOfRangeAreRefusedBeforeSending(t *testing.T) {
	e := newBroadcasterEnv(t, Scopes, nil)
	e.connected(t)
	ctx := context.Background()
	before := len(e.srv.Calls())
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"timeout too long", func() error { _, err := e.client.Ban(ctx, UserRef{ID: "1"}, MaxTimeout+1, ""); return err }(), "1 to 1209600"},
		{"slow mode too fast", func() error {
			_, err := e.client.UpdateChatSettings(ctx, ChatSettings{SlowSeconds: ptr(1)})
			return err
		}(), "3 to 120"},
		{"no chat setting", func() error { _, err := e.client.UpdateChatSettings(ctx, ChatSettings{}); return err }(), "nothing to change"},
		{"bad color", e.client.Announce(ctx, "x", "red"), "primary, blue"},
		{"one poll choice", func() error { _, err := e.client.CreatePoll(ctx, "t", []string{"a"}, 60); return err }(), "2 to 5"},
		{"short prediction", func() error { _, err := e.client.CreatePrediction(ctx, "t", []string{"a", "b"}, 5); return err }(), "30 to 1800"},
		{"reward without cost", func() error { _, err := e.client.CreateReward(ctx, RewardFields{Title: ptr("x")}); return err }(), "title and cost"},
		{"long commercial", func() error { _, err := e.client.StartCommercial(ctx, 500); return err }(), "1 to 180"},
		{"no message id", e.client.DeleteMessage(ctx, ""), "no message id"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to say %q", tt.name, tt.err, tt.want)
		}
	}
	if n := len(e.srv.Calls()) - before; n != 0 {
		t.Errorf("%d requests sent for refused arguments", n)
	}
}
