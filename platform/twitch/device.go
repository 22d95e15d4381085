package twitch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Errors of the device-code login, for errors.Is.
var (
	// ErrDeviceCodeExpired: the user did not approve the login in time (or
	// the code was already used).
	ErrDeviceCodeExpired = errors.New("twitch login: the code expired before it was approved; start the login again")
	// ErrLoginDenied: the user declined the authorization on Twitch.
	ErrLoginDenied = errors.New("twitch login: the authorization was declined on Twitch")
	// ErrAuthorizationPending: the user has not approved yet (Poll only).
	ErrAuthorizationPending = errors.New("twitch login: waiting for approval on Twitch")
	// ErrSlowDown: Twitch asked to poll less often; the interval has grown
	// (Poll only).
	ErrSlowDown = errors.New("twitch login: polling too fast, slowing down")
)

// DeviceCode is a started device-code login (OAuth Device Code Grant, the
// flow for a Public client: no client secret, no redirect). Show the user
// VerificationURI and UserCode, then Wait — or Poll at Interval — until the
// user approves on Twitch. It is safe for concurrent use.
type DeviceCode struct {
	VerificationURI string
	UserCode        string
	ExpiresAt       time.Time
	Scopes          []string // the scopes asked for

	cfg        Config
	deviceCode string // never shown: it is what polling trades for tokens

	mu       sync.Mutex
	interval time.Duration
}

