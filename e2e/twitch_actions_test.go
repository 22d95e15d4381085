package e2e

// End-to-end tests of the twitch.* action bindings (issue #15): a Lua module
// per binding group calls every binding of its group from a chat-message
// handler and reports each result in chat; the fake Helix records the
// requests, which are checked against Twitch's documented method, path,
// query and body.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// actionsLua reports each call as name=<type of result> or name=ERR <err>.
const actionsLua = `
local out = {}
local function try(name, r, err)
  if err ~= nil then out[#out + 1] = name .. "=ERR " .. err
  else out[#out + 1] = name .. "=" .. type(r) end
  return r
end
local function report(prefix)
  -- out is emptied before the send waits: the next handler may start then
  local text = prefix .. ": " .. table.concat(out, " | ")
  out = {}
  twitch.send_message(text)
end
`

const modActionsModule = `module { name = "mod", permissions = { "twitch.chat", "twitch.moderate" } }
` + actionsLua + `
on_event("twitch.chat.message", function(ev)
  if ev.data.message ~= "run mod" then return end
  try("timeout", twitch.timeout(ev.data.user, 600, "caps"))
  try("ban", twitch.ban("@Viewer32", "spam"))
  try("unban", twitch.unban("4145994"))
  try("delete_message", twitch.delete_message(ev))
  try("clear_chat", twitch.clear_chat())
  try("chat_settings", twitch.chat_settings{ slow = 10, followers_only = false, emote_only = true })
  try("announce", twitch.announce("hello", "purple"))
  try("shoutout", twitch.shoutout("cool_streamer"))
  try("shoutout_again", twitch.shoutout("cool_streamer"))
  report("mod")
end)
`

const whisperActionsModule = `module { name = "whisper", permissions = { "twitch.chat", "twitch.whisper" } }
` + actionsLua + `
on_event("twitch.chat.message", function(ev)
  if ev.data.message ~= "run whisper" then return end
  try("whisper", twitch.whisper(ev.data.user, "psst"))
  report("whisper")
end)
`

// noPermModule calls a binding of each permission it did not declare.
const noPermModule = `module { name = "noperm", permissions = { "twitch.chat" } }
on_event("twitch.chat.message", function(ev)
  if ev.data.message ~= "run noperm" then return end
  local _, e1 = pcall(twitch.timeout, "viewer32", 5)
  local _, e2 = pcall(twitch.whisper, "viewer32", "x")
  local _, e3 = pcall(twitch.raid, "cool_streamer")
  twitch.send_message("noperm: " .. tostring(e1) .. " | " .. tostring(e2) .. " | " .. tostring(e3))
end)
`

const channelActionsModule = `module { name = "channel", permissions = { "twitch.chat", "twitch.channel" } }
` + actionsLua + `
local reward
on_event("twitch.chat.message", function(ev)
  local words = {}
  for w in ev.data.message:gmatch("%S+") do words[#words + 1] = w end
  if ev.data.message == "run channel" then
    try("update_channel", twitch.update_channel{ title = "New title", game = "Minecraft", tags = { "English" } })
    local poll = try("create_poll", twitch.create_poll{ title = "Best?", choices = { "A", "B" }, seconds = 60 })
    try("end_poll", twitch.end_poll(poll.id, true))
    local p = try("create_prediction", twitch.create_prediction{ title = "Win?", outcomes = { "Yes", "No" }, seconds = 120 })
    try("lock_prediction", twitch.lock_prediction(p.id))
    try("resolve_prediction", twitch.resolve_prediction(p.id, "Yes"))
    local p2 = try("create_prediction2", twitch.create_prediction{ title = "Again?", outcomes = { "Yes", "No" }, seconds = 30 })
    try("cancel_prediction", twitch.cancel_prediction(p2.id))
    reward = try("rewards.create", twitch.rewards.create{ title = "Hydrate", cost = 100, cooldown = 60, input_required = true })
    try("rewards.update", twitch.rewards.update(reward.id, { enabled = false }))
    local list = try("rewards.list", twitch.rewards.list())
    try("raid_unscoped", twitch.raid("cool_streamer"))
    try("raid", twitch.raid("cool_streamer"))
    try("cancel_raid", twitch.cancel_raid())
    try("marker", twitch.marker("great play"))
    try("commercial", twitch.commercial(30))
    try("add_vip", twitch.add_vip("viewer32"))
    try("remove_vip", twitch.remove_vip("viewer32"))
    try("add_moderator", twitch.add_moderator("viewer32"))
    try("remove_moderator", twitch.remove_moderator("viewer32"))
    report("channel " .. reward.id .. " " .. #list)
  elseif words[1] == "redeem" then
    -- redeem <redemption to fulfil> <redemption to refund> <other app's reward> <its redemption>
    try("fulfill", twitch.fulfill({ data = { reward = { id = reward.id }, redemption_id = words[2] } }))
    try("refund", twitch.refund({ data = { reward = { id = reward.id }, redemption_id = words[3] } }))
    try("refund_theirs", twitch.refund({ data = { reward = { id = words[4] }, redemption_id = words[5] } }))
    try("rewards.delete", twitch.rewards.delete(reward.id))
    report("redeem")
  end
end)
`

