package bindings

import (
	"slices"
	"strings"

	"github.com/starstreamer/starstreamer/engine"
)

// KnownBots are the chat bots filter.not_bot() skips besides the engine's
// own account, unless Config.BotNames replaces them. Lower case.
var KnownBots = []string{"nightbot", "streamelements", "streamlabs", "moobot", "fossabot", "wizebot", "soundalerts", "sery_bot"}

// isBot is filter.not_bot()'s test, the one place that decides whether a
// chatter is a bot: a line this engine sent (data.from_bot, which the Twitch
// client marks, also when the bot chats as the broadcaster), the separate
// account the engine chats as (Config.BotAccount; not the channel's own
// account, whose other lines are the streamer's), or one of Config.BotNames.
func (rt *Runtime) isBot(e *engine.Event) bool {
	if fromBot, _ := e.Data["from_bot"].(bool); fromBot {
		return true
	}
	u := eventUser(e)
	if u == nil {
		return false
	}
	name, _ := u["username"].(string)
	name = strings.ToLower(name)
	if name == "" {
		return false
	}
	if rt.cfg.BotAccount != nil {
		if login, channel := rt.cfg.BotAccount(); login != "" && name == strings.ToLower(login) && !strings.EqualFold(login, channel) {
			return true
		}
	}
	bots := rt.cfg.BotNames
	if bots == nil {
		bots = KnownBots
	}
	return slices.Contains(bots, name)
}
