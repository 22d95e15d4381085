package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// webhookToken is the secret part of the fake webhook's URL: it must never
// reach the engine's log.
const webhookToken = "e2e-webhook-token-7f3a9c"

// fakeDiscordWebhook is a local stand-in for a Discord webhook endpoint:
// it records each JSON message posted to /api/webhooks/1/<token> and
// answers 204, as Discord does.
type fakeDiscordWebhook struct {
	mu    sync.Mutex
	posts []map[string]any
}

func (f *fakeDiscordWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/webhooks/1/"+webhookToken || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"message": "Unknown Webhook"}`, http.StatusNotFound)
		return
	}
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.posts = append(f.posts, m)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeDiscordWebhook) list() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.posts...)
}

// TestShippedGoliveModulePostsOncePerStream: the shipped golive module, its
// webhook set through the panel's API as a secret, posts the stream's title,
// game and link to a local webhook endpoint when the fake Twitch says the
// channel went live, and not again when the same stream's event repeats.
//
// The shipped module declares http:discord.com; this copy declares
// http:127.0.0.1 instead (the one line changed), as the endpoint is local.
func TestShippedGoliveModulePostsOncePerStream(t *testing.T) {
	t.Parallel()
	hook := &fakeDiscordWebhook{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)

	code := shippedModule(t, "golive.lua")
	if strings.Count(code, `"http:discord.com"`) != 1 {
		t.Fatal(`scripts/golive.lua no longer declares "http:discord.com" exactly once`)
	}
	code = strings.Replace(code, `"http:discord.com"`, `"http:127.0.0.1"`, 1)
	te := startTwitchEngine(t, map[string]string{"golive.lua": code}, twitchtest.Options{})
	te.srv.SetStream(twitchtest.Stream{UserID: e2eBroadcaster.ID, UserLogin: e2eBroadcaster.Login, UserName: e2eBroadcaster.DisplayName,
		Title: "Building a stream bot", GameName: "Software and Game Development", ViewerCount: 3, StartedAt: time.Now()})

	body := `{"config": {"webhook": "` + hs.URL + `/api/webhooks/1/` + webhookToken + `", "channel": "` + e2eBroadcaster.Login + `"}}`
	req, _ := http.NewRequest(http.MethodPost, te.base+"/api/modules/golive/config", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+readToken(t, te.data, e2eWait))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the webhook: %s", resp.Status)
	}
	te.waitModulesRunning(1)

	online := func(id string) []byte {
		return editFrame(t, "stream.online", id, func(ev map[string]any) {
			ev["broadcaster_user_id"], ev["broadcaster_user_login"] = e2eBroadcaster.ID, e2eBroadcaster.Login
			ev["started_at"] = "2026-11-29T20:00:00Z"
		})
	}
	te.send(te.ss, online("e2e-golive-1"))
	deadline := time.Now().Add(e2eWait)
	for len(hook.list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	posts := hook.list()
	if len(posts) != 1 {
		t.Fatalf("webhook posts %v, want one", posts)
	}
	embeds, _ := posts[0]["embeds"].([]any)
	if len(embeds) != 1 {
		t.Fatalf("post %v", posts[0])
	}
	embed := embeds[0].(map[string]any)
	if posts[0]["content"] != e2eBroadcaster.Login+" is live!" || embed["title"] != "Building a stream bot" ||
		embed["description"] != "Playing Software and Game Development" || embed["url"] != "https://twitch.tv/"+e2eBroadcaster.Login {
		t.Fatalf("post %v", posts[0])
	}

	// the same stream announced again (another EventSub message id)
	te.send(te.ss, online("e2e-golive-2"))
	for !strings.Contains(te.logs.String(), "golive: already posted for this stream") {
		if time.Now().After(deadline) {
			t.Fatal("the repeated stream.online was not recognised")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(hook.list()); n != 1 {
		t.Fatalf("%d webhook posts after the repeated event, want 1", n)
	}
	if strings.Contains(te.logs.String(), webhookToken) {
		t.Error("the webhook URL's token appears in the engine's log")
	}
	te.checkNoHandlerErrors()
}
