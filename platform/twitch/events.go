package twitch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// subSpec is one EventSub subscription the client creates per session.
type subSpec struct {
	Type, Version string
	// Scopes are the scopes Twitch accepts for it, any one suffices (nil when
	// it needs none). The first, the least powerful, is the one the login
	// asks for (EventScopes); a module permission may bring another.
	Scopes    []string
	condition func(identity) map[string]string
}

// scope names the scopes a spec needs, for messages: "a or b".
func (s subSpec) scope() string { return strings.Join(s.Scopes, " or ") }

// granted reports whether a token with these scopes may create it; true
// when the scopes are unknown (the token could not be validated).
func (s subSpec) granted(scopes []string) bool {
	if len(s.Scopes) == 0 || len(scopes) == 0 {
		return true
	}
	for _, x := range s.Scopes {
		if slices.Contains(scopes, x) {
			return true
		}
	}
	return false
}

func byBroadcaster(id identity) map[string]string {
	return map[string]string{"broadcaster_user_id": id.broadcasterID}
}

// asModerator is the condition of the types a moderator (the bot) reads.
func asModerator(id identity) map[string]string {
	return map[string]string{"broadcaster_user_id": id.broadcasterID, "moderator_user_id": id.botID}
}

// asChatter is the condition of the chat types, read as the bot's user.
func asChatter(id identity) map[string]string {
	return map[string]string{"broadcaster_user_id": id.broadcasterID, "user_id": id.botID}
}

func scopes(s ...string) []string { return s }

// subscriptions is every subscription the client creates, in creation
// order: those of issue 3, then those of issue 15 (events_channel.go maps
// them). Versions, conditions and scopes are Twitch's EventSub reference.
var subscriptions = []subSpec{
	{"channel.chat.message", "1", scopes("user:read:chat"), asChatter},
	{"channel.follow", "2", scopes("moderator:read:followers"), asModerator},
	{"channel.subscribe", "1", scopes("channel:read:subscriptions"), byBroadcaster},
	{"channel.subscription.gift", "1", scopes("channel:read:subscriptions"), byBroadcaster},
	{"channel.subscription.message", "1", scopes("channel:read:subscriptions"), byBroadcaster},
	{"channel.raid", "1", nil, func(id identity) map[string]string {
		return map[string]string{"to_broadcaster_user_id": id.broadcasterID}
	}},
	{"channel.cheer", "1", scopes("bits:read"), byBroadcaster},
	{"channel.channel_points_custom_reward_redemption.add", "1", scopes("channel:read:redemptions", "channel:manage:redemptions"), byBroadcaster},
	{"channel.hype_train.begin", "2", scopes("channel:read:hype_train"), byBroadcaster},
	{"channel.hype_train.progress", "2", scopes("channel:read:hype_train"), byBroadcaster},
	{"channel.hype_train.end", "2", scopes("channel:read:hype_train"), byBroadcaster},
	{"stream.online", "1", nil, byBroadcaster},
	{"stream.offline", "1", nil, byBroadcaster},

	{"channel.update", "2", nil, byBroadcaster},
	{"channel.ban", "1", scopes("channel:moderate"), byBroadcaster},
	{"channel.unban", "1", scopes("channel:moderate"), byBroadcaster},
	{"channel.moderator.add", "1", scopes("moderation:read", "channel:manage:moderators"), byBroadcaster},
	{"channel.moderator.remove", "1", scopes("moderation:read", "channel:manage:moderators"), byBroadcaster},
	{"channel.poll.begin", "1", scopes("channel:read:polls", "channel:manage:polls"), byBroadcaster},
	{"channel.poll.progress", "1", scopes("channel:read:polls", "channel:manage:polls"), byBroadcaster},
	{"channel.poll.end", "1", scopes("channel:read:polls", "channel:manage:polls"), byBroadcaster},
	{"channel.prediction.begin", "1", scopes("channel:read:predictions", "channel:manage:predictions"), byBroadcaster},
	{"channel.prediction.progress", "1", scopes("channel:read:predictions", "channel:manage:predictions"), byBroadcaster},
	{"channel.prediction.lock", "1", scopes("channel:read:predictions", "channel:manage:predictions"), byBroadcaster},
	{"channel.prediction.end", "1", scopes("channel:read:predictions", "channel:manage:predictions"), byBroadcaster},
	{"channel.shoutout.create", "1", scopes("moderator:read:shoutouts", "moderator:manage:shoutouts"), asModerator},
	{"channel.shoutout.receive", "1", scopes("moderator:read:shoutouts", "moderator:manage:shoutouts"), asModerator},
	{"channel.ad_break.begin", "1", scopes("channel:read:ads"), byBroadcaster},
	{"channel.chat.notification", "1", scopes("user:read:chat"), asChatter},
	{"channel.chat.message_delete", "1", scopes("user:read:chat"), asChatter},
	{"channel.chat.clear", "1", scopes("user:read:chat"), asChatter},
	{"channel.channel_points_custom_reward_redemption.update", "1", scopes("channel:read:redemptions", "channel:manage:redemptions"), byBroadcaster},
}

