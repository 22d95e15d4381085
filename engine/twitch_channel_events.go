package engine

// channelEventSpecs documents the events of events_channel.go (issue 15);
// each Example is what the mapper makes of Twitch's example payload in
// testdata.
var channelEventSpecs = []EventSpec{
	{Type: "twitch.channel.update", Source: "twitch", Description: "The broadcaster changed the stream's title, category (game), language or content labels (EventSub channel.update v2). Twitch does not send the tags in this event.",
		Fields: []FieldSpec{
			{Name: "title", Type: "string", Description: "the stream's title"},
			{Name: "language", Type: "string", Description: "the broadcast language, an ISO 639-1 code such as \"en\""},
			{Name: "game", Type: "string", Description: "the category (game) name, \"\" when none"},
			{Name: "game_id", Type: "string", Description: "the category id, \"\" when none"},
			{Name: "content_classification_labels", Type: "list", Description: "content labels (MatureGame, ProfanityVulgarity, ...)"},
			{Name: "content_classification_labels[]", Type: "string", Description: "one label id"},
		},
		Example: map[string]any{"title": "Best Stream Ever", "language": "en", "game": "Grand Theft Auto", "game_id": "12453",
			"content_classification_labels": []any{"MatureGame"}}},
	{Type: "twitch.ban", Source: "twitch", Description: "A viewer was banned or timed out (EventSub channel.ban; needs channel:moderate from the broadcaster).",
		Fields: concat(UserFields("user", "who was banned or timed out", false),
			UserFields("moderator", "who did it", false), []FieldSpec{
				{Name: "reason", Type: "string", Description: "the reason given, \"\" when none"},
				{Name: "banned_at", Type: "string", Description: "when, RFC 3339"},
				{Name: "is_permanent", Type: "boolean", Description: "a ban (true) or a timeout (false)"},
				{Name: "ends_at", Type: "string", Optional: true, Description: "timeouts: when it ends, RFC 3339"},
				{Name: "seconds", Type: "integer", Optional: true, Description: "timeouts: its length (ends_at - banned_at)"},
			}),
		Example: map[string]any{"user": exampleUser("1234", "cool_user", "Cool_User"), "moderator": exampleUser("1339", "mod_user", "Mod_User"),
			"reason": "Offensive language", "banned_at": "2020-07-15T18:15:11.17106713Z", "ends_at": "2020-07-15T18:16:11.17106713Z",
			"seconds": int64(60), "is_permanent": false}},
	{Type: "twitch.unban", Source: "twitch", Description: "A viewer was unbanned (EventSub channel.unban; needs channel:moderate from the broadcaster).",
		Fields:  concat(UserFields("user", "who was unbanned", false), UserFields("moderator", "who did it", false)),
		Example: map[string]any{"user": exampleUser("1234", "cool_user", "Cool_User"), "moderator": exampleUser("1339", "mod_user", "Mod_User")}},
	{Type: "twitch.moderator.add", Source: "twitch", Description: "Someone was made a moderator of the channel (EventSub channel.moderator.add).",
		Fields:  UserFields("user", "the new moderator", false),
		Example: map[string]any{"user": exampleUser("1234", "mod_user", "Mod_User")}},
	{Type: "twitch.moderator.remove", Source: "twitch", Description: "Someone is no longer a moderator of the channel (EventSub channel.moderator.remove).",
		Fields:  UserFields("user", "the former moderator", false),
		Example: map[string]any{"user": exampleUser("1234", "not_mod_user", "Not_Mod_User")}},
	pollSpec("twitch.poll.begin", "A poll started (EventSub channel.poll.begin). Votes are 0.", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "choices": examplePollChoices(0, 0, 0, 0, 0, 0),
		"channel_points_voting": map[string]any{"enabled": true, "amount_per_vote": int64(10)},
		"started_at":            "2020-07-15T17:16:03.17106713Z", "ends_at": "2020-07-15T17:16:08.17106713Z"}),
	pollSpec("twitch.poll.progress", "Votes came in (EventSub channel.poll.progress).", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "choices": examplePollChoices(12, 7, 14, 4, 7, 7),
		"channel_points_voting": map[string]any{"enabled": true, "amount_per_vote": int64(10)},
		"started_at":            "2020-07-15T17:16:03.17106713Z", "ends_at": "2020-07-15T17:16:08.17106713Z"}),
	pollSpec("twitch.poll.end", "A poll ended (EventSub channel.poll.end): completed, terminated or archived.", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "choices": examplePollChoices(12, 7, 14, 4, 7, 7),
		"channel_points_voting": map[string]any{"enabled": true, "amount_per_vote": int64(10)},
		"started_at":            "2020-07-15T17:16:03.17106713Z", "status": "completed", "ended_at": "2020-07-15T17:16:11.17106713Z"}),
	predictionSpec("twitch.prediction.begin", "A prediction started (EventSub channel.prediction.begin). Users and points are 0.", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "outcomes": examplePredictionOutcomes(false, false),
		"started_at": "2020-07-15T17:16:03.17106713Z", "locks_at": "2020-07-15T17:21:03.17106713Z"}),
	predictionSpec("twitch.prediction.progress", "Points were placed on a prediction (EventSub channel.prediction.progress).", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "outcomes": examplePredictionOutcomes(true, false),
		"started_at": "2020-07-15T17:16:03.17106713Z", "locks_at": "2020-07-15T17:21:03.17106713Z"}),
	predictionSpec("twitch.prediction.lock", "A prediction stopped taking points (EventSub channel.prediction.lock).", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "outcomes": examplePredictionOutcomes(true, false),
		"started_at": "2020-07-15T17:16:03.17106713Z", "locked_at": "2020-07-15T17:21:03.17106713Z"}),
	predictionSpec("twitch.prediction.end", "A prediction was resolved or canceled (EventSub channel.prediction.end).", map[string]any{
		"id": "1243456", "title": "Aren’t shoes just really hard socks?", "outcomes": examplePredictionOutcomes(true, true),
		"winning_outcome_id": "1243456", "status": "resolved",
		"started_at": "2020-07-15T17:16:03.17106713Z", "ended_at": "2020-07-15T17:16:11.17106713Z"}),
	{Type: "twitch.shoutout.create", Source: "twitch", Description: "The channel gave another channel an official shoutout (EventSub channel.shoutout.create, read as the bot, a moderator).",
		Fields: concat(UserFields("to_broadcaster", "the channel shouted out", false),
			UserFields("moderator", "who sent it", false), []FieldSpec{
				{Name: "viewer_count", Type: "integer", Description: "viewers who saw it"},
				{Name: "started_at", Type: "string", Description: "when, RFC 3339"},
				{Name: "cooldown_ends_at", Type: "string", Description: "when the channel may shout out anyone again (2 minutes)"},
				{Name: "target_cooldown_ends_at", Type: "string", Description: "when it may shout out this channel again (60 minutes)"},
			}),
		Example: map[string]any{"to_broadcaster": exampleUser("626262", "sandysanderman", "SandySanderman"),
			"moderator":    exampleUser("98765", "particularlyparticular123", "ParticularlyParticular123"),
			"viewer_count": int64(860), "started_at": "2022-07-26T17:00:03.17106713Z",
			"cooldown_ends_at": "2022-07-26T17:02:03.17106713Z", "target_cooldown_ends_at": "2022-07-26T18:00:03.17106713Z"}},
	{Type: "twitch.shoutout.receive", Source: "twitch", Description: "Another channel gave this one an official shoutout (EventSub channel.shoutout.receive).",
		Fields: concat(UserFields("from_broadcaster", "the channel that sent it", false), []FieldSpec{
			{Name: "viewer_count", Type: "integer", Description: "viewers who saw it"},
			{Name: "started_at", Type: "string", Description: "when, RFC 3339"},
		}),
		Example: map[string]any{"from_broadcaster": exampleUser("12345", "simplysimple", "SimplySimple"),
			"viewer_count": int64(860), "started_at": "2022-07-26T17:00:03.17106713Z"}},
	{Type: "twitch.ad_break.begin", Source: "twitch", Description: "A midroll ad break started, run by hand or by the ads manager (EventSub channel.ad_break.begin).",
		Fields: concat([]FieldSpec{
			{Name: "duration_seconds", Type: "integer", Description: "its length"},
			{Name: "started_at", Type: "string", Description: "when, RFC 3339 (viewers may see the ads a little later)"},
			{Name: "is_automatic", Type: "boolean", Description: "scheduled by the ads manager"},
		}, UserFields("requester", "who ran it (the broadcaster for automatic ads)", false)),
		Example: map[string]any{"duration_seconds": int64(60), "started_at": "2019-11-16T10:11:12.634234626Z", "is_automatic": false,
			"requester": exampleUser("1337", "cool_user", "Cool_User")}},
	chatNotificationSpec(),
	{Type: "twitch.chat.message_delete", Source: "twitch", Description: "A moderator deleted one chat message (EventSub channel.chat.message_delete).",
		Fields: concat(UserFields("user", "who wrote the message", false),
			[]FieldSpec{{Name: "message_id", Type: "string", Description: "the deleted message's id (twitch.chat.message's message_id)"}}),
		Example: map[string]any{"user": exampleUser("7734", "uncool_viewer", "Uncool_viewer"), "message_id": "ab24e0b0-2260-4bac-94e4-05eedd4ecd0e"}},
	{Type: "twitch.chat.clear", Source: "twitch", Description: "A moderator cleared the whole chat (EventSub channel.chat.clear). No fields.",
		Example: map[string]any{}},
	{Type: "twitch.channel_points.update", Source: "twitch", Description: "A redemption's status changed: a moderator or a module (twitch.fulfill, twitch.refund) marked it fulfilled or canceled (EventSub channel.channel_points_custom_reward_redemption.update). The fields are twitch.channel_points'.",
		Fields: redemptionFields(),
		Example: map[string]any{"user": exampleUser("9001", "cooler_user", "Cooler_User"),
			"reward": map[string]any{"id": "92af127c-7326-4483-a52b-b0da0be61c01", "title": "title", "cost": int64(100), "prompt": "reward prompt"},
			"input":  "pogchamp", "redemption_id": "17fa2df1-ad76-4804-bfa5-a40ef63efe63", "status": "fulfilled", "redeemed_at": "2020-07-15T17:16:03.17106713Z"}},
}

