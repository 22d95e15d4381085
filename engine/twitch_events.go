package engine

import (
	"slices"
)

// TwitchEventSpecs documents every twitch.* event the client emits: docs/events.md
// and the editor stubs are generated from it, and the tests check what
// mapNotification and the client build against it (each Example is what
// mapNotification makes of Twitch's own example payload in testdata).
// It lives here, beside the other event specs, because the platform
// packages import no other package of the project; their tests check
// their output against it.
var TwitchEventSpecs = slices.Concat([]EventSpec{
	{Type: "twitch.chat.message", Source: "twitch", Description: "A chat message in the channel (EventSub channel.chat.message), including the bot's own lines. The panel's chat console sends the same event with source \"panel\". Commands (command(...)) are built on it.",
		Fields: concat(
			[]FieldSpec{{Name: "user", Type: "table", Description: "who wrote it"}},
			userIdentity("user"),
			[]FieldSpec{
				{Name: "user.badges", Type: "list", Description: "the chatter's badges (same as data.badges)"},
				{Name: "user.badges[]", Type: "table", Description: "one badge"},
				{Name: "user.badges[].set_id", Type: "string", Description: "badge kind: broadcaster, moderator, vip, subscriber, founder, ..."},
				{Name: "user.badges[].id", Type: "string", Description: "badge version"},
				{Name: "user.badges[].info", Type: "string", Optional: true, Description: "extra detail, e.g. months subscribed"},
				{Name: "user.broadcaster", Type: "boolean", Description: "the channel's owner"},
				{Name: "user.moderator", Type: "boolean", Description: "a moderator (or lead moderator)"},
				{Name: "user.vip", Type: "boolean", Description: "a VIP"},
				{Name: "user.subscriber", Type: "boolean", Description: "a subscriber (or founder)"},
				{Name: "message", Type: "string", Description: "the text"},
				{Name: "message_id", Type: "string", Description: "the message's id (twitch.reply answers it)"},
				{Name: "badges", Type: "list", Description: "the chatter's badges"},
				{Name: "badges[]", Type: "table", Description: "one badge"},
				{Name: "badges[].set_id", Type: "string", Description: "badge kind"},
				{Name: "badges[].id", Type: "string", Description: "badge version"},
				{Name: "badges[].info", Type: "string", Optional: true, Description: "extra detail"},
				{Name: "message_type", Type: "string", Optional: true, Description: "text, channel_points_highlighted, power_ups_message_effect, ... (absent from the panel)"},
				{Name: "color", Type: "string", Optional: true, Description: "the chatter's name color, \"#RRGGBB\" or \"\" (absent from the panel)"},
				{Name: "from_bot", Type: "boolean", Optional: true, Description: "true for lines this engine sent, also when the bot chats as the broadcaster (absent from the panel)"},
				{Name: "bits", Type: "integer", Optional: true, Description: "bits cheered in this message"},
				{Name: "reward_id", Type: "string", Optional: true, Description: "the channel points reward this message redeemed"},
				{Name: "reply", Type: "table", Optional: true, Description: "present when the message answers another"},
				{Name: "reply.parent_message_id", Type: "string", Description: "the message answered"},
				{Name: "reply.parent_message_body", Type: "string", Description: "its text"},
				{Name: "reply.thread_message_id", Type: "string", Description: "the first message of the thread"},
			},
			UserFields("reply.parent_user", "who wrote the message answered", true),
			UserFields("reply.thread_user", "who started the thread", true),
		),
		Example: map[string]any{
			"user": map[string]any{"id": "4145994", "username": "viewer32", "display_name": "viewer32",
				"badges":      []any{map[string]any{"set_id": "moderator", "id": "1", "info": ""}, map[string]any{"set_id": "subscriber", "id": "12", "info": "16"}, map[string]any{"set_id": "sub-gifter", "id": "1", "info": ""}},
				"broadcaster": false, "moderator": true, "vip": false, "subscriber": true},
			"message": "Hi chat", "message_id": "cc106a89-1814-919d-454c-f4f2f970aae7",
			"badges":       []any{map[string]any{"set_id": "moderator", "id": "1", "info": ""}, map[string]any{"set_id": "subscriber", "id": "12", "info": "16"}, map[string]any{"set_id": "sub-gifter", "id": "1", "info": ""}},
			"message_type": "text", "color": "#00FF7F", "from_bot": false}},
	{Type: "twitch.follow", Source: "twitch", Description: "Someone followed the channel.",
		Fields: concat(UserFields("user", "the new follower", false),
			[]FieldSpec{{Name: "followed_at", Type: "string", Description: "when, RFC 3339"}}),
		Example: map[string]any{"user": exampleUser("1337", "awesome_user", "Awesome_User"), "followed_at": "2023-07-15T18:16:11.17106713Z"}},
	{Type: "twitch.subscription", Source: "twitch", Description: "A new subscription (channel.subscribe, resub false) or a resubscription message shared in chat (channel.subscription.message, resub true).",
		Fields: concat(UserFields("user", "the subscriber", false), []FieldSpec{
			{Name: "tier", Type: "string", Description: "\"1000\", \"2000\" or \"3000\" (Prime counts as 1000)"},
			{Name: "is_gift", Type: "boolean", Description: "the subscription was gifted"},
			{Name: "resub", Type: "boolean", Description: "a resubscription message"},
			{Name: "months", Type: "integer", Optional: true, Description: "resub: months subscribed in total"},
			{Name: "streak_months", Type: "integer", Optional: true, Description: "resub: consecutive months, when the user shares it"},
			{Name: "duration_months", Type: "integer", Optional: true, Description: "resub: months paid for in advance"},
			{Name: "message", Type: "string", Optional: true, Description: "resub: the user's message"},
		}),
		Example: map[string]any{"user": exampleUser("1234", "cool_user", "Cool_User"), "tier": "1000", "is_gift": false, "resub": false}},
	{Type: "twitch.gift", Source: "twitch", Description: "Someone gifted subscriptions to the channel's viewers.",
		Fields: concat(UserFields("user", "the gifter; nil when anonymous", true), []FieldSpec{
			{Name: "tier", Type: "string", Description: "\"1000\", \"2000\" or \"3000\""},
			{Name: "total", Type: "integer", Description: "subscriptions gifted at once"},
			{Name: "cumulative", Type: "integer", Optional: true, Description: "the gifter's total gifts in the channel, when shared (never for anonymous gifts)"},
			{Name: "is_anonymous", Type: "boolean", Description: "the gifter is anonymous"},
		}),
		Example: map[string]any{"user": exampleUser("1234", "cool_user", "Cool_User"), "tier": "1000", "total": int64(2), "cumulative": int64(284), "is_anonymous": false}},
	{Type: "twitch.raid", Source: "twitch", Description: "Another channel raided this one.",
		Fields: concat(UserFields("from_broadcaster", "the raiding channel", false),
			[]FieldSpec{{Name: "viewers", Type: "integer", Description: "viewers brought along"}}),
		Example: map[string]any{"from_broadcaster": exampleUser("1234", "cool_user", "Cool_User"), "viewers": int64(9001)}},
	{Type: "twitch.cheer", Source: "twitch", Description: "Someone cheered bits.",
		Fields: concat(UserFields("user", "the cheerer; nil when anonymous", true), []FieldSpec{
			{Name: "bits", Type: "integer", Description: "bits cheered"},
			{Name: "message", Type: "string", Description: "the cheer's message, cheermotes included"},
			{Name: "is_anonymous", Type: "boolean", Description: "the cheerer is anonymous"},
		}),
		Example: map[string]any{"user": exampleUser("1234", "cool_user", "Cool_User"), "bits": int64(1000), "message": "pogchamp", "is_anonymous": false}},
	{Type: "twitch.channel_points", Source: "twitch", Description: "Someone redeemed a custom channel points reward. A module fulfils or refunds it with twitch.fulfill(event) or twitch.refund(event), for rewards the engine created; twitch.channel_points.update follows.",
		Fields: redemptionFields(),
		Example: map[string]any{"user": exampleUser("9001", "cooler_user", "Cooler_User"),
			"reward": map[string]any{"id": "92af127c-7326-4483-a52b-b0da0be61c01", "title": "title", "cost": int64(100), "prompt": "reward prompt"},
			"input":  "pogchamp", "redemption_id": "17fa2df1-ad76-4804-bfa5-a40ef63efe63", "status": "unfulfilled", "redeemed_at": "2020-07-15T17:16:03.17106713Z"}},
	hypeTrainSpec("twitch.hype_train.begin", "A hype train started.", map[string]any{
		"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(137), "progress": int64(137),
		"goal": int64(500), "top_contributions": exampleTop(), "type": "golden_kappa", "is_shared_train": false,
		"started_at": "2020-07-15T17:16:03.17106713Z", "expires_at": "2020-07-15T17:16:11.17106713Z",
		"all_time_high_level": int64(4), "all_time_high_total": int64(2845)}),
	hypeTrainSpec("twitch.hype_train.progress", "A hype train gained points.", map[string]any{
		"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(700), "progress": int64(200),
		"goal": int64(1000), "top_contributions": exampleTop(), "type": "golden_kappa", "is_shared_train": false,
		"started_at": "2020-07-15T17:16:03.17106713Z", "expires_at": "2020-07-15T17:16:11.17106713Z"}),
	hypeTrainSpec("twitch.hype_train.end", "A hype train ended.", map[string]any{
		"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(137),
		"top_contributions": exampleTop(), "type": "golden_kappa", "is_shared_train": false,
		"started_at": "2020-07-15T17:16:03.17106713Z", "ended_at": "2020-07-15T17:16:11.17106713Z",
		"cooldown_ends_at": "2020-07-15T18:16:11.17106713Z"}),
	{Type: "twitch.stream.online", Source: "twitch", Description: "The channel went live.",
		Fields: concat([]FieldSpec{
			{Name: "started_at", Type: "string", Description: "when, RFC 3339"},
			{Name: "type", Type: "string", Description: "live, playlist, watch_party, premiere or rerun"},
			{Name: "stream_id", Type: "string", Description: "the stream's id"},
		}, UserFields("broadcaster", "the channel that went live (its username makes the link https://twitch.tv/USERNAME)", false)),
		Example: map[string]any{"started_at": "2020-10-11T10:11:12.123Z", "type": "live", "stream_id": "9001",
			"broadcaster": exampleUser("1337", "cool_user", "Cool_User")}},
	{Type: "twitch.stream.offline", Source: "twitch", Description: "The channel went offline. No fields.",
		Example: map[string]any{}},
	{Type: "twitch.connected", Source: "twitch", Description: "The EventSub connection is up (at start and after each reconnect); Twitch events flow from now on.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "\"welcome\" (the session began)"}},
		Example: map[string]any{"reason": "welcome"}},
	{Type: "twitch.disconnected", Source: "twitch", Description: "The EventSub connection was lost; the client reconnects by itself and twitch.* calls fail until then.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "what happened"}},
		Example: map[string]any{"reason": "websocket: close 1006 (abnormal closure): unexpected EOF"}},
	{Type: "twitch.subscription_revoked", Source: "twitch", Description: "Twitch revoked one EventSub subscription; its events stop until the next login grants it again.",
		Fields: []FieldSpec{
			{Name: "type", Type: "string", Description: "the EventSub type, e.g. channel.follow"},
			{Name: "version", Type: "string", Description: "its version"},
			{Name: "status", Type: "string", Description: "Twitch's reason code: authorization_revoked, user_removed, version_removed, ..."},
			{Name: "id", Type: "string", Description: "the subscription's id"},
			{Name: "reason", Type: "string", Description: "the status in words"},
		},
		Example: map[string]any{"type": "channel.follow", "version": "2", "status": "authorization_revoked", "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "reason": "the user revoked the app's authorization"}},
}, channelEventSpecs)