const readActionsModule = `module { name = "read", permissions = { "twitch.chat" } }
` + actionsLua + `
on_event("twitch.chat.message", function(ev)
  if ev.data.message ~= "run read" then return end
  local f = try("followers", twitch.followers{ first = 5 })
  local following = try("is_following", twitch.is_following("viewer32"))
  local sub = try("is_subscribed", twitch.is_subscribed(ev.data.user))
  local nosub = try("is_subscribed_no", twitch.is_subscribed("cool_streamer"))
  report("read total=" .. f.total .. " first=" .. f.followers[1].user.username .. " following=" .. tostring(following)
    .. " tier=" .. sub.tier .. " nosub=" .. tostring(nosub))
end)
`

// helixCall is an expected request: query values "*" match anything
// present; body is JSON compared as values ("" means no body).
type helixCall struct {
	method, path string
	query        map[string]string
	body         string
}

func (h helixCall) matches(c twitchtest.Call) bool {
	if c.Method != h.method || c.Path != h.path || len(c.Query) != len(h.query) {
		return false
	}
	for k, v := range h.query {
		if got := c.Query.Get(k); got == "" || (v != "*" && got != v) {
			return false
		}
	}
	if h.body == "" {
		return c.Body == ""
	}
	var got, want any
	if json.Unmarshal([]byte(c.Body), &got) != nil || json.Unmarshal([]byte(h.body), &want) != nil {
		return false
	}
	return reflect.DeepEqual(got, want)
}

func (te *twitchEngine) expectCalls(t *testing.T, want []helixCall) {
	t.Helper()
	calls := te.srv.Calls()
	for _, w := range want {
		found := false
		for _, c := range calls {
			found = found || w.matches(c)
		}
		if !found {
			var same []string
			for _, c := range calls {
				if c.Path == w.path {
					same = append(same, fmt.Sprintf("%s %s?%s %s", c.Method, c.Path, c.Query.Encode(), c.Body))
				}
			}
			t.Errorf("no request %s %s %v %s; to that path:\n  %s", w.method, w.path, w.query, w.body, strings.Join(same, "\n  "))
		}
	}
}

func reportParts(t *testing.T, msg string) map[string]string {
	t.Helper()
	_, list, _ := strings.Cut(msg, ": ")
	out := map[string]string{}
	for _, p := range strings.Split(list, " | ") {
		k, v, _ := strings.Cut(p, "=")
		out[k] = v
	}
	return out
}

