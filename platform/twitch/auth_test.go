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
		{"expired code", twitchtest.DeviceFlow{Expire: true}, ErrDeviceCodeExpired},
		{"denied", twitchtest.DeviceFlow{Deny: true}, errors.New("authorization_denied")},
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
			case tt.wantErr == ErrDeviceCodeExpired && !errors.Is(err, ErrDeviceCodeExpired):
				t.Fatalf("err = %v, want ErrDeviceCodeExpired", err)
			case tt.wantErr != nil && (err == nil || !strings.Contains(err.Error(), tt.wantErr.Error())):
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
			if len(polls) != 3 {
				t.Errorf("%d token polls, want 3 (2 pending + 1)", len(polls))
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
