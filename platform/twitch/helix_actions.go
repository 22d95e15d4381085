package twitch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The OAuth scopes of the Helix actions (Twitch's API reference names the
// scope of each endpoint).
const (
	ScopeBans          = "moderator:manage:banned_users"
	ScopeChatMessages  = "moderator:manage:chat_messages"
	ScopeChatSettings  = "moderator:manage:chat_settings"
	ScopeAnnouncements = "moderator:manage:announcements"
	ScopeShoutouts     = "moderator:manage:shoutouts"
	ScopeWhispers      = "user:manage:whispers"
	ScopeBroadcast     = "channel:manage:broadcast"
	ScopePolls         = "channel:manage:polls"
	ScopePredictions   = "channel:manage:predictions"
	ScopeRedemptions   = "channel:manage:redemptions"
	ScopeRaids         = "channel:manage:raids"
	ScopeCommercial    = "channel:edit:commercial"
	ScopeVIPs          = "channel:manage:vips"
	ScopeModerators    = "channel:manage:moderators"
	ScopeFollowers     = "moderator:read:followers"
	ScopeSubscriptions = "channel:read:subscriptions"
)

// Object is one Helix data object as Twitch documents it (field names of the
// API reference; numbers are float64).
type Object = map[string]any

// ErrNotCreatedByApp: Twitch refused to touch a custom reward (or its
// redemptions) that another application created; only rewards made through
// this client id (twitch.rewards.create) can be updated, fulfilled or
// refunded.
var ErrNotCreatedByApp = errors.New("twitch: only rewards StarStreamer created can be changed, fulfilled or refunded (Twitch refuses the others: create the reward with twitch.rewards.create)")

type dataList struct {
	Data []Object `json:"data"`
}

func first(d dataList, what string) (Object, error) {
	if len(d.Data) == 0 {
		return nil, fmt.Errorf("twitch: %s: empty answer", what)
	}
	return d.Data[0], nil
}

// modQuery is broadcaster_id and moderator_id (the token's user).
func modQuery(id identity) url.Values {
	return url.Values{"broadcaster_id": {id.broadcasterID}, "moderator_id": {id.botID}}
}

func (c *Client) readyUser(ctx context.Context, ref UserRef) (identity, User, error) {
	id, err := c.requireReady()
	if err != nil {
		return id, User{}, err
	}
	u, err := c.resolveUser(ctx, ref)
	return id, u, err
}

// MaxTimeout is the longest timeout Twitch accepts (two weeks), in seconds.
const MaxTimeout = 1209600

// Ban bans a user, or times them out for seconds (1..MaxTimeout) when
// seconds > 0 (POST /moderation/bans). It returns Twitch's ban object
// (user_id, created_at, end_time, ...).
func (c *Client) Ban(ctx context.Context, ref UserRef, seconds int, reason string) (Object, error) {
	if seconds < 0 || seconds > MaxTimeout {
		return nil, fmt.Errorf("twitch: timeout of %d s: it must be 1 to %d seconds", seconds, MaxTimeout)
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, errors.New("twitch: ban reason longer than 500 characters")
	}
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"user_id": u.ID, "reason": reason}
	if seconds > 0 {
		data["duration"] = seconds
	}
	var out dataList
	if err := c.helix(ctx, ScopeBans, http.MethodPost, "/moderation/bans", modQuery(id), map[string]any{"data": data}, &out); err != nil {
		return nil, err
	}
	return first(out, "ban")
}

// Unban lifts a ban or timeout (DELETE /moderation/bans).
func (c *Client) Unban(ctx context.Context, ref UserRef) error {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return err
	}
	q := modQuery(id)
	q.Set("user_id", u.ID)
	return c.helix(ctx, ScopeBans, http.MethodDelete, "/moderation/bans", q, nil, nil)
}

// DeleteMessage deletes one chat message by id (DELETE /moderation/chat).
func (c *Client) DeleteMessage(ctx context.Context, messageID string) error {
	if strings.TrimSpace(messageID) == "" {
		return errors.New("twitch: delete message: no message id (pass a twitch.chat.message event or its data.message_id)")
	}
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	q := modQuery(id)
	q.Set("message_id", messageID)
	return c.helix(ctx, ScopeChatMessages, http.MethodDelete, "/moderation/chat", q, nil, nil)
}

// ClearChat deletes every message of the chat (DELETE /moderation/chat
// without message_id).
func (c *Client) ClearChat(ctx context.Context) error {
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	return c.helix(ctx, ScopeChatMessages, http.MethodDelete, "/moderation/chat", modQuery(id), nil, nil)
}

