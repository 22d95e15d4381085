package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Tokens is a user access token pair. Its String and LogValue never show
// the tokens themselves.
type Tokens struct {
	AccessToken, RefreshToken string
	ExpiresAt                 time.Time
	Scopes                    []string
	UserID, Login             string
}

// String describes the tokens without revealing them.
func (t Tokens) String() string {
	return fmt.Sprintf("twitch.Tokens{user=%s(%s) expires=%s scopes=%v access=[redacted] refresh=[redacted]}",
		t.Login, t.UserID, t.ExpiresAt.Format(time.RFC3339), t.Scopes)
}

// LogValue keeps tokens out of slog output.
func (t Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// TokenStore persists the token pair (main backs it with bbolt).
type TokenStore interface {
	LoadTokens() (Tokens, bool, error) // ok=false when none stored
	SaveTokens(Tokens) error           // durable when it returns
}

// authError is the id.twitch.tv error body.
type authError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

type tokenResponse struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresIn    int64    `json:"expires_in"`
	Scope        []string `json:"scope"`
	TokenType    string   `json:"token_type"`
}

func (r tokenResponse) tokens(now time.Time) Tokens {
	t := Tokens{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, Scopes: r.Scope}
	if r.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	return t
}

// postForm posts to the id service and decodes a 200 answer into out. A
// non-200 answer comes back as *authError.
func postForm(ctx context.Context, hc *http.Client, u string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		ae := &authError{Status: resp.StatusCode}
		_ = json.Unmarshal(body, ae)
		ae.Status = resp.StatusCode
		return ae
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

func (e *authError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

type validation struct {
	ClientID  string   `json:"client_id"`
	Login     string   `json:"login"`
	Scopes    []string `json:"scopes"`
	UserID    string   `json:"user_id"`
	ExpiresIn int64    `json:"expires_in"`
}

// validateToken calls GET /oauth2/validate. A 401 is ErrUnauthorized.
func validateToken(ctx context.Context, cfg Config, token string) (validation, error) {
	var v validation
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.AuthURL+"/oauth2/validate", nil)
	if err != nil {
		return v, err
	}
	req.Header.Set("Authorization", "OAuth "+token)
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return v, fmt.Errorf("validate token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(body, &v); err != nil {
			return v, fmt.Errorf("validate token: %w", err)
		}
		return v, nil
	case http.StatusUnauthorized:
		return v, fmt.Errorf("validate token: %w", ErrUnauthorized)
	default:
		return v, fmt.Errorf("validate token: status %d", resp.StatusCode)
	}
}

// validate checks the current token and updates its expiry.
func (c *Client) validate(ctx context.Context) (validation, error) {
	v, err := validateToken(ctx, c.cfg, c.accessToken())
	if err != nil {
		return v, err
	}
	c.tokMu.Lock()
	if v.ExpiresIn > 0 {
		c.tok.ExpiresAt = c.cfg.Now().Add(time.Duration(v.ExpiresIn) * time.Second)
	}
	if len(v.Scopes) > 0 {
		c.tok.Scopes = v.Scopes
	}
	c.tokMu.Unlock()
	if len(v.Scopes) > 0 {
		c.idMu.Lock()
		c.id.scopes = v.Scopes
		c.idMu.Unlock()
	}
	return v, nil
}

func (c *Client) setTokens(t Tokens) {
	c.tokMu.Lock()
	c.tok = t
	c.tokMu.Unlock()
}

func (c *Client) accessToken() string {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return c.tok.AccessToken
}

func (c *Client) tokens() Tokens {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return c.tok
}

// refresh trades the refresh token for a new pair, persists it, and only
// then starts using it (public clients' refresh tokens are single-use).
// failed is the access token that was rejected: when another goroutine has
// already replaced it, refresh does nothing.
func (c *Client) refresh(ctx context.Context, failed string) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	cur := c.tokens()
	if failed != "" && cur.AccessToken != failed {
		return nil
	}
	if cur.RefreshToken == "" {
		return fmt.Errorf("refresh: no refresh token (a --twitch-token cannot be refreshed): %w", ErrUnauthorized)
	}
	var tr tokenResponse
	err := postForm(ctx, c.cfg.HTTPClient, c.cfg.AuthURL+"/oauth2/token", url.Values{
		"client_id": {c.cfg.ClientID}, "grant_type": {"refresh_token"}, "refresh_token": {cur.RefreshToken}}, &tr)
	var ae *authError
	if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnauthorized) {
		return fmt.Errorf("refresh: %s: %w", ae.Message, ErrUnauthorized)
	}
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	nt := tr.tokens(c.cfg.Now())
	nt.UserID, nt.Login = cur.UserID, cur.Login
	if len(nt.Scopes) == 0 {
		nt.Scopes = cur.Scopes
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = cur.RefreshToken
	}
	if c.store != nil && c.cfg.Token == "" {
		if err := c.store.SaveTokens(nt); err != nil {
			// The old refresh token is spent: keep the new pair in memory
			// rather than lose it, and say loudly that it is not saved.
			c.log.Error("twitch: refreshed tokens could not be saved; log in again after restart", "err", err)
		}
	}
	c.setTokens(nt)
	c.log.Info("twitch token refreshed", "expires_at", nt.ExpiresAt)
	return nil
}

// maintainToken validates the token every ValidateEvery and refreshes it
// RefreshBefore its expiry (or when validation says it is dead).
func (c *Client) maintainToken(ctx context.Context) {
	for {
		wait := c.cfg.ValidateEvery
		t := c.tokens()
		nearExpiry := false
		if !t.ExpiresAt.IsZero() && t.RefreshToken != "" {
			until := t.ExpiresAt.Sub(c.cfg.Now()) - c.cfg.RefreshBefore
			if until <= wait {
				wait, nearExpiry = until, true
			}
		}
		if wait < 0 {
			wait = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		var err error
		if nearExpiry {
			err = c.refresh(ctx, t.AccessToken)
		} else if _, err = c.validate(ctx); errors.Is(err, ErrUnauthorized) {
			err = c.refresh(ctx, t.AccessToken)
		}
		if err != nil && ctx.Err() == nil {
			c.log.Error("twitch token upkeep failed", "err", err)
			// Try again soon rather than in an hour.
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(time.Minute, c.cfg.ValidateEvery)):
			}
		}
	}
}
