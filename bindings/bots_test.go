package bindings

import (
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// TestIsBotDecidesFromTheAccountAndTheLists: what filter.not_bot() skips,
// for a separate bot account, the broadcaster chatting as the bot, and the
// default and replaced bot lists.
func TestIsBotDecidesFromTheAccountAndTheLists(t *testing.T) {
	chat := func(login string, fromBot bool) *engine.Event {
		return &engine.Event{Type: "twitch.chat.message", Source: "twitch", Data: map[string]any{
			"user": map[string]any{"username": login}, "message": "hi", "from_bot": fromBot}}
	}
	separate := func() (string, string) { return "mybot", "Streamer" }
	own := func() (string, string) { return "streamer", "Streamer" }
	for _, c := range []struct {
		name    string
		account func() (string, string)
		names   []string
		ev      *engine.Event
		want    bool
	}{
		{"a viewer", separate, nil, chat("viewer", false), false},
		{"a line this engine sent", own, nil, chat("streamer", true), true},
		{"the separate bot account", separate, nil, chat("MyBot", false), true},
		{"the streamer's own line when the bot is their account", own, nil, chat("streamer", false), false},
		{"a known bot by default", nil, nil, chat("Nightbot", false), true},
		{"a replaced list drops the defaults", nil, []string{"starstreamer"}, chat("nightbot", false), false},
		{"a replaced list", nil, []string{"starstreamer"}, chat("starstreamer", false), true},
		{"no user", separate, nil, &engine.Event{Type: "x", Data: map[string]any{}}, false},
	} {
		rt := &Runtime{cfg: Config{BotAccount: c.account, BotNames: c.names}}
		if got := rt.isBot(c.ev); got != c.want {
			t.Errorf("%s: isBot = %v, want %v", c.name, got, c.want)
		}
	}
}
