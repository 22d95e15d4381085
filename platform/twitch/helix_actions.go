package twitch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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

// ChannelUpdate changes the channel's information; nil fields stay.
type ChannelUpdate struct {
	Title *string
	Game  *string // a category name, resolved to its id; "" clears it
	Tags  []string
	// SetTags sends Tags even when empty (clears the tags).
	SetTags bool
}

// FindGame resolves a category name to its id: the exact name through
// GET /games, else the first match of GET /search/categories.
func (c *Client) FindGame(ctx context.Context, name string) (id, found string, err error) {
	var games dataList
	if err := c.helix(ctx, "", http.MethodGet, "/games", url.Values{"name": {name}}, nil, &games); err != nil {
		return "", "", fmt.Errorf("find game %q: %w", name, err)
	}
	if len(games.Data) > 0 {
		return fmt.Sprint(games.Data[0]["id"]), fmt.Sprint(games.Data[0]["name"]), nil
	}
	var cats dataList
	if err := c.helix(ctx, "", http.MethodGet, "/search/categories", url.Values{"query": {name}, "first": {"1"}}, nil, &cats); err != nil {
		return "", "", fmt.Errorf("find game %q: %w", name, err)
	}
	if len(cats.Data) == 0 {
		return "", "", fmt.Errorf("twitch: no game or category called %q", name)
	}
	return fmt.Sprint(cats.Data[0]["id"]), fmt.Sprint(cats.Data[0]["name"]), nil
}

// UpdateChannel changes title, game (by name) and tags (PATCH /channels).
func (c *Client) UpdateChannel(ctx context.Context, u ChannelUpdate) error {
	body := map[string]any{}
	if u.Title != nil {
		if strings.TrimSpace(*u.Title) == "" || utf8.RuneCountInString(*u.Title) > 140 {
			return errors.New("twitch: title must be 1 to 140 characters")
		}
		body["title"] = *u.Title
	}
	if u.Tags != nil || u.SetTags {
		if len(u.Tags) > 10 {
			return fmt.Errorf("twitch: %d tags: at most 10", len(u.Tags))
		}
		for _, t := range u.Tags {
			if t == "" || utf8.RuneCountInString(t) > 25 || strings.ContainsAny(t, " \t#") {
				return fmt.Errorf("twitch: tag %q: 1 to 25 characters, no spaces or #", t)
			}
		}
		body["tags"] = append([]string{}, u.Tags...)
	}
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	if u.Game != nil {
		if *u.Game == "" {
			body["game_id"] = ""
		} else {
			gid, _, err := c.FindGame(ctx, *u.Game)
			if err != nil {
				return err
			}
			body["game_id"] = gid
		}
	}
	if len(body) == 0 {
		return errors.New("twitch: update channel: nothing to change (title, game, tags)")
	}
	return c.helix(ctx, ScopeBroadcast, http.MethodPatch, "/channels", url.Values{"broadcaster_id": {id.broadcasterID}}, body, nil)
}

func titles(list []string, min, max, each int, what string) ([]map[string]string, error) {
	if len(list) < min || len(list) > max {
		return nil, fmt.Errorf("twitch: %d %s: give %d to %d", len(list), what, min, max)
	}
	out := make([]map[string]string, len(list))
	for i, t := range list {
		if t == "" || utf8.RuneCountInString(t) > each {
			return nil, fmt.Errorf("twitch: %s %q: 1 to %d characters", what, t, each)
		}
		out[i] = map[string]string{"title": t}
	}
	return out, nil
}

// CreatePoll starts a poll of 2-5 choices lasting 15-1800 seconds
// (POST /polls) and returns Twitch's poll object (id, choices with ids, ...).
func (c *Client) CreatePoll(ctx context.Context, title string, choices []string, seconds int) (Object, error) {
	if title == "" || utf8.RuneCountInString(title) > 60 {
		return nil, errors.New("twitch: poll title must be 1 to 60 characters")
	}
	ch, err := titles(choices, 2, 5, 25, "poll choices")
	if err != nil {
		return nil, err
	}
	if seconds < 15 || seconds > 1800 {
		return nil, fmt.Errorf("twitch: poll of %d s: it must last 15 to 1800 seconds", seconds)
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopePolls, http.MethodPost, "/polls", nil,
		map[string]any{"broadcaster_id": id.broadcasterID, "title": title, "choices": ch, "duration": seconds}, &out); err != nil {
		return nil, err
	}
	return first(out, "create poll")
}