// subscriptionScopes is the first scope of each subscription, once each, in
// creation order: what the login asks for so that every event can arrive.
func subscriptionScopes() []string {
	var out []string
	for _, s := range subscriptions {
		if len(s.Scopes) > 0 && !slices.Contains(out, s.Scopes[0]) {
			out = append(out, s.Scopes[0])
		}
	}
	return out
}

// user is the one shape of every Twitch user in event data; nil when the
// user is unknown (anonymous).
func user(id, login, name string) any {
	if id == "" && login == "" {
		return nil
	}
	return map[string]any{"id": id, "username": login, "display_name": name}
}

type badge struct {
	SetID string `json:"set_id"`
	ID    string `json:"id"`
	Info  string `json:"info"`
}

func badgeList(bs []badge) []any {
	out := make([]any, 0, len(bs))
	for _, b := range bs {
		out = append(out, map[string]any{"set_id": b.SetID, "id": b.ID, "info": b.Info})
	}
	return out
}

type chatMessageEvent struct {
	BroadcasterUserID string `json:"broadcaster_user_id"`
	ChatterUserID     string `json:"chatter_user_id"`
	ChatterUserLogin  string `json:"chatter_user_login"`
	ChatterUserName   string `json:"chatter_user_name"`
	MessageID         string `json:"message_id"`
	Message           struct {
		Text string `json:"text"`
	} `json:"message"`
	MessageType string  `json:"message_type"`
	Color       string  `json:"color"`
	Badges      []badge `json:"badges"`
	Cheer       *struct {
		Bits int64 `json:"bits"`
	} `json:"cheer"`
	Reply *struct {
		ParentMessageID   string `json:"parent_message_id"`
		ParentMessageBody string `json:"parent_message_body"`
		ParentUserID      string `json:"parent_user_id"`
		ParentUserLogin   string `json:"parent_user_login"`
		ParentUserName    string `json:"parent_user_name"`
		ThreadMessageID   string `json:"thread_message_id"`
		ThreadUserID      string `json:"thread_user_id"`
		ThreadUserLogin   string `json:"thread_user_login"`
		ThreadUserName    string `json:"thread_user_name"`
	} `json:"reply"`
	ChannelPointsCustomRewardID *string `json:"channel_points_custom_reward_id"`
}

// flags derives the role flags from badges.
func flags(bs []badge, chatterID, broadcasterID string) (broadcaster, moderator, vip, subscriber bool) {
	broadcaster = chatterID != "" && chatterID == broadcasterID
	for _, b := range bs {
		switch b.SetID {
		case "broadcaster":
			broadcaster = true
		case "moderator", "lead_moderator":
			moderator = true
		case "vip":
			vip = true
		case "subscriber", "founder":
			subscriber = true
		}
	}
	return
}

