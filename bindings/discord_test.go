package bindings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recDiscord records what discord.* calls hand to the Discord client.
type recDiscord struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (r *recDiscord) Send(ctx context.Context, channel, text string, embed map[string]any) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("send %s %q %v", channel, text, embed))
	return "m1", r.fail
}

func (r *recDiscord) Reply(ctx context.Context, channel, messageID, text string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("reply %s %s %q", channel, messageID, text))
	return "m2", r.fail
}

func (r *recDiscord) React(ctx context.Context, channel, messageID, emoji string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("react %s %s %s", channel, messageID, emoji))
	return r.fail
}

const discordScript = `module { name = "dc", permissions = { "discord", "twitch.chat" } }
on_event("discord.message", function(e)
  local a, err1 = discord.reply(e, "hi " .. e.data.author.display_name)
  local b, err2 = discord.react(e, "👍")
  local c, err3 = discord.send(e.data.channel, { content = "txt", title = "T", color = 255 })
  local d, err4 = discord.send(e.data.channel, "plain")
  twitch.send_message(table.concat({ tostring(a), tostring(err1), tostring(b), tostring(err2), tostring(c), tostring(err3), tostring(d), tostring(err4) }, " "))
end)
`

var discordEvent = map[string]any{"channel": "c1", "message_id": "m0", "content": "x", "guild": "g",
	"author": map[string]any{"id": "7", "username": "ada", "display_name": "Ada", "roles": []any{}, "bot": false, "owner": false}}

func TestDiscordBindingsHandTheEventToTheClient(t *testing.T) {
	rec := &recDiscord{}
	te := newTestEngine(t, map[string]string{"dc.lua": discordScript}, func(c *Config) { c.Discord = rec })
	te.emit("discord.message", discordEvent)
	te.waitChat("m2 nil true nil m1 nil m1 nil")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []string{`reply c1 m0 "hi Ada"`, `react c1 m0 👍`, `send c1 "txt" map[color:255 title:T]`, `send c1 "plain" map[]`}
	if fmt.Sprint(rec.calls) != fmt.Sprint(want) {
		t.Fatalf("calls\n%v\nwant\n%v", rec.calls, want)
	}
}

func TestDiscordErrorsAreReturnedNotRaised(t *testing.T) {
	rec := &recDiscord{fail: errors.New("discord: the bot may not speak in this channel")}
	te := newTestEngine(t, map[string]string{"dc.lua": discordScript}, func(c *Config) { c.Discord = rec })
	te.emit("discord.message", discordEvent)
	te.waitChat("nil discord: the bot may not speak in this channel nil discord: the bot may not speak in this channel nil discord: the bot may not speak in this channel nil discord: the bot may not speak in this channel")
	te2 := newTestEngine(t, map[string]string{"dc.lua": discordScript})
	te2.emit("discord.message", discordEvent)
	te2.waitChat("nil " + ErrDiscordOffline.Error())
}

func TestDiscordNeedsItsPermissionAndAMessage(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		{"no permission", `module { name = "m", permissions = { "twitch.chat" } }
on_event("go", function() local ok, err = pcall(discord.send, "c", "x") twitch.send_message(tostring(err)) end)`, `needs the "discord" permission`},
		{"not a message event", `module { name = "m", permissions = { "discord", "twitch.chat" } }
on_event("go", function(e) local ok, err = pcall(discord.reply, e, "x") twitch.send_message(tostring(err)) end)`, "expected a discord.message event"},
		{"neither text nor table", `module { name = "m", permissions = { "discord", "twitch.chat" } }
on_event("go", function(e) local ok, err = pcall(discord.send, "c", 5) twitch.send_message(tostring(err)) end)`, "expected a text or an embed table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"m.lua": tc.code}, func(c *Config) { c.Discord = &recDiscord{} })
			te.emit("go", nil)
			te.waitChat(tc.want)
		})
	}
}

func discordLine(text string, levels ...string) map[string]any {
	author := map[string]any{"id": "7", "username": "ada", "display_name": "Ada", "roles": []any{}, "bot": false, "owner": false}
	for _, l := range levels {
		author[l] = true
	}
	return map[string]any{"channel": "c1", "message_id": "m-" + text, "content": text, "guild": "g", "author": author}
}

func TestCommandsAnswerDiscordOnlyWhenAsked(t *testing.T) {
	rec := &recDiscord{}
	te := newTestEngine(t, map[string]string{"m.lua": `module { name = "m", permissions = { "discord", "twitch.chat" } }
command("!both", { platforms = { "twitch", "discord" } }, function(e, cmd) twitch.send_message("both " .. e.type .. " " .. cmd.rest) end)
command("!tw", function(e) twitch.send_message("tw " .. e.type) end)
command("!mod", { platforms = { "discord" }, permission = "moderator" }, function(e) twitch.send_message("mod " .. e.data.author.display_name) end)
command("!slow", { platforms = { "discord" }, cooldown = 60, cooldown_reply = "wait {remaining}" }, function(e) twitch.send_message("slow ran") end)
`}, func(c *Config) { c.Discord = rec })
	te.emit("discord.message", discordLine("!both a b"))
	te.waitChat("both discord.message a b")
	te.chatLine("!both x")
	te.waitChat("both twitch.chat.message x")
	te.emit("discord.message", discordLine("!tw"))
	te.emit("discord.message", discordLine("!mod"))
	te.emit("discord.message", discordLine("!mod", "moderator"))
	te.waitChat("mod Ada")
	te.noChat("tw discord.message", 50*time.Millisecond)
	if n := strings.Count(fmt.Sprint(te.chat.Recent()), "mod Ada"); n != 1 {
		t.Errorf("!mod ran %d times, want once (for the moderator only)", n)
	}
	te.emit("discord.message", discordLine("!slow"))
	te.waitChat("slow ran")
	te.emit("discord.message", discordLine("!slow"))
	for start := time.Now(); time.Since(start) < 3*time.Second; time.Sleep(5 * time.Millisecond) {
		rec.mu.Lock()
		got := fmt.Sprint(rec.calls)
		rec.mu.Unlock()
		if strings.Contains(got, `reply c1 m-!slow "wait`) {
			return
		}
	}
	t.Fatalf("the cooldown reply did not go to Discord: %v", rec.calls)
}

func TestCommandPlatformsMustBeKnown(t *testing.T) {
	te := newTestEngine(t, map[string]string{"m.lua": `module { name = "m", permissions = { "twitch.chat" } }
local ok, err = pcall(command, "!x", { platforms = { "youtube" } }, function() end)
on_event("go", function() twitch.send_message(tostring(err)) end)`})
	te.emit("go", nil)
	te.waitChat(`platforms must be a list of "twitch" and "discord"`)
}
