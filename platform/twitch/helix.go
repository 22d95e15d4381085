package twitch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// APIError is a Helix answer outside 2xx.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("twitch: %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// DropError is a chat message Twitch accepted but did not send
// (is_sent=false). errors.Is(err, ErrMessageDropped) is true.
type DropError struct{ Code, Message string }

func (e *DropError) Error() string {
	return fmt.Sprintf("twitch: chat message dropped: %s (%s)", e.Message, e.Code)
}

func (e *DropError) Unwrap() error { return ErrMessageDropped }

// maxRateLimitRetries bounds how often one request is retried after 429.
const maxRateLimitRetries = 3

// do sends an authenticated Helix (or subscriptions) request. It first waits
// while the rate-limit bucket (the Ratelimit-* headers of the last answer)
// is empty. A 401 leads to one token refresh and a retry, unless Twitch
// names a missing scope (a refresh cannot add one); a 429 of the bucket
// (Ratelimit-Remaining 0 or absent) waits until Ratelimit-Reset and
// retries, while a 429 with points left is an endpoint's own limit (the
// shoutout cooldowns) and is returned as an *APIError. out, when not nil,
// receives the decoded 2xx body.
func (c *Client) do(ctx context.Context, method, rawURL string, body, out any) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	path := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		path = u.Path
	}
	refreshed, limited := false, 0
	for {
		if err := c.waitBucket(ctx, method, path); err != nil {
			return 0, err
		}
		token := c.accessToken()
		req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(payload))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Client-Id", c.cfg.ClientID)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.cfg.HTTPClient.Do(req)
		if err != nil {
			return 0, fmt.Errorf("twitch: %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return resp.StatusCode, fmt.Errorf("twitch: %s %s: read body: %w", method, path, err)
		}
		c.bucket.update(resp.Header, c.cfg.Now())
		var apiMsg struct {
			Message string `json:"message"`
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			_ = json.Unmarshal(data, &apiMsg)
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && mentionsScope(apiMsg.Message):
			// A missing scope: a new token of the same grant would not help.
			return resp.StatusCode, &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: apiMsg.Message}
		case resp.StatusCode == http.StatusUnauthorized && !refreshed:
			refreshed = true
			if err := c.refresh(ctx, token); err != nil {
				return resp.StatusCode, fmt.Errorf("twitch: %s %s: %w", method, path, err)
			}
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			return resp.StatusCode, fmt.Errorf("twitch: %s %s: %w", method, path, ErrUnauthorized)
		case resp.StatusCode == http.StatusTooManyRequests && limited < maxRateLimitRetries && isBucket429(resp.Header):
			limited++
			wait := rateLimitWait(resp.Header, c.cfg.Now())
			if wait > c.cfg.MaxRateLimitWait {
				return resp.StatusCode, fmt.Errorf("twitch: %s %s: rate limited for %s", method, path, wait.Round(time.Second))
			}
			c.log.Warn("twitch rate limited; waiting for Ratelimit-Reset", "path", path, "wait", wait)
			if err := sleepCtx(ctx, wait); err != nil {
				return resp.StatusCode, err
			}
			continue
		case resp.StatusCode < 200 || resp.StatusCode > 299:
			return resp.StatusCode, &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: apiMsg.Message}
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.StatusCode, fmt.Errorf("twitch: %s %s: decode: %w", method, path, err)
			}
		}
		return resp.StatusCode, nil
	}
}