// redemptionFields are the fields of twitch.channel_points and its .update.
func redemptionFields() []FieldSpec {
	return concat(UserFields("user", "who redeemed it", false), []FieldSpec{
		{Name: "reward", Type: "table", Description: "the reward"},
		{Name: "reward.id", Type: "string", Description: "its id"},
		{Name: "reward.title", Type: "string", Description: "its title"},
		{Name: "reward.cost", Type: "integer", Description: "its cost in points"},
		{Name: "reward.prompt", Type: "string", Description: "its description"},
		{Name: "input", Type: "string", Description: "what the user typed, \"\" when the reward asks nothing"},
		{Name: "redemption_id", Type: "string", Description: "this redemption's id"},
		{Name: "status", Type: "string", Description: "unfulfilled, fulfilled or canceled"},
		{Name: "redeemed_at", Type: "string", Description: "when, RFC 3339"},
	})
}

func pollSpec(typ, desc string, example map[string]any) EventSpec {
	return EventSpec{Type: typ, Source: "twitch", Description: desc, Example: example, Fields: []FieldSpec{
		{Name: "id", Type: "string", Description: "the poll's id (twitch.end_poll takes it)"},
		{Name: "title", Type: "string", Description: "the question"},
		{Name: "choices", Type: "list", Description: "the choices, in order"},
		{Name: "choices[]", Type: "table", Description: "one choice"},
		{Name: "choices[].id", Type: "string", Description: "its id"},
		{Name: "choices[].title", Type: "string", Description: "its text"},
		{Name: "choices[].votes", Type: "integer", Description: "votes in total"},
		{Name: "choices[].channel_points_votes", Type: "integer", Description: "votes bought with channel points"},
		{Name: "channel_points_voting", Type: "table", Description: "extra votes for channel points"},
		{Name: "channel_points_voting.enabled", Type: "boolean", Description: "allowed"},
		{Name: "channel_points_voting.amount_per_vote", Type: "integer", Description: "points per extra vote"},
		{Name: "started_at", Type: "string", Description: "when it started, RFC 3339"},
		{Name: "ends_at", Type: "string", Optional: true, Description: "begin, progress: when it will end"},
		{Name: "status", Type: "string", Optional: true, Description: "end: completed, terminated or archived"},
		{Name: "ended_at", Type: "string", Optional: true, Description: "end: when it ended"},
	}}
}

