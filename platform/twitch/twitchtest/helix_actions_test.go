package twitchtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// helixDo sends one Helix request as token tok and returns the status, the
// Ratelimit-Remaining header and Twitch's message.
func helixDo(t *testing.T, s *Server, tok, method, pathQuery, body string) (int, string, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.HelixURL()+pathQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Client-Id", "cid")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, resp.Header.Get("Ratelimit-Remaining"), e.Message
}

func TestHelixActionsAnswerAsTwitchDocuments(t *testing.T) {
	s := New(Options{})
	t.Cleanup(s.Close)
	s.AddUser(User{ID: "1", Login: "streamer"})
	s.AddUser(User{ID: "2", Login: "viewer"})
	s.AddUser(User{ID: "3", Login: "friend"})
	s.AddToken(Token{Access: "all", UserID: "1", Login: "streamer", Scopes: []string{
		"moderator:manage:banned_users", "moderator:manage:shoutouts", "channel:manage:polls", "channel:manage:redemptions"}})
	s.AddToken(Token{Access: "none", UserID: "1", Login: "streamer"})
	s.AddToken(Token{Access: "viewer", UserID: "2", Login: "viewer", Scopes: []string{"channel:manage:polls", "moderator:manage:banned_users"}})
	s.SetStream(Stream{UserID: "1", UserLogin: "streamer", StartedAt: time.Now()})
	tests := []struct {
		name, tok, method, path, body string
		status                        int
		message                       string // part of Twitch's message
	}{
		{"ban", "all", "POST", "/moderation/bans?broadcaster_id=1&moderator_id=1", `{"data":{"user_id":"2","duration":60}}`, 200, ""},
		{"missing scope is a 401 naming it", "none", "POST", "/moderation/bans?broadcaster_id=1&moderator_id=1", `{"data":{"user_id":"2"}}`, 401, "Missing scope: moderator:manage:banned_users"},
		{"moderator_id must be the token's user", "viewer", "POST", "/moderation/bans?broadcaster_id=1&moderator_id=1", `{"data":{"user_id":"2"}}`, 403, "moderator_id"},
		{"duration out of range", "all", "POST", "/moderation/bans?broadcaster_id=1&moderator_id=1", `{"data":{"user_id":"3","duration":0}}`, 400, "duration"},
		{"missing parameter", "all", "POST", "/moderation/bans?broadcaster_id=1", `{"data":{"user_id":"2"}}`, 400, "moderator_id"},
		{"unban someone not banned", "all", "DELETE", "/moderation/bans?broadcaster_id=1&moderator_id=1&user_id=3", "", 400, "not banned"},
		{"broadcaster-only endpoint refuses others", "viewer", "POST", "/polls", `{"broadcaster_id":"1","title":"t","choices":[{"title":"a"},{"title":"b"}],"duration":60}`, 403, "broadcaster_id"},
		{"poll with one choice", "all", "POST", "/polls", `{"broadcaster_id":"1","title":"t","choices":[{"title":"a"}],"duration":60}`, 400, "choices"},
		{"shoutout", "all", "POST", "/chat/shoutouts?from_broadcaster_id=1&to_broadcaster_id=3&moderator_id=1", "", 204, ""},
		{"second shoutout within 2 minutes", "all", "POST", "/chat/shoutouts?from_broadcaster_id=1&to_broadcaster_id=2&moderator_id=1", "", 429, "2 minutes"},
		{"reward without cost", "all", "POST", "/channel_points/custom_rewards?broadcaster_id=1", `{"title":"x"}`, 400, "cost"},
	}
	for _, tt := range tests {
		status, remaining, msg := helixDo(t, s, tt.tok, tt.method, tt.path, tt.body)
		if status != tt.status || !strings.Contains(msg, tt.message) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, status, msg, tt.status, tt.message)
		}
		if remaining == "" {
			t.Errorf("%s: no Ratelimit-Remaining header", tt.name)
		}
		if tt.status == 429 && remaining == "0" {
			t.Errorf("%s: a shoutout limit must leave points in the bucket", tt.name)
		}
	}
	if b := s.Bans()["2"]; b.EndTime.IsZero() {
		t.Errorf("ban = %+v, want a timeout with an end", b)
	}
}

func TestSetBucketCountsDownAndRefuses(t *testing.T) {
	s := New(Options{})
	t.Cleanup(s.Close)
	s.AddUser(User{ID: "1", Login: "streamer"})
	s.AddToken(Token{Access: "tok", UserID: "1", Login: "streamer"})
	s.SetBucket(2, time.Hour)
	var got []string
	for i := 0; i < 3; i++ {
		status, remaining, _ := helixDo(t, s, "tok", "GET", "/users?login=streamer", "")
		got = append(got, http.StatusText(status)+"/"+remaining)
	}
	if want := "OK/1 OK/0 Too Many Requests/0"; strings.Join(got, " ") != want {
		t.Errorf("answers %v, want %s", got, want)
	}
}
