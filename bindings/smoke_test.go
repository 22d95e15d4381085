package bindings

import (
	"testing"
	"time"
)

func TestPingAnswers(t *testing.T) {
	te := newTestEngine(t, map[string]string{"ping.lua": `
module { name = "ping", permissions = { "twitch.chat" } }
command("!ping", function(event, cmd)
  twitch.reply(event, "pong " .. event.data.user.display_name)
end)
`})
	if st := te.module("ping"); st.Status != "running" {
		t.Fatalf("status %s: %s", st.Status, st.LastError)
	}
	te.chatLine("!ping")
	te.waitChat("pong Viewer")
}

func TestNotBotSkipsKnownBotsAndTheBotItself(t *testing.T) {
	te := newTestEngine(t, map[string]string{"nb.lua": `module { name = "nb", permissions = { "twitch.chat" } }
on_event("twitch.chat.message", { filter = filter.not_bot() }, function(event)
  twitch.send_message("heard " .. event.data.user.username)
end)`}, func(c *Config) {
		c.BotNames = []string{"nightbot"}
		c.BotAccount = func() (string, string) { return "mybot", "streamer" }
	})
	for _, who := range []string{"nightbot", "MyBot", "viewer"} {
		te.emit("twitch.chat.message", map[string]any{"user": map[string]any{"id": who, "username": who}, "message": "hi"})
	}
	// the broadcaster's account: its own line passes, the bot's echo does not
	te.emit("twitch.chat.message", map[string]any{"user": map[string]any{"id": "b", "username": "streamer"}, "message": "hello", "from_bot": true})
	te.emit("twitch.chat.message", map[string]any{"user": map[string]any{"id": "b", "username": "streamer"}, "message": "hello", "from_bot": false})
	te.waitChat("heard viewer")
	te.waitChat("heard streamer")
	if n := len(te.chat.Recent()); n != 2 {
		t.Fatalf("want 2 lines heard, got %v", te.chat.Recent())
	}
	te.noChat("heard nightbot", 20*time.Millisecond)
	te.noChat("heard MyBot", 0)
}

func TestFilteredCommandKeepsItsCooldown(t *testing.T) {
	te := newTestEngine(t, map[string]string{"f.lua": `module { name = "f", permissions = { "twitch.chat" } }
on_event("twitch.chat.message", {
  filter = function(e) return e.data.user.subscriber == true end,
  trigger = trigger.command("!perk", { user_cooldown = 60, cooldown_reply = "wait {remaining}" }),
}, function(e) twitch.reply(e, "perk granted") end)`})
	te.chatLine("!perk")               // not a subscriber: filtered, no cooldown taken
	te.chatLine("!perk", "subscriber") // same user id: must still be allowed
	te.waitChat("perk granted")
	te.noChat("wait", 20*time.Millisecond)
}
