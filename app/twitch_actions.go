package app

import (
	"context"
	"fmt"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

// TwitchAction hands a twitch.* action binding to the Twitch client of the
// moment; offline, it fails as bindings.OfflineTwitch does.
func (h twitchHolder) TwitchAction(ctx context.Context, a bindings.TwitchAction) (any, error) {
	c := h.current()
	if c == nil {
		return h.offline().TwitchAction(ctx, a)
	}
	return runTwitchAction(ctx, c, a)
}

// twitchActions is what the action bindings call on the Twitch client.
type twitchActions interface {
	Ban(ctx context.Context, ref twitch.UserRef, seconds int, reason string) (twitch.Object, error)
	Unban(ctx context.Context, ref twitch.UserRef) error
	DeleteMessage(ctx context.Context, messageID string) error
	ClearChat(ctx context.Context) error
	UpdateChatSettings(ctx context.Context, s twitch.ChatSettings) (twitch.Object, error)
	Announce(ctx context.Context, text, color string) error
	Shoutout(ctx context.Context, ref twitch.UserRef) error
	Whisper(ctx context.Context, ref twitch.UserRef, text string) error
	UpdateChannel(ctx context.Context, u twitch.ChannelUpdate) error
	CreatePoll(ctx context.Context, title string, choices []string, seconds int) (twitch.Object, error)
	EndPoll(ctx context.Context, pollID string, archive bool) (twitch.Object, error)
	CreatePrediction(ctx context.Context, title string, outcomes []string, seconds int) (twitch.Object, error)
	EndPrediction(ctx context.Context, predictionID, status, outcome string) (twitch.Object, error)
	Rewards(ctx context.Context) ([]twitch.Object, error)
	CreateReward(ctx context.Context, f twitch.RewardFields) (twitch.Object, error)
	UpdateReward(ctx context.Context, rewardID string, f twitch.RewardFields) (twitch.Object, error)
	DeleteReward(ctx context.Context, rewardID string) error
	UpdateRedemption(ctx context.Context, rewardID, redemptionID, status string) (twitch.Object, error)
	StartRaid(ctx context.Context, ref twitch.UserRef) (twitch.Object, error)
	CancelRaid(ctx context.Context) error
	CreateMarker(ctx context.Context, description string) (twitch.Object, error)
	StartCommercial(ctx context.Context, seconds int) (twitch.Object, error)
	AddVIP(ctx context.Context, ref twitch.UserRef) error
	RemoveVIP(ctx context.Context, ref twitch.UserRef) error
	AddModerator(ctx context.Context, ref twitch.UserRef) error
	RemoveModerator(ctx context.Context, ref twitch.UserRef) error
	Followers(ctx context.Context, first int) (twitch.Object, error)
	IsFollowing(ctx context.Context, ref twitch.UserRef) (bool, string, error)
	Subscription(ctx context.Context, ref twitch.UserRef) (twitch.Object, error)
}

var _ twitchActions = (*twitch.Client)(nil)

// runTwitchAction maps one binding call to its Helix method. A nil result
// with no error is true in Lua.
func runTwitchAction(ctx context.Context, c twitchActions, a bindings.TwitchAction) (any, error) {
	ref := twitch.UserRef{ID: a.User.ID, Login: a.User.Login}
	obj := func(o twitch.Object, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return map[string]any(o), nil
	}
	done := func(err error) (any, error) { return nil, err }
	switch a.Kind {
	case "twitch.timeout":
		return obj(c.Ban(ctx, ref, a.Seconds, a.Text))
	case "twitch.ban":
		return obj(c.Ban(ctx, ref, 0, a.Text))
	case "twitch.unban":
		return done(c.Unban(ctx, ref))
	case "twitch.delete_message":
		return done(c.DeleteMessage(ctx, a.ID))
	case "twitch.clear_chat":
		return done(c.ClearChat(ctx))
	case "twitch.chat_settings":
		return obj(c.UpdateChatSettings(ctx, chatSettings(a.Fields)))
	case "twitch.announce":
		return done(c.Announce(ctx, a.Text, a.Color))
	case "twitch.shoutout":
		return done(c.Shoutout(ctx, ref))
	case "twitch.whisper":
		return done(c.Whisper(ctx, ref, a.Text))
	case "twitch.update_channel":
		return done(c.UpdateChannel(ctx, channelUpdate(a.Fields)))
	case "twitch.create_poll":
		return obj(c.CreatePoll(ctx, a.Text, a.Choices, a.Seconds))
	case "twitch.end_poll":
		return obj(c.EndPoll(ctx, a.ID, a.Archive))
	case "twitch.create_prediction":
		return obj(c.CreatePrediction(ctx, a.Text, a.Choices, a.Seconds))
	case "twitch.resolve_prediction":
		return obj(c.EndPrediction(ctx, a.ID, "RESOLVED", a.Text))
	case "twitch.cancel_prediction":
		return obj(c.EndPrediction(ctx, a.ID, "CANCELED", ""))
	case "twitch.lock_prediction":
		return obj(c.EndPrediction(ctx, a.ID, "LOCKED", ""))
	case "twitch.rewards.list":
		list, err := c.Rewards(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(list))
		for i, o := range list {
			out[i] = map[string]any(o)
		}
		return out, nil
	case "twitch.rewards.create":
		return obj(c.CreateReward(ctx, rewardFields(a.Fields)))
	case "twitch.rewards.update":
		return obj(c.UpdateReward(ctx, a.ID, rewardFields(a.Fields)))
	case "twitch.rewards.delete":
		return done(c.DeleteReward(ctx, a.ID))
	case "twitch.fulfill":
		return obj(c.UpdateRedemption(ctx, a.ID, a.RedemptionID, "FULFILLED"))
	case "twitch.refund":
		return obj(c.UpdateRedemption(ctx, a.ID, a.RedemptionID, "CANCELED"))
	case "twitch.raid":
		return obj(c.StartRaid(ctx, ref))
	case "twitch.cancel_raid":
		return done(c.CancelRaid(ctx))
	case "twitch.marker":
		return obj(c.CreateMarker(ctx, a.Text))
	case "twitch.commercial":
		return obj(c.StartCommercial(ctx, a.Seconds))
	case "twitch.add_vip":
		return done(c.AddVIP(ctx, ref))
	case "twitch.remove_vip":
		return done(c.RemoveVIP(ctx, ref))
	case "twitch.add_moderator":
		return done(c.AddModerator(ctx, ref))
	case "twitch.remove_moderator":
		return done(c.RemoveModerator(ctx, ref))
	case "twitch.followers":
		return obj(c.Followers(ctx, a.Seconds))
	case "twitch.is_following":
		ok, _, err := c.IsFollowing(ctx, ref)
		if err != nil {
			return nil, err
		}
		return ok, nil
	case "twitch.is_subscribed":
		o, err := c.Subscription(ctx, ref)
		if err != nil {
			return nil, err
		}
		if o == nil {
			return false, nil
		}
		return map[string]any(o), nil
	}
	return nil, fmt.Errorf("twitch: unknown action %q", a.Kind)
}

func intField(f map[string]any, k string) (*int, bool) {
	switch v := f[k].(type) {
	case int64:
		n := int(v)
		return &n, true
	case float64:
		n := int(v)
		return &n, true
	}
	return nil, false
}

func boolField(f map[string]any, k string) *bool {
	if v, ok := f[k].(bool); ok {
		return &v
	}
	return nil
}

func strField(f map[string]any, k string) *string {
	if v, ok := f[k].(string); ok {
		return &v
	}
	return nil
}

// chatSettings reads twitch.chat_settings{...}: slow = seconds or false/0
// (off); followers_only = minutes or false (off), true meaning 0.
func chatSettings(f map[string]any) twitch.ChatSettings {
	var s twitch.ChatSettings
	if n, ok := intField(f, "slow"); ok {
		s.SlowSeconds = n
	} else if b := boolField(f, "slow"); b != nil && !*b {
		s.SlowSeconds = new(int)
	}
	if n, ok := intField(f, "followers_only"); ok {
		s.FollowersMinutes = n
	} else if b := boolField(f, "followers_only"); b != nil {
		v := -1
		if *b {
			v = 0
		}
		s.FollowersMinutes = &v
	}
	s.SubscribersOnly = boolField(f, "subscribers_only")
	s.EmoteOnly = boolField(f, "emote_only")
	s.Unique = boolField(f, "unique")
	return s
}

func channelUpdate(f map[string]any) twitch.ChannelUpdate {
	u := twitch.ChannelUpdate{Title: strField(f, "title"), Game: strField(f, "game")}
	if v, ok := f["tags"]; ok {
		u.SetTags = true
		u.Tags = []string{}
		if list, ok := v.([]any); ok {
			for _, t := range list {
				u.Tags = append(u.Tags, fmt.Sprint(t))
			}
		}
	}
	return u
}

func rewardFields(f map[string]any) twitch.RewardFields {
	r := twitch.RewardFields{Title: strField(f, "title"), Prompt: strField(f, "prompt"),
		InputRequired: boolField(f, "input_required"), Enabled: boolField(f, "enabled")}
	r.Cost, _ = intField(f, "cost")
	r.Cooldown, _ = intField(f, "cooldown")
	r.MaxPerStream, _ = intField(f, "max_per_stream")
	return r
}
