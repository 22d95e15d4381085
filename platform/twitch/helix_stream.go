package twitch

// Helix actions on the stream: raids, markers, commercials.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"
)

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