func examplePollChoices(v1, cp1, v2, cp2, v3, cp3 int64) []any {
	c := func(id, title string, v, cp int64) map[string]any {
		return map[string]any{"id": id, "title": title, "votes": v, "channel_points_votes": cp}
	}
	return []any{c("123", "Yeah!", v1, cp1), c("124", "No!", v2, cp2), c("125", "Maybe!", v3, cp3)}
}

func predictionSpec(typ, desc string, example map[string]any) EventSpec {
	return EventSpec{Type: typ, Source: "twitch", Description: desc, Example: example, Fields: concat([]FieldSpec{
		{Name: "id", Type: "string", Description: "the prediction's id (twitch.resolve_prediction, .lock_prediction and .cancel_prediction take it)"},
		{Name: "title", Type: "string", Description: "the question"},
		{Name: "outcomes", Type: "list", Description: "the outcomes, in order"},
		{Name: "outcomes[]", Type: "table", Description: "one outcome"},
		{Name: "outcomes[].id", Type: "string", Description: "its id"},
		{Name: "outcomes[].title", Type: "string", Description: "its text"},
		{Name: "outcomes[].color", Type: "string", Description: "blue or pink"},
		{Name: "outcomes[].users", Type: "integer", Description: "users who placed points on it"},
		{Name: "outcomes[].channel_points", Type: "integer", Description: "points placed on it"},
		{Name: "outcomes[].top_predictors", Type: "list", Description: "up to 10 users who placed the most points"},
		{Name: "outcomes[].top_predictors[]", Type: "table", Description: "one of them"},
	}, UserFields("outcomes[].top_predictors[].user", "who", false), []FieldSpec{
		{Name: "outcomes[].top_predictors[].channel_points_used", Type: "integer", Description: "points placed"},
		{Name: "outcomes[].top_predictors[].channel_points_won", Type: "integer", Optional: true, Description: "end: points won (0 for a losing outcome); absent before"},
		{Name: "started_at", Type: "string", Description: "when it started, RFC 3339"},
		{Name: "locks_at", Type: "string", Optional: true, Description: "begin, progress: when it stops taking points"},
		{Name: "locked_at", Type: "string", Optional: true, Description: "lock: when it stopped taking points"},
		{Name: "winning_outcome_id", Type: "string", Optional: true, Description: "end: the winning outcome (absent when canceled)"},
		{Name: "status", Type: "string", Optional: true, Description: "end: resolved or canceled"},
		{Name: "ended_at", Type: "string", Optional: true, Description: "end: when it ended"},
	})}
}