// EndPoll ends a poll (PATCH /polls): TERMINATED keeps it visible,
// ARCHIVED (archive) hides it.
func (c *Client) EndPoll(ctx context.Context, pollID string, archive bool) (Object, error) {
	if pollID == "" {
		return nil, errors.New("twitch: end poll: no poll id")
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	status := "TERMINATED"
	if archive {
		status = "ARCHIVED"
	}
	var out dataList
	if err := c.helix(ctx, ScopePolls, http.MethodPatch, "/polls", nil,
		map[string]any{"broadcaster_id": id.broadcasterID, "id": pollID, "status": status}, &out); err != nil {
		return nil, err
	}
	return first(out, "end poll")
}

// CreatePrediction starts a prediction of 2-10 outcomes whose window lasts
// 30-1800 seconds (POST /predictions).
func (c *Client) CreatePrediction(ctx context.Context, title string, outcomes []string, seconds int) (Object, error) {
	if title == "" || utf8.RuneCountInString(title) > 45 {
		return nil, errors.New("twitch: prediction title must be 1 to 45 characters")
	}
	oc, err := titles(outcomes, 2, 10, 25, "prediction outcomes")
	if err != nil {
		return nil, err
	}
	if seconds < 30 || seconds > 1800 {
		return nil, fmt.Errorf("twitch: prediction window of %d s: it must be 30 to 1800 seconds", seconds)
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopePredictions, http.MethodPost, "/predictions", nil,
		map[string]any{"broadcaster_id": id.broadcasterID, "title": title, "outcomes": oc, "prediction_window": seconds}, &out); err != nil {
		return nil, err
	}
	return first(out, "create prediction")
}

// EndPrediction locks, cancels or resolves a prediction (PATCH
// /predictions). For "RESOLVED", outcome is the winning outcome's id or
// title (a title is looked up with GET /predictions).
func (c *Client) EndPrediction(ctx context.Context, predictionID, status, outcome string) (Object, error) {
	if predictionID == "" {
		return nil, errors.New("twitch: prediction: no prediction id")
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	body := map[string]any{"broadcaster_id": id.broadcasterID, "id": predictionID, "status": status}
	if status == "RESOLVED" {
		if outcome == "" {
			return nil, errors.New("twitch: resolve prediction: no winning outcome")
		}
		win, err := c.outcomeID(ctx, id, predictionID, outcome)
		if err != nil {
			return nil, err
		}
		body["winning_outcome_id"] = win
	}
	var out dataList
	if err := c.helix(ctx, ScopePredictions, http.MethodPatch, "/predictions", nil, body, &out); err != nil {
		return nil, err
	}
	return first(out, "end prediction")
}

func (c *Client) outcomeID(ctx context.Context, id identity, predictionID, outcome string) (string, error) {
	var got dataList
	if err := c.helix(ctx, ScopePredictions, http.MethodGet, "/predictions",
		url.Values{"broadcaster_id": {id.broadcasterID}, "id": {predictionID}}, nil, &got); err != nil {
		return "", err
	}
	if len(got.Data) == 0 {
		return "", fmt.Errorf("twitch: no prediction %q", predictionID)
	}
	list, _ := got.Data[0]["outcomes"].([]any)
	var names []string
	for _, o := range list {
		m, _ := o.(map[string]any)
		oid, title := fmt.Sprint(m["id"]), fmt.Sprint(m["title"])
		if oid == outcome || strings.EqualFold(title, outcome) {
			return oid, nil
		}
		names = append(names, strconv.Quote(title))
	}
	return "", fmt.Errorf("twitch: prediction has no outcome %q (outcomes: %s)", outcome, strings.Join(names, ", "))
}

// RewardFields are a custom reward's settings; nil fields are left out
// (create: Twitch's defaults; update: unchanged).
type RewardFields struct {
	Title         *string
	Cost          *int
	Prompt        *string
	InputRequired *bool
	Cooldown      *int // global cooldown in seconds; 0 turns it off
	MaxPerStream  *int // 0 turns the limit off
	Enabled       *bool
}

func (f RewardFields) body() (map[string]any, error) {
	b := map[string]any{}
	if f.Title != nil {
		if *f.Title == "" || utf8.RuneCountInString(*f.Title) > 45 {
			return nil, errors.New("twitch: reward title must be 1 to 45 characters")
		}
		b["title"] = *f.Title
	}
	if f.Cost != nil {
		if *f.Cost < 1 {
			return nil, fmt.Errorf("twitch: reward cost %d: at least 1", *f.Cost)
		}
		b["cost"] = *f.Cost
	}
	if f.Prompt != nil {
		if utf8.RuneCountInString(*f.Prompt) > 200 {
			return nil, errors.New("twitch: reward prompt longer than 200 characters")
		}
		b["prompt"] = *f.Prompt
	}
	if f.InputRequired != nil {
		b["is_user_input_required"] = *f.InputRequired
	}
	if f.Cooldown != nil {
		if *f.Cooldown < 0 || *f.Cooldown > 604800 {
			return nil, fmt.Errorf("twitch: reward cooldown %d s: 0 to 604800", *f.Cooldown)
		}
		b["is_global_cooldown_enabled"] = *f.Cooldown > 0
		if *f.Cooldown > 0 {
			b["global_cooldown_seconds"] = *f.Cooldown
		}
	}
	if f.MaxPerStream != nil {
		if *f.MaxPerStream < 0 {
			return nil, fmt.Errorf("twitch: reward max_per_stream %d: 0 (no limit) or more", *f.MaxPerStream)
		}
		b["is_max_per_stream_enabled"] = *f.MaxPerStream > 0
		if *f.MaxPerStream > 0 {
			b["max_per_stream"] = *f.MaxPerStream
		}
	}
	if f.Enabled != nil {
		b["is_enabled"] = *f.Enabled
	}
	return b, nil
}

// notOurs turns Twitch's 403 for a reward another app created into
// ErrNotCreatedByApp.
func notOurs(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden && !mentionsScope(ae.Message) {
		return fmt.Errorf("%w (Twitch said: %s)", ErrNotCreatedByApp, ae.Message)
	}
	return err
}

// Rewards lists the channel's custom rewards (GET
// /channel_points/custom_rewards); only those StarStreamer created can be
// changed (see ErrNotCreatedByApp).
func (c *Client) Rewards(ctx context.Context) ([]Object, error) {
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeRedemptions, http.MethodGet, "/channel_points/custom_rewards",
		url.Values{"broadcaster_id": {id.broadcasterID}}, nil, &out); err != nil {
		return nil, err
	}
	if out.Data == nil {
		out.Data = []Object{}
	}
	return out.Data, nil
}

// CreateReward creates a custom reward (POST /channel_points/custom_rewards);
// title and cost are required.
func (c *Client) CreateReward(ctx context.Context, f RewardFields) (Object, error) {
	if f.Title == nil || f.Cost == nil {
		return nil, errors.New("twitch: create reward: title and cost are required")
	}
	body, err := f.body()
	if err != nil {
		return nil, err
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeRedemptions, http.MethodPost, "/channel_points/custom_rewards",
		url.Values{"broadcaster_id": {id.broadcasterID}}, body, &out); err != nil {
		return nil, err
	}
	return first(out, "create reward")
}

// UpdateReward changes a custom reward StarStreamer created (PATCH).
func (c *Client) UpdateReward(ctx context.Context, rewardID string, f RewardFields) (Object, error) {
	if rewardID == "" {
		return nil, errors.New("twitch: update reward: no reward id")
	}
	body, err := f.body()
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, errors.New("twitch: update reward: nothing to change")
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeRedemptions, http.MethodPatch, "/channel_points/custom_rewards",
		url.Values{"broadcaster_id": {id.broadcasterID}, "id": {rewardID}}, body, &out); err != nil {
		return nil, notOurs(err)
	}
	return first(out, "update reward")
}