func mapChat(e chatMessageEvent) map[string]any {
	b, m, v, s := flags(e.Badges, e.ChatterUserID, e.BroadcasterUserID)
	u := map[string]any{"id": e.ChatterUserID, "username": e.ChatterUserLogin, "display_name": e.ChatterUserName,
		"badges": badgeList(e.Badges), "broadcaster": b, "moderator": m, "vip": v, "subscriber": s}
	data := map[string]any{"user": u, "message": e.Message.Text, "message_id": e.MessageID,
		"badges": badgeList(e.Badges), "message_type": e.MessageType, "color": e.Color}
	if e.Reply != nil {
		data["reply"] = map[string]any{
			"parent_message_id":   e.Reply.ParentMessageID,
			"parent_message_body": e.Reply.ParentMessageBody,
			"parent_user":         user(e.Reply.ParentUserID, e.Reply.ParentUserLogin, e.Reply.ParentUserName),
			"thread_message_id":   e.Reply.ThreadMessageID,
			"thread_user":         user(e.Reply.ThreadUserID, e.Reply.ThreadUserLogin, e.Reply.ThreadUserName),
		}
	}
	if e.Cheer != nil {
		data["bits"] = e.Cheer.Bits
	}
	if e.ChannelPointsCustomRewardID != nil {
		data["reward_id"] = *e.ChannelPointsCustomRewardID
	}
	return data
}

// userFields is the user_id/user_login/user_name triple most events carry.
type userFields struct {
	UserID    string `json:"user_id"`
	UserLogin string `json:"user_login"`
	UserName  string `json:"user_name"`
}

func (u userFields) user() any { return user(u.UserID, u.UserLogin, u.UserName) }

type contribution struct {
	userFields
	Type  string `json:"type"`
	Total int64  `json:"total"`
}

type hypeTrainEvent struct {
	ID               string         `json:"id"`
	Level            *int64         `json:"level"`
	Total            int64          `json:"total"`
	Progress         *int64         `json:"progress"`
	Goal             *int64         `json:"goal"`
	TopContributions []contribution `json:"top_contributions"`
	Type             string         `json:"type"`
	IsSharedTrain    bool           `json:"is_shared_train"`
	StartedAt        string         `json:"started_at"`
	ExpiresAt        string         `json:"expires_at"`
	EndedAt          string         `json:"ended_at"`
	CooldownEndsAt   string         `json:"cooldown_ends_at"`
	AllTimeHighLevel *int64         `json:"all_time_high_level"`
	AllTimeHighTotal *int64         `json:"all_time_high_total"`
}

func mapHypeTrain(e hypeTrainEvent) map[string]any {
	top := make([]any, 0, len(e.TopContributions))
	for _, c := range e.TopContributions {
		top = append(top, map[string]any{"user": c.user(), "type": c.Type, "total": c.Total})
	}
	data := map[string]any{"id": e.ID, "total": e.Total, "top_contributions": top, "type": e.Type,
		"is_shared_train": e.IsSharedTrain, "started_at": e.StartedAt}
	opt := func(k string, v *int64) {
		if v != nil {
			data[k] = *v
		}
	}
	opt("level", e.Level)
	opt("progress", e.Progress)
	opt("goal", e.Goal)
	opt("all_time_high_level", e.AllTimeHighLevel)
	opt("all_time_high_total", e.AllTimeHighTotal)
	for k, v := range map[string]string{"expires_at": e.ExpiresAt, "ended_at": e.EndedAt, "cooldown_ends_at": e.CooldownEndsAt} {
		if v != "" {
			data[k] = v
		}
	}
	return data
}

