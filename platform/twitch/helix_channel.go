package twitch

// Helix actions on the channel: its information, polls, predictions, and
// channel points rewards and redemptions.

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