// DeleteReward deletes a custom reward StarStreamer created (DELETE).
func (c *Client) DeleteReward(ctx context.Context, rewardID string) error {
	if rewardID == "" {
		return errors.New("twitch: delete reward: no reward id")
	}
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	return notOurs(c.helix(ctx, ScopeRedemptions, http.MethodDelete, "/channel_points/custom_rewards",
		url.Values{"broadcaster_id": {id.broadcasterID}, "id": {rewardID}}, nil, nil))
}

// UpdateRedemption marks a redemption FULFILLED or CANCELED (refunding its
// points) through PATCH /channel_points/custom_rewards/redemptions. Twitch
// allows it only for rewards this client id created (ErrNotCreatedByApp).
func (c *Client) UpdateRedemption(ctx context.Context, rewardID, redemptionID, status string) (Object, error) {
	if rewardID == "" || redemptionID == "" {
		return nil, errors.New("twitch: redemption: the event has no reward id or redemption id (pass the twitch.channel_points event)")
	}
	if status != "FULFILLED" && status != "CANCELED" {
		return nil, fmt.Errorf("twitch: redemption status %q: FULFILLED or CANCELED", status)
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	err = c.helix(ctx, ScopeRedemptions, http.MethodPatch, "/channel_points/custom_rewards/redemptions",
		url.Values{"broadcaster_id": {id.broadcasterID}, "reward_id": {rewardID}, "id": {redemptionID}},
		map[string]any{"status": status}, &out)
	if err != nil {
		return nil, notOurs(err)
	}
	return first(out, "update redemption")
}

// StartRaid raids another channel (POST /raids); Twitch answers at once and
// the raid leaves after about 90 seconds unless cancelled.
func (c *Client) StartRaid(ctx context.Context, ref UserRef) (Object, error) {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeRaids, http.MethodPost, "/raids",
		url.Values{"from_broadcaster_id": {id.broadcasterID}, "to_broadcaster_id": {u.ID}}, nil, &out); err != nil {
		return nil, err
	}
	return first(out, "start raid")
}