func hypeTrainSpec(typ, desc string, example map[string]any) EventSpec {
	return EventSpec{Type: typ, Source: "twitch", Description: desc, Example: example,
		Fields: concat([]FieldSpec{
			{Name: "id", Type: "string", Description: "the hype train's id"},
			{Name: "level", Type: "integer", Optional: true, Description: "its level"},
			{Name: "total", Type: "integer", Description: "points contributed in total"},
			{Name: "progress", Type: "integer", Optional: true, Description: "points towards the next level (begin, progress)"},
			{Name: "goal", Type: "integer", Optional: true, Description: "points the next level needs (begin, progress)"},
			{Name: "top_contributions", Type: "list", Description: "the top contributors"},
			{Name: "top_contributions[]", Type: "table", Description: "one contributor"},
		}, UserFields("top_contributions[].user", "who", true), []FieldSpec{
			{Name: "top_contributions[].type", Type: "string", Description: "bits, subscription or other"},
			{Name: "top_contributions[].total", Type: "integer", Description: "their points"},
			{Name: "type", Type: "string", Description: "regular, golden_kappa or treasure"},
			{Name: "is_shared_train", Type: "boolean", Description: "shared with other channels"},
			{Name: "started_at", Type: "string", Description: "when it started, RFC 3339"},
			{Name: "expires_at", Type: "string", Optional: true, Description: "when it ends unless it levels up (begin, progress)"},
			{Name: "ended_at", Type: "string", Optional: true, Description: "when it ended (end)"},
			{Name: "cooldown_ends_at", Type: "string", Optional: true, Description: "when the next one may start (end)"},
			{Name: "all_time_high_level", Type: "integer", Optional: true, Description: "the channel's record level (begin)"},
			{Name: "all_time_high_total", Type: "integer", Optional: true, Description: "the channel's record total (begin)"},
		})}
}

// userIdentity is id, username and display_name of the user table at prefix.
func userIdentity(prefix string) []FieldSpec { return UserFields(prefix, "", false)[1:] }

func exampleUser(id, login, name string) map[string]any {
	return map[string]any{"id": id, "username": login, "display_name": name}
}

func exampleTop() []any {
	return []any{
		map[string]any{"user": exampleUser("123", "pogchamp", "PogChamp"), "type": "bits", "total": int64(50)},
		map[string]any{"user": exampleUser("456", "kappa", "Kappa"), "type": "subscription", "total": int64(45)},
	}
}

func concat(lists ...[]FieldSpec) []FieldSpec {
	var out []FieldSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