func TestTwitchActionBindingsSendTheDocumentedHelixRequests(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"mod.lua": modActionsModule, "whisper.lua": whisperActionsModule,
		"noperm.lua": noPermModule, "channel.lua": channelActionsModule, "read.lua": readActionsModule}, twitchtest.Options{})
	srv := te.srv
	b, v, so := e2eBroadcaster.ID, e2eViewer.ID, e2eShoutout.ID
	srv.SetStream(twitchtest.Stream{UserID: b, UserLogin: e2eBroadcaster.Login, StartedAt: time.Now().Add(-time.Hour)})
	srv.AddGame(twitchtest.Game{ID: "27471", Name: "Minecraft"})
	srv.AddFollower(v, time.Now().Add(-time.Hour))
	srv.AddSubscriber(twitchtest.Subscriber{UserID: v, Tier: "2000"})

	t.Run("moderation", func(t *testing.T) {
		srv.RateLimitNext("POST", "/helix/moderation/bans", time.Now().Add(-time.Second)) // a 429 first: retried
		te.send(te.ss, twitchChatFrame(t, "e2e-act-mod", "run mod"))
		got := reportParts(t, te.waitChatFunc("mod report", func(m string) bool { return strings.HasPrefix(m, "mod: ") }).Message)
		for _, name := range []string{"timeout", "ban"} {
			if got[name] != "table" {
				t.Errorf("%s = %q, want a table", name, got[name])
			}
		}
		for _, name := range []string{"unban", "delete_message", "clear_chat", "announce", "shoutout"} {
			if got[name] != "boolean" {
				t.Errorf("%s = %q, want true", name, got[name])
			}
		}
		if got["chat_settings"] != "table" {
			t.Errorf("chat_settings = %q", got["chat_settings"])
		}
		if !strings.Contains(got["shoutout_again"], "ERR") || !strings.Contains(got["shoutout_again"], "2 minutes") {
			t.Errorf("second shoutout = %q, want the 2-minute limit as an error", got["shoutout_again"])
		}
		if n := len(srv.CallsTo("POST", "/helix/moderation/bans")); n != 3 {
			t.Errorf("%d POST /moderation/bans, want 3 (a 429 retried, then the ban)", n)
		}
		mq := map[string]string{"broadcaster_id": b, "moderator_id": b}
		with := func(k, val string) map[string]string {
			q := map[string]string{k: val}
			for a, x := range mq {
				q[a] = x
			}
			return q
		}
		te.expectCalls(t, []helixCall{
			{"POST", "/helix/moderation/bans", mq, `{"data":{"user_id":"` + v + `","duration":600,"reason":"caps"}}`},
			{"POST", "/helix/moderation/bans", mq, `{"data":{"user_id":"` + v + `","reason":"spam"}}`},
			{"DELETE", "/helix/moderation/bans", with("user_id", v), ""},
			{"DELETE", "/helix/moderation/chat", with("message_id", "e2e-act-mod"), ""},
			{"DELETE", "/helix/moderation/chat", mq, ""},
			{"PATCH", "/helix/chat/settings", mq, `{"slow_mode":true,"slow_mode_wait_time":10,"follower_mode":false,"emote_mode":true}`},
			{"POST", "/helix/chat/announcements", mq, `{"message":"hello","color":"purple"}`},
			{"POST", "/helix/chat/shoutouts", map[string]string{"from_broadcaster_id": b, "to_broadcaster_id": so, "moderator_id": b}, ""},
		})
	})

	t.Run("whisper", func(t *testing.T) {
		te.send(te.ss, twitchChatFrame(t, "e2e-act-whisper", "run whisper"))
		got := reportParts(t, te.waitChatFunc("whisper report", func(m string) bool { return strings.HasPrefix(m, "whisper: ") }).Message)
		if got["whisper"] != "boolean" {
			t.Errorf("whisper = %q", got["whisper"])
		}
		te.expectCalls(t, []helixCall{{"POST", "/helix/whispers", map[string]string{"from_user_id": b, "to_user_id": v}, `{"message":"psst"}`}})
	})

	t.Run("a missing permission is named", func(t *testing.T) {
		te.send(te.ss, twitchChatFrame(t, "e2e-act-noperm", "run noperm"))
		msg := te.waitChatFunc("noperm report", func(m string) bool { return strings.HasPrefix(m, "noperm: ") }).Message
		for _, want := range []string{`twitch.timeout needs the "twitch.moderate" permission`,
			`twitch.whisper needs the "twitch.whisper" permission`, `twitch.raid needs the "twitch.channel" permission`} {
			if !strings.Contains(msg, want) {
				t.Errorf("report %q lacks %q", msg, want)
			}
		}
	})

	t.Run("channel", func(t *testing.T) {
		srv.FailNext("POST", "/helix/raids", twitchtest.Response{Status: http.StatusUnauthorized,
			Body: `{"error":"Unauthorized","status":401,"message":"Missing scope: channel:manage:raids"}`})
		te.send(te.ss, twitchChatFrame(t, "e2e-act-channel", "run channel"))
		msg := te.waitChatFunc("channel report", func(m string) bool { return strings.HasPrefix(m, "channel ") }).Message
		got := reportParts(t, msg)
		for k, val := range got {
			if strings.HasPrefix(val, "ERR") && k != "raid_unscoped" {
				t.Errorf("%s failed: %s", k, val)
			}
		}
		if !strings.Contains(got["raid_unscoped"], "re-connect to grant channel:manage:raids") {
			t.Errorf("raid without the scope = %q, want it to name the scope", got["raid_unscoped"])
		}
		var rewardID string
		var listed int
		fmt.Sscanf(strings.TrimPrefix(msg, "channel "), "%s %d", &rewardID, &listed)
		if listed != 1 {
			t.Errorf("rewards.list gave %d rewards, want 1", listed)
		}
		if ch := srv.Channel(); ch.Title != "New title" || ch.GameID != "27471" {
			t.Errorf("channel = %+v", ch)
		}
		te.expectCalls(t, []helixCall{
			{"PATCH", "/helix/channels", map[string]string{"broadcaster_id": b}, `{"title":"New title","game_id":"27471","tags":["English"]}`},
			{"GET", "/helix/games", map[string]string{"name": "Minecraft"}, ""},
			{"POST", "/helix/polls", nil, `{"broadcaster_id":"` + b + `","title":"Best?","choices":[{"title":"A"},{"title":"B"}],"duration":60}`},
			{"POST", "/helix/predictions", nil, `{"broadcaster_id":"` + b + `","title":"Win?","outcomes":[{"title":"Yes"},{"title":"No"}],"prediction_window":120}`},
			{"POST", "/helix/channel_points/custom_rewards", map[string]string{"broadcaster_id": b},
				`{"title":"Hydrate","cost":100,"is_user_input_required":true,"is_global_cooldown_enabled":true,"global_cooldown_seconds":60}`},
			{"PATCH", "/helix/channel_points/custom_rewards", map[string]string{"broadcaster_id": b, "id": rewardID}, `{"is_enabled":false}`},
			{"GET", "/helix/channel_points/custom_rewards", map[string]string{"broadcaster_id": b}, ""},
			{"POST", "/helix/raids", map[string]string{"from_broadcaster_id": b, "to_broadcaster_id": so}, ""},
			{"DELETE", "/helix/raids", map[string]string{"broadcaster_id": b}, ""},
			{"POST", "/helix/streams/markers", nil, `{"user_id":"` + b + `","description":"great play"}`},
			{"POST", "/helix/channels/commercial", nil, `{"broadcaster_id":"` + b + `","length":30}`},
			{"POST", "/helix/channels/vips", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
			{"DELETE", "/helix/channels/vips", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
			{"POST", "/helix/moderation/moderators", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
			{"DELETE", "/helix/moderation/moderators", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
		})
		// The PATCH bodies of polls and predictions carry ids the fake made.
		for _, c := range srv.CallsTo("PATCH", "/helix/polls") {
			if !strings.Contains(c.Body, `"status":"ARCHIVED"`) {
				t.Errorf("end_poll body %s, want status ARCHIVED", c.Body)
			}
		}
		var statuses []string
		for _, c := range srv.CallsTo("PATCH", "/helix/predictions") {
			var body map[string]any
			_ = json.Unmarshal([]byte(c.Body), &body)
			statuses = append(statuses, fmt.Sprint(body["status"]))
			if body["status"] == "RESOLVED" && body["winning_outcome_id"] == nil {
				t.Errorf("resolve body %s lacks winning_outcome_id", c.Body)
			}
		}
		if strings.Join(statuses, ",") != "LOCKED,RESOLVED,CANCELED" {
			t.Errorf("prediction PATCH statuses %v, want LOCKED, RESOLVED, CANCELED", statuses)
		}

		t.Run("redemptions", func(t *testing.T) {
			r1, r2 := srv.AddRedemption(rewardID, v), srv.AddRedemption(rewardID, v)
			theirs := srv.AddReward(twitchtest.Reward{BroadcasterID: b, ClientID: "another-app", Title: "Theirs", Cost: 5})
			r3 := srv.AddRedemption(theirs, v)
			te.send(te.ss, twitchChatFrame(t, "e2e-act-redeem", fmt.Sprintf("redeem %s %s %s %s", r1, r2, theirs, r3)))
			got := reportParts(t, te.waitChatFunc("redeem report", func(m string) bool { return strings.HasPrefix(m, "redeem: ") }).Message)
			if got["fulfill"] != "table" || got["refund"] != "table" || got["rewards.delete"] != "boolean" {
				t.Errorf("redeem report %v", got)
			}
			if !strings.Contains(got["refund_theirs"], "only rewards StarStreamer created") {
				t.Errorf("refund of another app's reward = %q, want the reason", got["refund_theirs"])
			}
			if srv.RedemptionStatus(r1) != "FULFILLED" || srv.RedemptionStatus(r2) != "CANCELED" || srv.RedemptionStatus(r3) != "UNFULFILLED" {
				t.Errorf("redemption statuses %s %s %s", srv.RedemptionStatus(r1), srv.RedemptionStatus(r2), srv.RedemptionStatus(r3))
			}
			redq := map[string]string{"broadcaster_id": b, "reward_id": rewardID, "id": r1}
			te.expectCalls(t, []helixCall{
				{"PATCH", "/helix/channel_points/custom_rewards/redemptions", redq, `{"status":"FULFILLED"}`},
				{"DELETE", "/helix/channel_points/custom_rewards", map[string]string{"broadcaster_id": b, "id": rewardID}, ""},
			})
		})
	})

	t.Run("read", func(t *testing.T) {
		te.send(te.ss, twitchChatFrame(t, "e2e-act-read", "run read"))
		msg := te.waitChatFunc("read report", func(m string) bool { return strings.HasPrefix(m, "read ") }).Message
		if !strings.HasPrefix(msg, "read total=1 first=viewer32 following=true tier=2000 nosub=false:") {
			t.Errorf("read report %q", msg)
		}
		te.expectCalls(t, []helixCall{
			{"GET", "/helix/channels/followers", map[string]string{"broadcaster_id": b, "first": "5"}, ""},
			{"GET", "/helix/channels/followers", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
			{"GET", "/helix/subscriptions", map[string]string{"broadcaster_id": b, "user_id": v}, ""},
		})
	})
	te.checkNoHandlerErrors()
}
