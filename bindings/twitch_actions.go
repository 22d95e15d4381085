package bindings

import (
	"context"
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// TwitchAction is one Helix action a script asked for: Kind is the binding's
// name ("twitch.timeout", "twitch.rewards.create", ...), the other fields
// are its arguments as the binding read them (each binding's Doc says which
// it uses). The Twitch implementation turns it into the Helix request and
// returns a plain Go value for Lua (maps, lists, strings, numbers, booleans;
// nil means true for the actions that answer nothing).
type TwitchAction struct {
	Kind         string
	User         TwitchUserRef // the user acted on
	ID           string        // message, poll, prediction or reward id
	RedemptionID string        // fulfil/refund: the redemption of reward ID
	Text         string        // reason, message, title, description or winning outcome
	Color        string        // announce
	Seconds      int           // timeout, poll/prediction length, commercial; followers: how many
	Archive      bool          // end_poll
	Choices      []string      // poll choices or prediction outcomes
	// Fields are a settings table as the script gave it, checked against the
	// binding's known keys: chat_settings, update_channel, rewards.create and
	// rewards.update. Values are string, int64, float64, bool or []any.
	Fields map[string]any
}

// TwitchUserRef is a user as a script names them: an ID (an event's user
// table, or a number) or a Login (with or without @; digits may be an id).
type TwitchUserRef struct{ ID, Login string }

func (r TwitchUserRef) String() string {
	if r.Login != "" {
		return r.Login
	}
	return r.ID
}

// twitchActionsGroup adds the Helix actions to the twitch table the twitch
// group installed (it comes right after it).
var twitchActionsGroup = register(Group{
	Name: "twitch actions", Section: "Twitch actions", Order: 81, Install: installTwitchActions,
	Permissions: []Permission{
		{Name: "twitch.moderate", Risk: "high", Words: "Moderate your chat: time out, ban and unban users, delete messages, clear the chat, change chat modes (slow, followers-only, ...), post announcements and shoutouts"},
		{Name: "twitch.whisper", Risk: "medium", Words: "Send private whispers to viewers, as your bot account"},
		{Name: "twitch.channel", Risk: "high", Words: "Control your channel: change title, game and tags, run polls and predictions (spending viewers' points), create, change and delete channel point rewards and refund redemptions, start raids and ads, add stream markers, add and remove VIPs and moderators"},
	},
	Docs: twitchActionDocs(),
})

// twitchActionSpec is one action binding: its doc, its permission (also in
// the Doc) and how it reads its Lua arguments.
type twitchActionSpec struct {
	doc  Doc
	args func(L *lua.LState, a *TwitchAction)
}

func actionDoc(name, syntax, perm, summary string) Doc {
	return Doc{Name: name, Syntax: syntax, Context: "handler", Permission: perm, Yields: true, Summary: summary}
}

const (
	userWords      = " user is a login (with or without @), a user id, or a user table from an event (event.data.user)."
	broadcasterOnl = " Needs the broadcaster's own login (not a separate bot account)."
)

var twitchActionSpecs = []twitchActionSpec{
	{actionDoc("twitch.timeout", "twitch.timeout(user, seconds, reason) -> {user_id, end_time, ...} | nil, err", "twitch.moderate",
		"Times a user out for 1 to 1209600 seconds (POST /moderation/bans). The bot must be a moderator."+userWords),
		func(L *lua.LState, a *TwitchAction) {
			a.User, a.Seconds, a.Text = userArg(L, 1), int(L.CheckInt64(2)), L.OptString(3, "")
			if a.Seconds < 1 {
				L.ArgError(2, "seconds must be at least 1 (use twitch.ban for a ban)")
			}
		}},
	{actionDoc("twitch.ban", "twitch.ban(user, reason) -> {user_id, created_at, ...} | nil, err", "twitch.moderate",
		"Bans a user (POST /moderation/bans)."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User, a.Text = userArg(L, 1), L.OptString(2, "") }},
	{actionDoc("twitch.unban", "twitch.unban(user) -> true | nil, err", "twitch.moderate",
		"Lifts a ban or timeout (DELETE /moderation/bans)."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.delete_message", "twitch.delete_message(event_or_message_id) -> true | nil, err", "twitch.moderate",
		"Deletes one chat message: a twitch.chat.message event or its data.message_id (DELETE /moderation/chat)."),
		func(L *lua.LState, a *TwitchAction) { a.ID = messageIDArg(L, 1) }},
	{actionDoc("twitch.clear_chat", "twitch.clear_chat() -> true | nil, err", "twitch.moderate",
		"Deletes every message in chat (DELETE /moderation/chat)."),
		func(*lua.LState, *TwitchAction) {}},
	{actionDoc("twitch.chat_settings", "twitch.chat_settings{ slow = s, followers_only = minutes, subscribers_only, emote_only, unique } -> settings | nil, err", "twitch.moderate",
		"Changes chat modes; keys left out stay as they are (PATCH /chat/settings). slow: 3-120 seconds, or false/0 for off; followers_only: minutes of following (0 = any follower), or false for off; the others true or false. Returns Twitch's settings object."),
		func(L *lua.LState, a *TwitchAction) {
			a.Fields = fieldsArg(L, 1, map[string]string{"slow": "number|boolean", "followers_only": "number|boolean",
				"subscribers_only": "boolean", "emote_only": "boolean", "unique": "boolean"})
		}},
	{actionDoc("twitch.announce", "twitch.announce(text, color) -> true | nil, err", "twitch.moderate",
		"Sends a highlighted announcement (POST /chat/announcements); color is primary (default), blue, green, orange or purple."),
		func(L *lua.LState, a *TwitchAction) { a.Text, a.Color = L.CheckString(1), L.OptString(2, "") }},
	{actionDoc("twitch.shoutout", "twitch.shoutout(user) -> true | nil, err", "twitch.moderate",
		"Sends Twitch's official shoutout (POST /chat/shoutouts) while live. Twitch allows one every 2 minutes and the same channel once every 60 minutes: a shoutout within them returns nil and an error saying so."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.whisper", "twitch.whisper(user, text) -> true | nil, err", "twitch.whisper",
		"Whispers a user from the bot account (POST /whispers). Twitch needs a verified phone number on the bot account and limits whispers to new recipients."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User, a.Text = userArg(L, 1), L.CheckString(2) }},
	{actionDoc("twitch.update_channel", "twitch.update_channel{ title, game, tags } -> true | nil, err", "twitch.channel",
		"Changes the stream's title, game and tags (PATCH /channels); keys left out stay. game is a name, resolved through Get Games (exact) or Search Categories (closest); \"\" clears it. tags is a list of up to 10."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) {
			a.Fields = fieldsArg(L, 1, map[string]string{"title": "string", "game": "string", "tags": "table"})
		}},
	{actionDoc("twitch.create_poll", "twitch.create_poll{ title, choices, seconds } -> poll | nil, err", "twitch.channel",
		"Starts a poll of 2-5 choices lasting 15-1800 seconds (POST /polls). Returns Twitch's poll object (id, choices with ids, status, ...)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) {
			f := fieldsArg(L, 1, map[string]string{"title": "string", "choices": "table", "seconds": "number"})
			a.Text, a.Choices, a.Seconds = str(f["title"]), strList(L, f["choices"], "choices"), num(f["seconds"])
		}},
	{actionDoc("twitch.end_poll", "twitch.end_poll(id, archive) -> poll | nil, err", "twitch.channel",
		"Ends a poll (PATCH /polls): the results stay visible, or with archive = true are hidden."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID, a.Archive = L.CheckString(1), L.OptBool(2, false) }},
	{actionDoc("twitch.create_prediction", "twitch.create_prediction{ title, outcomes, seconds } -> prediction | nil, err", "twitch.channel",
		"Starts a prediction of 2-10 outcomes whose window lasts 30-1800 seconds (POST /predictions). Returns Twitch's prediction object (id, outcomes with ids, ...)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) {
			f := fieldsArg(L, 1, map[string]string{"title": "string", "outcomes": "table", "seconds": "number"})
			a.Text, a.Choices, a.Seconds = str(f["title"]), strList(L, f["outcomes"], "outcomes"), num(f["seconds"])
		}},
	{actionDoc("twitch.resolve_prediction", "twitch.resolve_prediction(id, outcome) -> prediction | nil, err", "twitch.channel",
		"Pays out a prediction to outcome: the winning outcome's id or title (PATCH /predictions)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID, a.Text = L.CheckString(1), L.CheckString(2) }},
	{actionDoc("twitch.cancel_prediction", "twitch.cancel_prediction(id) -> prediction | nil, err", "twitch.channel",
		"Cancels a prediction and refunds its points (PATCH /predictions)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID = L.CheckString(1) }},
	{actionDoc("twitch.lock_prediction", "twitch.lock_prediction(id) -> prediction | nil, err", "twitch.channel",
		"Closes a prediction to new predictions (PATCH /predictions)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID = L.CheckString(1) }},
	{actionDoc("twitch.rewards.list", "twitch.rewards.list() -> { reward, ... } | nil, err", "twitch.channel",
		"The channel's custom rewards, as Twitch's reward objects (GET /channel_points/custom_rewards)."+broadcasterOnl),
		func(*lua.LState, *TwitchAction) {}},
	{actionDoc("twitch.rewards.create", "twitch.rewards.create{ title, cost, prompt, input_required, cooldown, max_per_stream, enabled } -> reward | nil, err", "twitch.channel",
		"Creates a custom reward (POST /channel_points/custom_rewards); title and cost are required, cooldown is in seconds. Only rewards created this way can later be updated, fulfilled or refunded by modules: Twitch refuses it for rewards made elsewhere."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.Fields = fieldsArg(L, 1, rewardKeys) }},
	{actionDoc("twitch.rewards.update", "twitch.rewards.update(id, fields) -> reward | nil, err", "twitch.channel",
		"Changes a reward the engine created (PATCH /channel_points/custom_rewards); fields as for twitch.rewards.create."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID, a.Fields = L.CheckString(1), fieldsArg(L, 2, rewardKeys) }},
	{actionDoc("twitch.rewards.delete", "twitch.rewards.delete(id) -> true | nil, err", "twitch.channel",
		"Deletes a reward the engine created (DELETE /channel_points/custom_rewards)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.ID = L.CheckString(1) }},
	{actionDoc("twitch.fulfill", "twitch.fulfill(redemption_event) -> redemption | nil, err", "twitch.channel",
		"Marks a twitch.channel_points redemption fulfilled (PATCH /channel_points/custom_rewards/redemptions). Twitch allows it only for rewards the engine created (twitch.rewards.create); for others it returns nil and an error saying so."),
		func(L *lua.LState, a *TwitchAction) { a.ID, a.RedemptionID = redemptionArg(L, 1) }},
	{actionDoc("twitch.refund", "twitch.refund(redemption_event) -> redemption | nil, err", "twitch.channel",
		"Cancels a twitch.channel_points redemption, giving the viewer's points back; only for rewards the engine created, as twitch.fulfill."),
		func(L *lua.LState, a *TwitchAction) { a.ID, a.RedemptionID = redemptionArg(L, 1) }},
	{actionDoc("twitch.raid", "twitch.raid(user) -> {created_at, is_mature} | nil, err", "twitch.channel",
		"Starts a raid of user's channel (POST /raids); it leaves after Twitch's countdown unless cancelled."+userWords+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.cancel_raid", "twitch.cancel_raid() -> true | nil, err", "twitch.channel",
		"Cancels the pending raid (DELETE /raids)."+broadcasterOnl),
		func(*lua.LState, *TwitchAction) {}},
	{actionDoc("twitch.marker", "twitch.marker(description) -> {id, position_seconds, ...} | nil, err", "twitch.channel",
		"Adds a stream marker at the current moment of the live stream (POST /streams/markers); description up to 140 characters."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.Text = L.OptString(1, "") }},
	{actionDoc("twitch.commercial", "twitch.commercial(seconds) -> {length, retry_after, ...} | nil, err", "twitch.channel",
		"Runs an ad break of up to 180 seconds while live (POST /channels/commercial)."+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.Seconds = int(L.CheckInt64(1)) }},
	{actionDoc("twitch.add_vip", "twitch.add_vip(user) -> true | nil, err", "twitch.channel",
		"Makes a user a VIP (POST /channels/vips)."+userWords+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.remove_vip", "twitch.remove_vip(user) -> true | nil, err", "twitch.channel",
		"Takes VIP status away (DELETE /channels/vips)."+userWords+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.add_moderator", "twitch.add_moderator(user) -> true | nil, err", "twitch.channel",
		"Makes a user a moderator (POST /moderation/moderators)."+userWords+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.remove_moderator", "twitch.remove_moderator(user) -> true | nil, err", "twitch.channel",
		"Takes moderator status away (DELETE /moderation/moderators)."+userWords+broadcasterOnl),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.followers", "twitch.followers{ first } -> {total, followers = {{user, followed_at}, ...}} | nil, err", "",
		"The follower count and the newest first (1-100, default 20) followers (GET /channels/followers). Reading needs no permission: the same facts reach every module as events."),
		func(L *lua.LState, a *TwitchAction) {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				a.Seconds = num(fieldsArg(L, 1, map[string]string{"first": "number"})["first"])
			}
		}},
	{actionDoc("twitch.is_following", "twitch.is_following(user) -> true | false | nil, err", "",
		"Whether user follows the channel (GET /channels/followers). No permission needed."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
	{actionDoc("twitch.is_subscribed", "twitch.is_subscribed(user) -> {tier, is_gift, gifter} | false | nil, err", "",
		"user's subscription to the channel, false when not subscribed (GET /subscriptions). No permission needed; needs the broadcaster's own login."+userWords),
		func(L *lua.LState, a *TwitchAction) { a.User = userArg(L, 1) }},
}

var rewardKeys = map[string]string{"title": "string", "cost": "number", "prompt": "string", "input_required": "boolean",
	"cooldown": "number", "max_per_stream": "number", "enabled": "boolean"}

func twitchActionDocs() []Doc {
	out := make([]Doc, len(twitchActionSpecs))
	for i, s := range twitchActionSpecs {
		out[i] = s.doc
	}
	return out
}

// installTwitchActions adds every action binding to the twitch table
// (dotted names such as twitch.rewards.create go into sub-tables).
func installTwitchActions(m Module, L *lua.LState) {
	t, ok := L.GetGlobal("twitch").(*lua.LTable)
	if !ok {
		t = L.NewTable()
		L.SetGlobal("twitch", t)
	}
	for _, spec := range twitchActionSpecs {
		spec := spec
		name := spec.doc.Name
		fn := L.NewFunction(func(L *lua.LState) int {
			if spec.doc.Permission != "" {
				m.Need(L, spec.doc.Permission, name)
			}
			a := TwitchAction{Kind: name}
			spec.args(L, &a)
			return m.Wait(L, name, func(ctx context.Context) (func() []lua.LValue, error) {
				v, err := m.Twitch().TwitchAction(ctx, a)
				if err != nil {
					return nil, err
				}
				return func() []lua.LValue {
					if v == nil {
						return []lua.LValue{lua.LTrue}
					}
					return []lua.LValue{m.ToLua(v)}
				}, nil
			})
		})
		parts := strings.Split(strings.TrimPrefix(name, "twitch."), ".")
		tbl := t
		for _, p := range parts[:len(parts)-1] {
			sub, ok := tbl.RawGetString(p).(*lua.LTable)
			if !ok {
				sub = L.NewTable()
				tbl.RawSetString(p, sub)
			}
			tbl = sub
		}
		tbl.RawSetString(parts[len(parts)-1], fn)
	}
}

// userArg reads a user: a login or id string, a number (an id), or a user
// table ({id, username}) or an event whose data.user is one.
func userArg(L *lua.LState, n int) TwitchUserRef {
	switch v := L.Get(n).(type) {
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if strings.TrimPrefix(s, "@") == "" {
			L.ArgError(n, "empty user")
		}
		return TwitchUserRef{Login: s}
	case lua.LNumber:
		return TwitchUserRef{ID: v.String()}
	case *lua.LTable:
		t := v
		if d, ok := t.RawGetString("data").(*lua.LTable); ok { // an event
			if u, ok := d.RawGetString("user").(*lua.LTable); ok {
				t = u
			}
		}
		ref := TwitchUserRef{ID: luaStr(t.RawGetString("id")), Login: luaStr(t.RawGetString("username"))}
		if ref.Login == "" {
			ref.Login = luaStr(t.RawGetString("login"))
		}
		if ref.ID == "" && ref.Login == "" {
			L.ArgError(n, "user table without id or username (pass a login, an id, or event.data.user)")
		}
		return ref
	}
	L.ArgError(n, "user expected: a login, an id or a user table, got "+L.Get(n).Type().String())
	return TwitchUserRef{}
}

func luaStr(v lua.LValue) string {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return v.String()
	}
	return ""
}

// messageIDArg reads a message id, or the data.message_id of an event.
func messageIDArg(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case *lua.LTable:
		t := v
		if d, ok := t.RawGetString("data").(*lua.LTable); ok {
			t = d
		}
		if id := luaStr(t.RawGetString("message_id")); id != "" {
			return id
		}
	}
	L.ArgError(n, "a twitch.chat.message event or a message id expected")
	return ""
}

// redemptionArg reads the reward id and redemption id of a
// twitch.channel_points event (or of its data table).
func redemptionArg(L *lua.LState, n int) (reward, redemption string) {
	t := L.CheckTable(n)
	if d, ok := t.RawGetString("data").(*lua.LTable); ok {
		t = d
	}
	redemption = luaStr(t.RawGetString("redemption_id"))
	if r, ok := t.RawGetString("reward").(*lua.LTable); ok {
		reward = luaStr(r.RawGetString("id"))
	}
	if reward == "" {
		reward = luaStr(t.RawGetString("reward_id"))
	}
	if reward == "" || redemption == "" {
		L.ArgError(n, "a twitch.channel_points event expected (with data.reward.id and data.redemption_id)")
	}
	return reward, redemption
}

// fieldsArg reads a settings table whose keys must be among known (key ->
// the Lua types it accepts, "|"-separated); an unknown key or a wrong type
// is an argument error naming it.
func fieldsArg(L *lua.LState, n int, allowed map[string]string) map[string]any {
	t := L.CheckTable(n)
	out := map[string]any{}
	var bad string
	t.ForEach(func(k, v lua.LValue) {
		if bad != "" {
			return
		}
		ks, ok := k.(lua.LString)
		types, isKnown := allowed[string(ks)]
		if !ok || !isKnown {
			bad = fmt.Sprintf("unknown key %s (known: %s)", k.String(), strings.Join(sortedKeys(allowed), ", "))
			return
		}
		if !slices.Contains(strings.Split(types, "|"), v.Type().String()) {
			bad = fmt.Sprintf("%s must be a %s, got %s", ks, strings.ReplaceAll(types, "|", " or "), v.Type())
			return
		}
		g, err := fromLua(v)
		if err != nil {
			bad = fmt.Sprintf("%s: %v", ks, err)
			return
		}
		out[string(ks)] = g
	})
	if bad != "" {
		L.ArgError(n, bad)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}

func strList(L *lua.LState, v any, what string) []string {
	list, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap && len(m) == 0 {
			return nil
		}
		if v == nil {
			return nil
		}
		L.ArgError(1, what+" must be a list of texts")
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			L.ArgError(1, what+" must be a list of texts")
		}
		out = append(out, s)
	}
	return out
}
