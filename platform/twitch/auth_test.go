package twitch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

func TestDeviceLogin(t *testing.T) {
	newTok := twitchtest.Token{Access: "dev-access", Refresh: "dev-refresh", UserID: bot.ID, Login: bot.Login, Scopes: Scopes}
	tests := []struct {
		name    string
		flow    twitchtest.DeviceFlow
		wantErr error
	}{
		{"approved after two pending polls", twitchtest.DeviceFlow{PendingPolls: 2, Token: newTok}, nil},
		{"approved after a slow_down and a pending poll", twitchtest.DeviceFlow{SlowDownPolls: 1, PendingPolls: 1, Token: newTok}, nil},
		{"expired code", twitchtest.DeviceFlow{Expire: true}, ErrDeviceCodeExpired},
		{"denied", twitchtest.DeviceFlow{Deny: true}, ErrLoginDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, twitchtest.Options{}, nil)
			e.srv.SetDeviceFlow(tt.flow)
			store := &memStore{}
			var out bytes.Buffer
			err := DeviceLogin(context.Background(), e.cfg, store, &out)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("DeviceLogin: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if store.saveCount() != 0 {
					t.Error("saved tokens after a failed login")
				}
				return
			}
			got := store.current()
			if got.AccessToken != "dev-access" || got.RefreshToken != "dev-refresh" || got.UserID != bot.ID ||
				got.Login != bot.Login || got.ExpiresAt.IsZero() {
				t.Errorf("saved %v", got)
			}
			polls := e.srv.CallsTo("POST", "/oauth2/token")
			if want := tt.flow.SlowDownPolls + tt.flow.PendingPolls + 1; len(polls) != want {
				t.Errorf("%d token polls, want %d", len(polls), want)
			}
			dev := e.srv.CallsTo("POST", "/oauth2/device")[0]
			if !strings.Contains(dev.Body, "scopes="+strings.ReplaceAll(strings.Join(Scopes, "+"), ":", "%3A")) {
				t.Errorf("device request %q does not ask for every scope", dev.Body)
			}
			text := out.String()
			for _, want := range append([]string{"https://www.twitch.tv/activate", "ABCDEFGH"}, Scopes...) {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "dev-access") || strings.Contains(text, "dev-refresh") {
				t.Error("token printed")
			}
		})
	}
}

// TestDevicePollAnswers drives one device code poll by poll, as the panel's
// login does, through every answer Twitch gives.
func TestDevicePollAnswers(t *testing.T) {
	newTok := twitchtest.Token{Access: "dev-access", Refresh: "dev-refresh", UserID: bot.ID, Login: bot.Login, Scopes: []string{"user:read:chat"}}
	type step struct {
		do   func(*twitchtest.Server) // the user's move before this poll, if any
		want error                    // nil: the tokens
	}
	approve := func(s *twitchtest.Server) { s.ApproveDevice() }
	deny := func(s *twitchtest.Server) { s.DenyDevice() }
	expire := func(s *twitchtest.Server) { s.ExpireDevice() }
	tests := []struct {
		name  string
		flow  twitchtest.DeviceFlow
		steps []step
	}{
		{"pending until approved", twitchtest.DeviceFlow{Manual: true, Token: newTok},
			[]step{{nil, ErrAuthorizationPending}, {nil, ErrAuthorizationPending}, {approve, nil}, {nil, ErrDeviceCodeExpired}}},
		{"slow_down, then pending, then approved", twitchtest.DeviceFlow{SlowDownPolls: 1, Manual: true, Token: newTok},
			[]step{{nil, ErrSlowDown}, {nil, ErrAuthorizationPending}, {approve, nil}}},
		{"denied while pending", twitchtest.DeviceFlow{Manual: true, Token: newTok},
			[]step{{nil, ErrAuthorizationPending}, {deny, ErrLoginDenied}, {nil, ErrLoginDenied}}},
		{"expired while pending", twitchtest.DeviceFlow{Manual: true, Token: newTok},
			[]step{{nil, ErrAuthorizationPending}, {expire, ErrDeviceCodeExpired}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, twitchtest.Options{}, nil)
			e.srv.SetDeviceFlow(tt.flow)
			d, err := StartDeviceLogin(context.Background(), e.cfg, []string{"user:read:chat"})
			if err != nil {
				t.Fatal(err)
			}
			if d.UserCode != "ABCDEFGH" || !strings.HasPrefix(d.VerificationURI, "https://www.twitch.tv/activate") || d.ExpiresAt.IsZero() {
				t.Fatalf("device code = %+v", d)
			}
			if got := e.srv.DeviceScopes(); got != "user:read:chat" {
				t.Errorf("device request asked for scopes %q", got)
			}
			before := d.Interval()
			for i, st := range tt.steps {
				if st.do != nil {
					st.do(e.srv)
				}
				tok, err := d.Poll(context.Background())
				if st.want == nil {
					if err != nil || tok.AccessToken != "dev-access" || tok.Login != bot.Login || tok.UserID != bot.ID {
						t.Fatalf("poll %d: %v, %v; want the tokens", i, tok, err)
					}
					continue
				}
				if !errors.Is(err, st.want) {
					t.Fatalf("poll %d: err = %v, want %v", i, err, st.want)
				}
				if errors.Is(err, ErrSlowDown) && d.Interval() <= before {
					t.Errorf("slow_down left the interval at %v", d.Interval())
				}
			}
		})
	}
}