// StartDeviceLogin asks Twitch for a device code for scopes (Scopes when
// nil). It returns at once: nothing waits for the user.
func StartDeviceLogin(ctx context.Context, cfg Config, scopes []string) (*DeviceCode, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("twitch login: the application's client id is required")
	}
	if scopes == nil {
		scopes = Scopes
	}
	cfg = cfg.withDefaults()
	var dev struct {
		DeviceCode      string `json:"device_code"`
		ExpiresIn       int64  `json:"expires_in"`
		Interval        int64  `json:"interval"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
	}
	err := postForm(ctx, cfg.HTTPClient, cfg.AuthURL+"/oauth2/device",
		url.Values{"client_id": {cfg.ClientID}, "scopes": {strings.Join(scopes, " ")}}, &dev)
	var ae *authError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return nil, fmt.Errorf("twitch login: Twitch refused the device code request (%s): is the client id right, and is the application's client type \"Public\"?", ae.Message)
	}
	if err != nil {
		return nil, fmt.Errorf("twitch login: request device code: %w", err)
	}
	if dev.DeviceCode == "" || dev.UserCode == "" || dev.VerificationURI == "" {
		return nil, errors.New("twitch login: the device code answer lacks device_code, user_code or verification_uri")
	}
	d := &DeviceCode{
		VerificationURI: dev.VerificationURI, UserCode: dev.UserCode, Scopes: append([]string(nil), scopes...),
		cfg: cfg, deviceCode: dev.DeviceCode, interval: time.Duration(dev.Interval) * time.Second,
	}
	if dev.ExpiresIn > 0 {
		d.ExpiresAt = cfg.Now().Add(time.Duration(dev.ExpiresIn) * time.Second)
	}
	if cfg.DevicePollInterval > 0 {
		d.interval = cfg.DevicePollInterval
	}
	if d.interval <= 0 {
		d.interval = 5 * time.Second
	}
	return d, nil
}

// Interval is how long to wait before the next Poll.
func (d *DeviceCode) Interval() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.interval
}

// slowDown grows the interval by 5 s, as Twitch asks with slow_down (by
// DevicePollInterval instead when that is set, so tests stay fast).
func (d *DeviceCode) slowDown() {
	step := 5 * time.Second
	if d.cfg.DevicePollInterval > 0 {
		step = d.cfg.DevicePollInterval
	}
	d.mu.Lock()
	d.interval += step
	d.mu.Unlock()
}

// Poll asks once whether the user has approved. It returns the validated
// tokens (user id and login filled in) on approval; ErrAuthorizationPending
// or ErrSlowDown (poll again after Interval); ErrDeviceCodeExpired or
// ErrLoginDenied (the login is over); or another error.
func (d *DeviceCode) Poll(ctx context.Context) (Tokens, error) {
	if !d.ExpiresAt.IsZero() && !d.cfg.Now().Before(d.ExpiresAt) {
		return Tokens{}, ErrDeviceCodeExpired
	}
	form := url.Values{"client_id": {d.cfg.ClientID}, "scopes": {strings.Join(d.Scopes, " ")},
		"device_code": {d.deviceCode}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}
	var tr tokenResponse
	err := postForm(ctx, d.cfg.HTTPClient, d.cfg.AuthURL+"/oauth2/token", form, &tr)
	var ae *authError
	if errors.As(err, &ae) {
		switch msg := strings.ToLower(ae.Message); {
		case msg == "authorization_pending":
			return Tokens{}, ErrAuthorizationPending
		case msg == "slow_down":
			d.slowDown()
			return Tokens{}, ErrSlowDown
		case strings.Contains(msg, "invalid device code"), msg == "expired_token":
			return Tokens{}, ErrDeviceCodeExpired
		case msg == "authorization_denied", msg == "access_denied", msg == "authorization_declined":
			return Tokens{}, ErrLoginDenied
		default:
			return Tokens{}, fmt.Errorf("twitch login: %s", ae.Message)
		}
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("twitch login: poll token: %w", err)
	}
	t := tr.tokens(d.cfg.Now())
	v, err := validateToken(ctx, d.cfg, t.AccessToken)
	if err != nil {
		return Tokens{}, fmt.Errorf("twitch login: validate new token: %w", err)
	}
	t.UserID, t.Login = v.UserID, v.Login
	if len(v.Scopes) > 0 {
		t.Scopes = v.Scopes
	}
	return t, nil
}

// Wait polls at Interval until the user approves (tokens), declines
// (ErrLoginDenied), the code expires (ErrDeviceCodeExpired) or ctx ends.
func (d *DeviceCode) Wait(ctx context.Context) (Tokens, error) {
	for {
		t := time.NewTimer(d.Interval())
		select {
		case <-ctx.Done():
			t.Stop()
			return Tokens{}, fmt.Errorf("twitch login: %w", ctx.Err())
		case <-t.C:
		}
		tok, err := d.Poll(ctx)
		if errors.Is(err, ErrAuthorizationPending) || errors.Is(err, ErrSlowDown) {
			continue
		}
		return tok, err
	}
}

// DeviceLogin is `starstreamer twitch login`: it starts a device-code login
// for every scope in Scopes, prints the verification URL, the code and the
// scopes to out, waits for the approval and saves the tokens in store.
func DeviceLogin(ctx context.Context, cfg Config, store TokenStore, out io.Writer) error {
	if store == nil {
		return errors.New("twitch login: no token store")
	}
	d, err := StartDeviceLogin(ctx, cfg, Scopes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "To log in, open %s\nand enter the code: %s\n\nScopes requested:\n", d.VerificationURI, d.UserCode)
	for _, s := range d.Scopes {
		fmt.Fprintf(out, "  %s\n", s)
	}
	fmt.Fprintln(out, "\nWaiting for approval…")
	t, err := d.Wait(ctx)
	if err != nil {
		return err
	}
	if err := store.SaveTokens(t); err != nil {
		return fmt.Errorf("twitch login: save tokens: %w", err)
	}
	fmt.Fprintf(out, "Logged in as %s.\n", t.Login)
	return nil
}

// Revoke asks Twitch to revoke an access token (POST /oauth2/revoke); its
// refresh token dies with it. A token Twitch no longer knows counts as
// revoked.
func Revoke(ctx context.Context, cfg Config, accessToken string) error {
	if accessToken == "" {
		return nil
	}
	cfg = cfg.withDefaults()
	err := postForm(ctx, cfg.HTTPClient, cfg.AuthURL+"/oauth2/revoke",
		url.Values{"client_id": {cfg.ClientID}, "token": {accessToken}}, nil)
	var ae *authError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Message), "invalid token") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("twitch: revoke token: %w", err)
	}
	return nil
}
