package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

// shippedModule reads a module of the repository's scripts folder.
func shippedModule(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "scripts", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// editFrame reads a testdata envelope, lets edit change its event, and
// gives it the EventSub message id id.
func editFrame(tb testing.TB, file, id string, edit func(ev map[string]any)) []byte {
	tb.Helper()
	raw, err := os.ReadFile(twitchTestdata(file))
	if err != nil {
		tb.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		tb.Fatal(err)
	}
	env["metadata"].(map[string]any)["message_id"] = id
	edit(env["payload"].(map[string]any)["event"].(map[string]any))
	b, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestShippedModerationModuleTimesOutThroughHelix: the shipped moderation
// module, run by the engine, times a viewer's link out and answers a
// moderator's !timeout, each as a Helix ban request the fake records.
func TestShippedModerationModuleTimesOutThroughHelix(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"moderation.lua": shippedModule(t, "moderation.lua")}, twitchtest.Options{})

	// viewer32 without badges posts a link
	te.send(te.ss, editFrame(t, "channel.chat.message", "e2e-mod-link", func(ev map[string]any) {
		ev["badges"] = []any{}
		ev["message"] = map[string]any{"text": "free stuff at https://example.com", "fragments": []any{}}
	}))
	te.waitChat("@viewer32 links need a !permit from a moderator (10s timeout)")
	ban := te.srv.Bans()[e2eViewer.ID]
	if ban.Reason != "link: example.com" || ban.ModeratorID != e2eBroadcaster.ID || ban.EndTime.IsZero() {
		t.Fatalf("ban of viewer32 = %+v", ban)
	}

	// viewer32 as a moderator (the testdata badges) times cool_streamer out
	te.send(te.ss, twitchChatFrame(t, "e2e-mod-timeout", "!timeout @Cool_Streamer 5m spamming"))
	te.waitChat("cool_streamer is timed out for 5m.")
	ban = te.srv.Bans()[e2eShoutout.ID]
	if d := ban.EndTime.Sub(ban.CreatedAt); ban.Reason != "spamming" || d != 5*time.Minute {
		t.Fatalf("ban of cool_streamer = %+v", ban)
	}
	te.checkNoHandlerErrors()
}

// TestShippedChannelPointsModuleFulfilsAndRefunds: the shipped example
// creates its reward when Twitch connects, then fulfils a fit redemption
// and refunds a linked one, through the fake Helix.
func TestShippedChannelPointsModuleFulfilsAndRefunds(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"channel_points.lua": shippedModule(t, "channel_points.lua")}, twitchtest.Options{})
	var reward twitchtest.Reward
	if !te.srv.WaitFor(e2eWait, func() bool {
		for _, r := range te.srv.Rewards() {
			if r.Title == "Say it in chat" {
				reward = r
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the module created no reward; Helix has %+v", te.srv.Rewards())
	}
	if reward.Cost != 300 || !reward.InputRequired || reward.CooldownSeconds != 30 || reward.ClientID != e2eClientID {
		t.Fatalf("reward %+v", reward)
	}
	redeem := func(msgID, input string) string {
		id := te.srv.AddRedemption(reward.ID, e2eViewer.ID)
		te.send(te.ss, editFrame(t, "channel.channel_points_custom_reward_redemption.add", msgID, func(ev map[string]any) {
			ev["id"], ev["user_input"] = id, input
			ev["user_id"], ev["user_login"], ev["user_name"] = e2eViewer.ID, e2eViewer.Login, e2eViewer.DisplayName
			ev["reward"].(map[string]any)["id"] = reward.ID
		}))
		return id
	}
	fit := redeem("e2e-points-fit", "hello chat")
	te.waitChat("viewer32 says: hello chat")
	linked := redeem("e2e-points-link", "go to https://example.com")
	te.waitChat("@viewer32 links are not allowed: your points are back.")
	if !te.srv.WaitFor(e2eWait, func() bool {
		return te.srv.RedemptionStatus(fit) == "FULFILLED" && te.srv.RedemptionStatus(linked) == "CANCELED"
	}) {
		t.Fatalf("redemptions: fit %s, linked %s; PATCH calls %+v", te.srv.RedemptionStatus(fit), te.srv.RedemptionStatus(linked),
			te.srv.CallsTo(http.MethodPatch, "/helix/channel_points/custom_rewards/redemptions"))
	}
	te.checkNoHandlerErrors()
}