// CancelRaid cancels the pending raid (DELETE /raids).
func (c *Client) CancelRaid(ctx context.Context) error {
	id, err := c.requireReady()
	if err != nil {
		return err
	}
	return c.helix(ctx, ScopeRaids, http.MethodDelete, "/raids", url.Values{"broadcaster_id": {id.broadcasterID}}, nil, nil)
}

// CreateMarker marks the live stream for the editor (POST /streams/markers).
func (c *Client) CreateMarker(ctx context.Context, description string) (Object, error) {
	if utf8.RuneCountInString(description) > 140 {
		return nil, errors.New("twitch: marker description longer than 140 characters")
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	body := map[string]any{"user_id": id.broadcasterID}
	if description != "" {
		body["description"] = description
	}
	var out dataList
	if err := c.helix(ctx, ScopeBroadcast, http.MethodPost, "/streams/markers", nil, body, &out); err != nil {
		return nil, err
	}
	return first(out, "create marker")
}

// StartCommercial runs an ad break of up to 180 seconds
// (POST /channels/commercial); the answer says length and retry_after.
func (c *Client) StartCommercial(ctx context.Context, seconds int) (Object, error) {
	if seconds < 1 || seconds > 180 {
		return nil, fmt.Errorf("twitch: commercial of %d s: 1 to 180 seconds", seconds)
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out dataList
	if err := c.helix(ctx, ScopeCommercial, http.MethodPost, "/channels/commercial", nil,
		map[string]any{"broadcaster_id": id.broadcasterID, "length": seconds}, &out); err != nil {
		return nil, err
	}
	return first(out, "start commercial")
}

func (c *Client) channelRole(ctx context.Context, ref UserRef, scope, method, path string) error {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return err
	}
	return c.helix(ctx, scope, method, path, url.Values{"broadcaster_id": {id.broadcasterID}, "user_id": {u.ID}}, nil, nil)
}

// AddVIP makes a user a VIP (POST /channels/vips).
func (c *Client) AddVIP(ctx context.Context, ref UserRef) error {
	return c.channelRole(ctx, ref, ScopeVIPs, http.MethodPost, "/channels/vips")
}

// RemoveVIP takes VIP status away (DELETE /channels/vips).
func (c *Client) RemoveVIP(ctx context.Context, ref UserRef) error {
	return c.channelRole(ctx, ref, ScopeVIPs, http.MethodDelete, "/channels/vips")
}

// AddModerator makes a user a moderator (POST /moderation/moderators).
func (c *Client) AddModerator(ctx context.Context, ref UserRef) error {
	return c.channelRole(ctx, ref, ScopeModerators, http.MethodPost, "/moderation/moderators")
}

// RemoveModerator takes moderator status away (DELETE /moderation/moderators).
func (c *Client) RemoveModerator(ctx context.Context, ref UserRef) error {
	return c.channelRole(ctx, ref, ScopeModerators, http.MethodDelete, "/moderation/moderators")
}

type follower struct {
	UserID     string `json:"user_id"`
	UserLogin  string `json:"user_login"`
	UserName   string `json:"user_name"`
	FollowedAt string `json:"followed_at"`
}

// Followers returns the total follower count and the latest first (1-100)
// followers, newest first, each {user = {id, username, display_name},
// followed_at} (GET /channels/followers).
func (c *Client) Followers(ctx context.Context, firstN int) (Object, error) {
	if firstN == 0 {
		firstN = 20
	}
	if firstN < 1 || firstN > 100 {
		return nil, fmt.Errorf("twitch: followers first=%d: 1 to 100", firstN)
	}
	id, err := c.requireReady()
	if err != nil {
		return nil, err
	}
	var out struct {
		Total int        `json:"total"`
		Data  []follower `json:"data"`
	}
	if err := c.helix(ctx, ScopeFollowers, http.MethodGet, "/channels/followers",
		url.Values{"broadcaster_id": {id.broadcasterID}, "first": {strconv.Itoa(firstN)}}, nil, &out); err != nil {
		return nil, err
	}
	list := make([]any, 0, len(out.Data))
	for _, f := range out.Data {
		list = append(list, map[string]any{"user": user(f.UserID, f.UserLogin, f.UserName), "followed_at": f.FollowedAt})
	}
	return Object{"total": int64(out.Total), "followers": list}, nil
}

// IsFollowing reports whether a user follows the channel and since when
// (GET /channels/followers?user_id=).
func (c *Client) IsFollowing(ctx context.Context, ref UserRef) (bool, string, error) {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return false, "", err
	}
	var out struct {
		Data []follower `json:"data"`
	}
	if err := c.helix(ctx, ScopeFollowers, http.MethodGet, "/channels/followers",
		url.Values{"broadcaster_id": {id.broadcasterID}, "user_id": {u.ID}}, nil, &out); err != nil {
		return false, "", err
	}
	if len(out.Data) == 0 {
		return false, "", nil
	}
	return true, out.Data[0].FollowedAt, nil
}

// Subscription is a user's subscription to the channel: nil when they are
// not subscribed, else {tier, is_gift, gifter} (GET /subscriptions).
func (c *Client) Subscription(ctx context.Context, ref UserRef) (Object, error) {
	id, u, err := c.readyUser(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data []struct {
			Tier        string `json:"tier"`
			IsGift      bool   `json:"is_gift"`
			GifterID    string `json:"gifter_id"`
			GifterLogin string `json:"gifter_login"`
			GifterName  string `json:"gifter_name"`
		} `json:"data"`
	}
	if err := c.helix(ctx, ScopeSubscriptions, http.MethodGet, "/subscriptions",
		url.Values{"broadcaster_id": {id.broadcasterID}, "user_id": {u.ID}}, nil, &out); err != nil {
		return nil, err
	}
	if len(out.Data) == 0 {
		return nil, nil
	}
	d := out.Data[0]
	return Object{"tier": d.Tier, "is_gift": d.IsGift, "gifter": user(d.GifterID, d.GifterLogin, d.GifterName)}, nil
}
