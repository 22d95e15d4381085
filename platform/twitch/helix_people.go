package twitch

// Helix actions on people: VIPs and moderators, followers, subscriptions.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

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