func TestDeviceCodeExpiresByItsLifetime(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.srv.SetDeviceFlow(twitchtest.DeviceFlow{Manual: true, ExpiresIn: 1})
	now := time.Now()
	e.cfg.Now = func() time.Time { return now }
	d, err := StartDeviceLogin(context.Background(), e.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Poll(context.Background()); !errors.Is(err, ErrAuthorizationPending) {
		t.Fatalf("first poll: %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := d.Wait(context.Background()); !errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("Wait after the lifetime: %v, want ErrDeviceCodeExpired", err)
	}
}

func TestStartDeviceLoginRefusedNamesTheClientType(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.srv.FailNext("POST", "/oauth2/device", twitchtest.Response{Status: 400, Body: `{"status":400,"message":"invalid client"}`})
	_, err := StartDeviceLogin(context.Background(), e.cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "invalid client") || !strings.Contains(err.Error(), "Public") {
		t.Fatalf("err = %v", err)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	if err := Revoke(context.Background(), e.cfg, "tok-bot"); err != nil {
		t.Fatal(err)
	}
	if _, err := validateToken(context.Background(), e.cfg.withDefaults(), "tok-bot"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("token still valid after Revoke: %v", err)
	}
	if err := Revoke(context.Background(), e.cfg, "tok-bot"); err != nil {
		t.Errorf("revoking a dead token: %v", err)
	}
}

func TestStartRefreshesARejectedStoredTokenAndSavesBeforeUse(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.srv.RevokeToken("tok-bot")
	var callsAtSave atomic.Int64
	var usedBeforeSave atomic.Bool
	e.store.onSave = func(t Tokens) {
		callsAtSave.Store(int64(len(e.srv.Calls())))
		usedBeforeSave.Store(e.client.accessToken() == t.AccessToken)
	}
	e.connected(t)

	if e.store.saveCount() != 1 {
		t.Fatalf("%d saves, want 1", e.store.saveCount())
	}
	if usedBeforeSave.Load() {
		t.Error("the client switched to the new token before it was saved")
	}
	saved := e.store.current()
	if saved.AccessToken == "tok-bot" || saved.RefreshToken == "ref-bot" || saved.RefreshToken == "" {
		t.Fatalf("saved pair was not refreshed: %v", saved)
	}
	for i, c := range e.srv.Calls() {
		if strings.HasSuffix(c.Header.Get("Authorization"), saved.AccessToken) && int64(i) < callsAtSave.Load() {
			t.Errorf("call %d (%s %s) used the new token before it was saved", i, c.Method, c.Path)
		}
	}
	if n := len(e.srv.CallsTo("POST", "/oauth2/token")); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	e.assertNoTokenInLogs(t)
}

func TestHelix401RefreshesOnceAndRetries(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	e.srv.RevokeToken("tok-bot")
	if err := e.client.SendMessage(context.Background(), "hello"); err != nil {
		t.Fatalf("SendMessage after the token died: %v", err)
	}
	if got := e.srv.ChatMessages(); len(got) != 1 || got[0].Message != "hello" {
		t.Fatalf("chat = %v", got)
	}
	if e.store.current().AccessToken == "tok-bot" {
		t.Error("refreshed pair not saved")
	}
	e.assertNoTokenInLogs(t)
}

func TestGivenTokenCannotBeRefreshed(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.cfg.Token = "oauth:tok-bot" // Twitch's chat-style prefix is accepted
		e.store = nil
	})
	e.connected(t)
	if c := e.srv.CallsTo("GET", "/oauth2/validate"); len(c) == 0 || c[0].Header.Get("Authorization") != "OAuth tok-bot" {
		t.Fatal("the given token was not validated")
	}
	e.srv.RevokeToken("tok-bot")
	err := e.client.SendMessage(context.Background(), "hi")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
}

func TestRunWithoutLoginFails(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) { e.store = &memStore{} })
	if err := e.client.Run(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Run = %v, want ErrNotLoggedIn", err)
	}
}

func TestRunWithDeadTokenAndDeadRefreshFails(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.store.tok = Tokens{AccessToken: "nope", RefreshToken: "nope-either"}
	})
	if err := e.client.Run(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrUnauthorized", err)
	}
}

func TestValidationUnavailableFallsBackToGetUsers(t *testing.T) {
	// Like a mock server without id.twitch.tv: /oauth2/validate is 404.
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.FailNext("GET", "/oauth2/validate", twitchtest.Response{Status: http.StatusNotFound, Body: "404 page not found"})
	})
	ss := e.connected(t)
	for _, s := range ss.Subscriptions() {
		if s.Type == "channel.chat.message" && s.Condition["user_id"] != bot.ID {
			t.Errorf("bot id not resolved from Get Users: %v", s.Condition)
		}
	}
}

func TestTokenIsValidatedPeriodically(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) { e.cfg.ValidateEvery = 10 * time.Millisecond })
	e.start(t)
	if !e.srv.WaitFor(wait, func() bool { return len(e.srv.CallsTo("GET", "/oauth2/validate")) >= 4 }) {
		t.Fatal("token not validated periodically")
	}
}

func TestTokenIsRefreshedBeforeExpiry(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.AddToken(twitchtest.Token{Access: "tok-bot", Refresh: "ref-bot", UserID: bot.ID, Login: bot.Login,
			Scopes: Scopes, ExpiresIn: 3600})
		e.cfg.RefreshBefore = 2 * time.Hour // already inside the window
	})
	e.start(t)
	if !e.srv.WaitFor(wait, func() bool { return len(e.srv.CallsTo("POST", "/oauth2/token")) >= 1 }) {
		t.Fatal("no refresh before expiry")
	}
	eventually(t, func() bool { return e.store.saveCount() >= 1 })
}