// rateLimitWait reads Ratelimit-Reset (Unix seconds) and says how long to
// wait from now; one second when the header is missing or unreadable.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	v := h.Get("Ratelimit-Reset")
	sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return time.Second
	}
	d := time.Unix(sec, 0).Sub(now)
	if d < 0 {
		return 0
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) helixURL(path string, q url.Values) string {
	u := c.cfg.APIURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// requireReady returns ErrNotConnected unless Run has resolved the identity.
func (c *Client) requireReady() (identity, error) {
	if !c.ready.Load() {
		return identity{}, ErrNotConnected
	}
	return c.ident(), nil
}

type userData struct {
	ID          string `json:"id"`
	Login       string `json:"login"`
	DisplayName string `json:"display_name"`
}

// getUser looks up a login; "" means the token's own user.
func (c *Client) getUser(ctx context.Context, login string) (User, error) {
	q := url.Values{}
	if login != "" {
		q.Set("login", login)
	}
	var out struct {
		Data []userData `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.helixURL("/users", q), nil, &out); err != nil {
		return User{}, err
	}
	if len(out.Data) == 0 {
		return User{}, fmt.Errorf("%w: %q", ErrUserNotFound, login)
	}
	d := out.Data[0]
	return User{ID: d.ID, Login: d.Login, DisplayName: d.DisplayName}, nil
}

// User looks up a user by login; a leading @ is ignored (for `!give @user`).
func (c *Client) User(ctx context.Context, login string) (User, error) {
	if _, err := c.requireReady(); err != nil {
		return User{}, err
	}
	login = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(login), "@")))
	if login == "" {
		return User{}, fmt.Errorf("%w: empty login", ErrUserNotFound)
	}
	return c.getUser(ctx, login)
}

// Stream reports whether the channel is live, since when, and what it
// streams (GET /helix/streams).
func (c *Client) Stream(ctx context.Context) (Stream, error) {
	id, err := c.requireReady()
	if err != nil {
		return Stream{}, err
	}
	var out struct {
		Data []struct {
			Title       string `json:"title"`
			GameName    string `json:"game_name"`
			ViewerCount int    `json:"viewer_count"`
			StartedAt   string `json:"started_at"`
			Type        string `json:"type"`
		} `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.helixURL("/streams", url.Values{"user_id": {id.broadcasterID}}), nil, &out); err != nil {
		return Stream{}, err
	}
	if len(out.Data) == 0 {
		return Stream{}, nil
	}
	d := out.Data[0]
	st := Stream{Live: d.Type == "" || d.Type == "live", Title: d.Title, Game: d.GameName, Viewers: d.ViewerCount}
	if t, err := time.Parse(time.RFC3339, d.StartedAt); err == nil {
		st.StartedAt = t
	}
	return st, nil
}

// CreateClip clips the live stream, then polls Get Clips every
// ClipPollInterval until the clip exists or ClipTimeout (15 s) passes.
func (c *Client) CreateClip(ctx context.Context) (Clip, error) {
	id, err := c.requireReady()
	if err != nil {
		return Clip{}, err
	}
	var created struct {
		Data []struct {
			ID      string `json:"id"`
			EditURL string `json:"edit_url"`
		} `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodPost, c.helixURL("/clips", url.Values{"broadcaster_id": {id.broadcasterID}}), nil, &created); err != nil {
		return Clip{}, fmt.Errorf("create clip: %w", err)
	}
	if len(created.Data) == 0 || created.Data[0].ID == "" {
		return Clip{}, errors.New("twitch: create clip: empty answer")
	}
	clip := Clip{ID: created.Data[0].ID, EditURL: created.Data[0].EditURL}
	deadline := time.NewTimer(c.cfg.ClipTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(c.cfg.ClipPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return Clip{}, ctx.Err()
		case <-deadline.C:
			return Clip{}, fmt.Errorf("twitch: clip %s did not appear within %s (creation failed)", clip.ID, c.cfg.ClipTimeout)
		case <-tick.C:
		}
		var got struct {
			Data []struct {
				ID  string `json:"id"`
				URL string `json:"url"`
			} `json:"data"`
		}
		if _, err := c.do(ctx, http.MethodGet, c.helixURL("/clips", url.Values{"id": {clip.ID}}), nil, &got); err != nil {
			return Clip{}, fmt.Errorf("get clip: %w", err)
		}
		if len(got.Data) > 0 {
			clip.URL = got.Data[0].URL
			return clip, nil
		}
	}
}

// postChat sends one chat message (≤ MaxMessage characters) right now.
func (c *Client) postChat(ctx context.Context, text, replyTo string) error {
	id := c.ident()
	body := map[string]string{"broadcaster_id": id.broadcasterID, "sender_id": id.botID, "message": text}
	if replyTo != "" {
		body["reply_parent_message_id"] = replyTo
	}
	var out struct {
		Data []struct {
			MessageID  string `json:"message_id"`
			IsSent     bool   `json:"is_sent"`
			DropReason *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"drop_reason"`
		} `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodPost, c.helixURL("/chat/messages", nil), body, &out); err != nil {
		return err
	}
	if len(out.Data) == 0 {
		return errors.New("twitch: send chat message: empty answer")
	}
	if d := out.Data[0]; !d.IsSent {
		de := &DropError{Code: "unknown", Message: "not sent"}
		if d.DropReason != nil {
			de.Code, de.Message = d.DropReason.Code, d.DropReason.Message
		}
		return de
	}
	return nil
}