// ChatSettings changes chat modes; nil fields stay as they are.
type ChatSettings struct {
	SlowSeconds      *int  // 0 turns slow mode off, else 3..120 seconds between messages
	FollowersMinutes *int  // <0 turns followers-only off, else 0..129600 minutes of following
	SubscribersOnly  *bool // subscriber-only mode
	EmoteOnly        *bool // emote-only mode
	Unique           *bool // unique-chat mode (no repeated messages)
}

// UpdateChatSettings changes the chat modes (PATCH /chat/settings) and
// returns the settings now in force.
func (c *Client) UpdateChatSettings(ctx context.Context, s ChatSettings) (Object, error) {
	body := map[string]any{}
	if s.SlowSeconds != nil {
		switch v := *s.SlowSeconds; {
		case v == 0:
			body["slow_mode"] = false
		case v < 3 || v > 120:
			return nil, fmt.Errorf("twitch: slow mode of %d s: it must be 3 to 120 seconds (0 turns it off)", v)
		default:
			body["slow_mode"], body["slow_mode_wait_time"] = true, v
		}
	}
	if s.FollowersMinutes != nil {
		switch v := *s.FollowersMinutes; {
		case v < 0:
			body["follower_mode"] = false
		case v > 129600:
			return nil, fmt.Errorf("twitch: followers-only of %d minutes: it must be 0 to 129600 minutes (false turns it off)", v)
		default:
			body["follower_mode"], body["follower_mode_duration"] = true, v
		}
	}
	if s.SubscribersOnly != nil {
		body["subscriber_mode"] = *s.SubscribersOnly
	}
	if s.EmoteOnly != nil {
		body["emote_mode"] = *s.EmoteOnly
	}
	if s.Unique != nil {
		body["unique_chat_mode"] = *s.Unique
	}
	if len(body) == 0 {
		return nil, errors.New("twitch: chat settings: nothing to change (slow, followers_only, subscribers_only, emote_only, unique)")
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeChatSettings, http.MethodPatch, "/chat/settings", modQuery(id), body, &out); err != nil {
		return nil, err
	}
	return first(out, "chat settings")
}

// AnnouncementColors are the colors Send Chat Announcement accepts.
var AnnouncementColors = []string{"primary", "blue", "green", "orange", "purple"}

// Announce sends a highlighted announcement (POST /chat/announcements);
// color is one of AnnouncementColors ("" is primary).
func (c *Client) Announce(ctx context.Context, text, color string) error {
	color = strings.ToLower(strings.TrimSpace(color))
	if color == "" {
		color = "primary"
	}
	if !containsStr(AnnouncementColors, color) {
		return fmt.Errorf("twitch: announcement color %q: use one of %s", color, strings.Join(AnnouncementColors, ", "))
	}
	if text == "" || utf8.RuneCountInString(text) > 500 {
		return errors.New("twitch: announcement must be 1 to 500 characters")
	}
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	return c.helix(ctx, ScopeAnnouncements, http.MethodPost, "/chat/announcements", modQuery(id),
		map[string]any{"message": text, "color": color}, nil)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ErrShoutoutLimit: Twitch's shoutout cooldowns (one shoutout every 2
// minutes, the same broadcaster once every 60 minutes) refused a shoutout.
var ErrShoutoutLimit = errors.New("twitch: shoutout limit: one shoutout every 2 minutes, and the same channel at most once every 60 minutes")

// Shoutout sends the official shoutout (POST /chat/shoutouts). The
// cooldowns come back as an error wrapping ErrShoutoutLimit.
func (c *Client) Shoutout(ctx context.Context, ref UserRef) error {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return err
	}
	q := url.Values{"from_broadcaster_id": {id.broadcasterID}, "to_broadcaster_id": {u.ID}, "moderator_id": {id.botID}}
	err = c.helix(ctx, ScopeShoutouts, http.MethodPost, "/chat/shoutouts", q, nil, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		return fmt.Errorf("%w (Twitch said: %s)", ErrShoutoutLimit, ae.Message)
	}
	return err
}

// Whisper sends a whisper from the bot account (POST /whispers). Twitch
// truncates long whispers itself (500 characters to a new recipient).
func (c *Client) Whisper(ctx context.Context, ref UserRef, text string) error {
	if text == "" || utf8.RuneCountInString(text) > 10000 {
		return errors.New("twitch: whisper must be 1 to 10000 characters")
	}
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return err
	}
	q := url.Values{"from_user_id": {id.botID}, "to_user_id": {u.ID}}
	return c.helix(ctx, ScopeWhispers, http.MethodPost, "/whispers", q, map[string]any{"message": text}, nil)
}