// mapNotification turns one EventSub notification event into the
// normalized twitch.* event that EventSpecs documents. ok=false for a type the client
// does not know (it is logged, not emitted).
func mapNotification(subType string, raw json.RawMessage) (typ string, data map[string]any, ok bool, err error) {
	dec := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("twitch: %s event: %w", subType, err)
		}
		return nil
	}
	switch subType {
	case "channel.chat.message":
		var e chatMessageEvent
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.chat.message", mapChat(e), true, nil
	case "channel.follow":
		var e struct {
			userFields
			FollowedAt string `json:"followed_at"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.follow", map[string]any{"user": e.user(), "followed_at": e.FollowedAt}, true, nil
	case "channel.subscribe":
		var e struct {
			userFields
			Tier   string `json:"tier"`
			IsGift bool   `json:"is_gift"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.subscription", map[string]any{"user": e.user(), "tier": e.Tier, "is_gift": e.IsGift,
			"resub": false}, true, nil
	case "channel.subscription.message":
		var e struct {
			userFields
			Tier    string `json:"tier"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
			CumulativeMonths int64  `json:"cumulative_months"`
			StreakMonths     *int64 `json:"streak_months"`
			DurationMonths   int64  `json:"duration_months"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		data := map[string]any{"user": e.user(), "tier": e.Tier, "is_gift": false, "resub": true,
			"months": e.CumulativeMonths, "message": e.Message.Text, "duration_months": e.DurationMonths}
		if e.StreakMonths != nil {
			data["streak_months"] = *e.StreakMonths
		}
		return "twitch.subscription", data, true, nil
	case "channel.subscription.gift":
		var e struct {
			userFields
			Total           int64  `json:"total"`
			Tier            string `json:"tier"`
			CumulativeTotal *int64 `json:"cumulative_total"`
			IsAnonymous     bool   `json:"is_anonymous"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		data := map[string]any{"user": e.user(), "tier": e.Tier, "total": e.Total, "is_anonymous": e.IsAnonymous}
		if e.IsAnonymous {
			data["user"] = nil
		}
		if e.CumulativeTotal != nil {
			data["cumulative"] = *e.CumulativeTotal
		}
		return "twitch.gift", data, true, nil
	case "channel.raid":
		var e struct {
			FromID    string `json:"from_broadcaster_user_id"`
			FromLogin string `json:"from_broadcaster_user_login"`
			FromName  string `json:"from_broadcaster_user_name"`
			Viewers   int64  `json:"viewers"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.raid", map[string]any{"from_broadcaster": user(e.FromID, e.FromLogin, e.FromName),
			"viewers": e.Viewers}, true, nil
	case "channel.cheer":
		var e struct {
			userFields
			IsAnonymous bool   `json:"is_anonymous"`
			Message     string `json:"message"`
			Bits        int64  `json:"bits"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		data := map[string]any{"user": e.user(), "bits": e.Bits, "message": e.Message, "is_anonymous": e.IsAnonymous}
		if e.IsAnonymous {
			data["user"] = nil
		}
		return "twitch.cheer", data, true, nil
	case "channel.channel_points_custom_reward_redemption.add":
		var e struct {
			userFields
			ID        string `json:"id"`
			UserInput string `json:"user_input"`
			Status    string `json:"status"`
			Reward    struct {
				ID     string `json:"id"`
				Title  string `json:"title"`
				Cost   int64  `json:"cost"`
				Prompt string `json:"prompt"`
			} `json:"reward"`
			RedeemedAt string `json:"redeemed_at"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.channel_points", map[string]any{"user": e.user(),
			"reward": map[string]any{"id": e.Reward.ID, "title": e.Reward.Title, "cost": e.Reward.Cost, "prompt": e.Reward.Prompt},
			"input":  e.UserInput, "redemption_id": e.ID, "status": e.Status, "redeemed_at": e.RedeemedAt}, true, nil
	case "channel.hype_train.begin", "channel.hype_train.progress", "channel.hype_train.end":
		var e hypeTrainEvent
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.hype_train." + subType[len("channel.hype_train."):], mapHypeTrain(e), true, nil
	case "stream.online":
		var e struct {
			ID        string `json:"id"`
			Type      string `json:"type"`
			StartedAt string `json:"started_at"`
			BID       string `json:"broadcaster_user_id"`
			BLogin    string `json:"broadcaster_user_login"`
			BName     string `json:"broadcaster_user_name"`
		}
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.stream.online", map[string]any{"started_at": e.StartedAt, "type": e.Type, "stream_id": e.ID,
			"broadcaster": user(e.BID, e.BLogin, e.BName)}, true, nil
	case "stream.offline":
		var e map[string]any
		if err := dec(&e); err != nil {
			return "", nil, false, err
		}
		return "twitch.stream.offline", map[string]any{}, true, nil
	}
	return mapChannelNotification(subType, raw)
}