func examplePredictionOutcomes(progress, end bool) []any {
	tp := func(id, login, name string, used, won int64) map[string]any {
		m := map[string]any{"user": exampleUser(id, login, name), "channel_points_used": used}
		if end {
			m["channel_points_won"] = won
		}
		return m
	}
	blue := map[string]any{"id": "1243456", "title": "Yeah!", "color": "blue", "users": int64(0), "channel_points": int64(0), "top_predictors": []any{}}
	pink := map[string]any{"id": "2243456", "title": "No!", "color": "pink", "users": int64(0), "channel_points": int64(0), "top_predictors": []any{}}
	if progress {
		blue["users"], blue["channel_points"] = int64(10), int64(15000)
		blue["top_predictors"] = []any{tp("1234", "cool_user", "Cool_User", 500, 10000), tp("1236", "coolest_user", "Coolest_User", 200, 4000)}
		pink["users"], pink["channel_points"] = int64(5), int64(5000)
		pink["top_predictors"] = []any{tp("1235", "cooler_user", "Cooler_User", 5000, 0)}
	}
	return []any{blue, pink}
}

func chatNotificationSpec() EventSpec {
	detail := func(name, desc string, fields ...FieldSpec) []FieldSpec {
		out := []FieldSpec{{Name: name, Type: "table", Optional: true, Description: desc}}
		for _, f := range fields {
			f.Name = name + "." + f.Name
			out = append(out, f)
		}
		return out
	}
	f := func(name, typ, desc string) FieldSpec {
		return FieldSpec{Name: name, Type: typ, Description: desc}
	}
	opt := func(name, typ, desc string) FieldSpec {
		return FieldSpec{Name: name, Type: typ, Optional: true, Description: desc}
	}
	userOf := func(prefix, desc string, optional bool) []FieldSpec {
		return UserFields(prefix, desc, optional)
	}
	return EventSpec{Type: "twitch.chat.notification", Source: "twitch",
		Description: "A notice Twitch shows in chat (EventSub channel.chat.notification): subs, resubs, gifts, raids, announcements, bits badge tiers, charity donations, ... as Twitch sends them. notice_type says which; the details are in the field of that name (for shared_chat_<type>, in <type>). Subs, resubs, gifts and raids also arrive as twitch.subscription, twitch.gift and twitch.raid: an alert should handle one or the other, not both.",
		Fields: concat(userOf("user", "who it is about; nil when anonymous", true), []FieldSpec{
			f("is_anonymous", "boolean", "the chatter is anonymous (an anonymous gifter)"),
			f("notice_type", "string", "sub, resub, sub_gift, community_sub_gift, gift_paid_upgrade, prime_paid_upgrade, raid, unraid, pay_it_forward, announcement, bits_badge_tier, charity_donation, or shared_chat_ and one of those"),
			f("system_message", "string", "the notice as Twitch words it"),
			f("message", "string", "what the user added, \"\" when nothing"),
			f("message_id", "string", "the notice's id"),
			f("color", "string", "the user's name color, \"#RRGGBB\" or \"\""),
			f("badges", "list", "the user's badges"),
			f("badges[]", "table", "one badge"),
			f("badges[].set_id", "string", "badge kind"),
			f("badges[].id", "string", "badge version"),
			opt("badges[].info", "string", "extra detail"),
		}, userOf("source_broadcaster", "shared chat: the channel the notice came from", true), []FieldSpec{
			opt("source_message_id", "string", "shared chat: the notice's id there"),
		},
			detail("sub", "sub: a new subscription", f("sub_tier", "string", "\"1000\", \"2000\" or \"3000\""),
				f("is_prime", "boolean", "with Prime"), f("duration_months", "integer", "months paid for")),
			detail("resub", "resub: a resubscription shared in chat",
				f("cumulative_months", "integer", "months in total"), f("duration_months", "integer", "months paid for"),
				opt("streak_months", "integer", "consecutive months, when shared"), f("sub_tier", "string", "the tier"),
				opt("is_prime", "boolean", "with Prime"), f("is_gift", "boolean", "gifted"),
				opt("gifter_is_anonymous", "boolean", "gifted anonymously")),
			userOf("resub.gifter", "who gifted it, when gifted and not anonymous", true),
			detail("sub_gift", "sub_gift: one gifted subscription",
				f("duration_months", "integer", "months gifted"), opt("cumulative_total", "integer", "the gifter's gifts in the channel, when shared"),
				f("sub_tier", "string", "the tier"), opt("community_gift_id", "string", "the community gift it is part of")),
			userOf("sub_gift.recipient", "who received it", false),
			detail("community_sub_gift", "community_sub_gift: subscriptions gifted to the community",
				f("id", "string", "its id (sub_gift.community_gift_id)"), f("total", "integer", "subscriptions gifted"),
				f("sub_tier", "string", "the tier"), opt("cumulative_total", "integer", "the gifter's gifts in the channel, when shared")),
			detail("gift_paid_upgrade", "gift_paid_upgrade: a gifted subscription made paid",
				f("gifter_is_anonymous", "boolean", "the gift was anonymous")),
			userOf("gift_paid_upgrade.gifter", "who gifted it, when not anonymous", true),
			detail("prime_paid_upgrade", "prime_paid_upgrade: a Prime subscription made paid", f("sub_tier", "string", "the tier")),
			detail("raid", "raid: a raid into the channel", f("viewer_count", "integer", "viewers brought along"),
				f("profile_image_url", "string", "the raider's picture")),
			userOf("raid.user", "the raiding channel", false),
			detail("unraid", "unraid: a raid was canceled (no fields)"),
			detail("pay_it_forward", "pay_it_forward: a gift paid forward", f("gifter_is_anonymous", "boolean", "the first gift was anonymous")),
			userOf("pay_it_forward.gifter", "who gave the first gift, when not anonymous", true),
			detail("announcement", "announcement: a moderator's announcement (the text is message)", f("color", "string", "BLUE, GREEN, ORANGE, PURPLE or PRIMARY")),
			detail("bits_badge_tier", "bits_badge_tier: the user reached a new bits badge", f("tier", "integer", "the badge's tier (bits)")),
			detail("charity_donation", "charity_donation: a donation to the channel's charity campaign",
				f("charity_name", "string", "the charity"), f("amount", "table", "the amount"),
				f("amount.value", "integer", "in the currency's smallest unit"), f("amount.decimal_place", "integer", "decimal places of value"),
				f("amount.currency", "string", "ISO 4217 code")),
		),
		Example: map[string]any{"user": exampleUser("49912639", "viewer23", "viewer23"), "is_anonymous": false,
			"notice_type": "resub", "system_message": "viewer23 subscribed at Tier 1. They've subscribed for 10 months!",
			"message": "", "message_id": "d62235c8-47ff-a4f4-84e8-5a29a65a9c03", "color": "", "badges": []any{},
			"resub": map[string]any{"cumulative_months": int64(10), "duration_months": int64(0), "sub_tier": "1000",
				"is_prime": false, "is_gift": false}},
	}
}
