package e2e

import (
	"testing"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// channelEventsModule says what it saw of each issue 15 event, every field
// type-checked (the user shape by who, from luaWho).
const channelEventsModule = `module { name = "channel_events_e2e", permissions = { "twitch.chat" } }
` + luaWho + `
local function say(text)
  local ok, err = twitch.send_message(text)
  if not ok then error("send failed: " .. err) end
end

on_event("twitch.ban", function(e)
  local d = e.data
  local text = "ban " .. who(d.user) .. " by " .. who(d.moderator) .. " reason " .. str(d.reason)
    .. " permanent " .. bool(d.is_permanent) .. " at " .. str(d.banned_at)
  if d.ends_at ~= nil then text = text .. " until " .. str(d.ends_at) .. " (" .. num(d.seconds) .. " s)" end
  say(text)
end)
on_event("twitch.unban", function(e)
  say("unban " .. who(e.data.user) .. " by " .. who(e.data.moderator))
end)
on_event("twitch.channel.update", function(e)
  local d = e.data
  say("channel " .. str(d.title) .. " / " .. str(d.game) .. " #" .. str(d.game_id) .. " " .. str(d.language)
    .. " labels " .. table.concat(d.content_classification_labels, ","))
end)
local function choices(list)
  local out = {}
  for _, c in ipairs(list) do
    out[#out + 1] = str(c.title) .. "=" .. num(c.votes) .. "/" .. num(c.channel_points_votes)
  end
  return table.concat(out, " ")
end
for _, phase in ipairs({ "begin", "progress", "end" }) do
  on_event("twitch.poll." .. phase, function(e)
    local d = e.data
    local text = "poll " .. phase .. " " .. str(d.id) .. " " .. str(d.title) .. " " .. choices(d.choices)
      .. " points " .. bool(d.channel_points_voting.enabled) .. "/" .. num(d.channel_points_voting.amount_per_vote)
    if d.status ~= nil then text = text .. " " .. str(d.status) .. " at " .. str(d.ended_at) end
    say(text)
  end)
end
local function outcomes(list)
  local out = {}
  for _, o in ipairs(list) do
    local top = {}
    for _, p in ipairs(o.top_predictors) do
      local won = p.channel_points_won and ("+" .. num(p.channel_points_won)) or ""
      top[#top + 1] = who(p.user) .. ":" .. num(p.channel_points_used) .. won
    end
    out[#out + 1] = str(o.title) .. "(" .. str(o.color) .. ")=" .. num(o.users) .. "/" .. num(o.channel_points)
      .. "[" .. table.concat(top, ",") .. "]"
  end
  return table.concat(out, " ")
end
for _, phase in ipairs({ "begin", "progress", "lock", "end" }) do
  on_event("twitch.prediction." .. phase, function(e)
    local d = e.data
    local text = "prediction " .. phase .. " " .. str(d.id) .. " " .. outcomes(d.outcomes)
    if d.winning_outcome_id ~= nil then text = text .. " won " .. str(d.winning_outcome_id) .. " " .. str(d.status) end
    say(text)
  end)
end
on_event("twitch.shoutout.create", function(e)
  local d = e.data
  say("shoutout to " .. who(d.to_broadcaster) .. " by " .. who(d.moderator) .. " viewers " .. num(d.viewer_count)
    .. " cooldown " .. str(d.cooldown_ends_at) .. " target " .. str(d.target_cooldown_ends_at))
end)
on_event("twitch.shoutout.receive", function(e)
  say("shoutout from " .. who(e.data.from_broadcaster) .. " viewers " .. num(e.data.viewer_count))
end)
on_event("twitch.ad_break.begin", function(e)
  local d = e.data
  say("ad " .. num(d.duration_seconds) .. " s automatic " .. bool(d.is_automatic) .. " by " .. who(d.requester))
end)
on_event("twitch.moderator.add", function(e) say("mod added " .. who(e.data.user)) end)
on_event("twitch.moderator.remove", function(e) say("mod removed " .. who(e.data.user)) end)
on_event("twitch.chat.notification", function(e)
  local d = e.data
  local text = "notice " .. str(d.notice_type) .. " " .. who(d.user) .. " " .. str(d.system_message)
  if d.resub then text = text .. " months " .. num(d.resub.cumulative_months) .. " tier " .. str(d.resub.sub_tier) end
  say(text)
end)
on_event("twitch.chat.message_delete", function(e)
  say("deleted " .. str(e.data.message_id) .. " of " .. who(e.data.user))
end)
on_event("twitch.chat.clear", function(e) say("chat cleared") end)
on_event("twitch.channel_points.update", function(e)
  say("redemption " .. str(e.data.redemption_id) .. " " .. str(e.data.status) .. " " .. str(e.data.reward.title))
end)
`

// TestTwitchChannelEventsReachLuaInTheDesignShapes sends Twitch's example
// payload of each issue 15 type through the whole engine.
func TestTwitchChannelEventsReachLuaInTheDesignShapes(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"channel_events_e2e.lua": channelEventsModule}, twitchtest.Options{})
	for _, tc := range []struct {
		file string // in platform/twitch/testdata
		want string // the module's chat message
	}{
		{"channel.ban", "ban cool_user#1234(Cool_User) by mod_user#1339(Mod_User) reason Offensive language permanent false at 2020-07-15T18:15:11.17106713Z until 2020-07-15T18:16:11.17106713Z (60 s)"},
		{"channel.ban.permanent", "ban cool_user#1234(Cool_User) by mod_user#1339(Mod_User) reason  permanent true at 2020-07-15T18:15:11.17106713Z"},
		{"channel.unban", "unban cool_user#1234(Cool_User) by mod_user#1339(Mod_User)"},
		{"channel.update", "channel Best Stream Ever / Grand Theft Auto #12453 en labels MatureGame"},
		{"channel.poll.begin", "poll begin 1243456 Aren’t shoes just really hard socks? Yeah!=0/0 No!=0/0 Maybe!=0/0 points true/10"},
		{"channel.poll.progress", "poll progress 1243456 Aren’t shoes just really hard socks? Yeah!=12/7 No!=14/4 Maybe!=7/7 points true/10"},
		{"channel.poll.end", "poll end 1243456 Aren’t shoes just really hard socks? Yeah!=12/7 No!=14/4 Maybe!=7/7 points true/10 completed at 2020-07-15T17:16:11.17106713Z"},
		{"channel.prediction.begin", "prediction begin 1243456 Yeah!(blue)=0/0[] No!(pink)=0/0[]"},
		{"channel.prediction.progress", "prediction progress 1243456 Yeah!(blue)=10/15000[cool_user#1234(Cool_User):500,coolest_user#1236(Coolest_User):200] No!(pink)=5/5000[cooler_user#1235(Cooler_User):5000]"},
		{"channel.prediction.lock", "prediction lock 1243456 Yeah!(blue)=10/15000[cool_user#1234(Cool_User):500,coolest_user#1236(Coolest_User):200] No!(pink)=5/5000[cooler_user#1235(Cooler_User):5000]"},
		{"channel.prediction.end", "prediction end 1243456 Yeah!(blue)=10/15000[cool_user#1234(Cool_User):500+10000,coolest_user#1236(Coolest_User):200+4000] No!(pink)=5/5000[cooler_user#1235(Cooler_User):5000+0] won 1243456 resolved"},
		{"channel.shoutout.create", "shoutout to sandysanderman#626262(SandySanderman) by particularlyparticular123#98765(ParticularlyParticular123) viewers 860 cooldown 2022-07-26T17:02:03.17106713Z target 2022-07-26T18:00:03.17106713Z"},
		{"channel.shoutout.receive", "shoutout from simplysimple#12345(SimplySimple) viewers 860"},
		{"channel.ad_break.begin", "ad 60 s automatic false by cool_user#1337(Cool_User)"},
		{"channel.moderator.add", "mod added mod_user#1234(Mod_User)"},
		{"channel.moderator.remove", "mod removed not_mod_user#1234(Not_Mod_User)"},
		{"channel.chat.notification", "notice resub viewer23#49912639(viewer23) viewer23 subscribed at Tier 1. They've subscribed for 10 months! months 10 tier 1000"},
		{"channel.chat.message_delete", "deleted ab24e0b0-2260-4bac-94e4-05eedd4ecd0e of uncool_viewer#7734(Uncool_viewer)"},
		{"channel.chat.clear", "chat cleared"},
		{"channel.channel_points_custom_reward_redemption.update", "redemption 17fa2df1-ad76-4804-bfa5-a40ef63efe63 fulfilled title"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			te.sendFile(te.ss, tc.file)
			te.waitChat(tc.want)
		})
	}
	te.checkNoHandlerErrors()
}
