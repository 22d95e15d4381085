package bindings

import (
	"context"
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

var discordGroup = register(Group{
	Name: "discord", Section: "Discord", Order: 95, Install: installDiscord,
	Permissions: []Permission{
		{Name: "discord", Risk: "medium", Words: "Post, reply and react in your Discord server as your bot, in the channels you allowed it"},
	},
	Docs: []Doc{
		{Name: "discord.send", Syntax: "discord.send(channel_id, text | { content, title, description, url, color, fields, footer, image }) -> message_id | nil, err", Context: "handler", Permission: "discord", Yields: true, Summary: "Posts a message (text, an embed, or both: content is the text) in a channel of the guild. Mentions never ping."},
		{Name: "discord.reply", Syntax: "discord.reply(event, text) -> message_id | nil, err", Context: "handler", Permission: "discord", Yields: true, Summary: "Answers a discord.message event (or a command's event from Discord) in its channel, as a reply to it."},
		{Name: "discord.react", Syntax: "discord.react(event, emoji) -> true | nil, err", Context: "handler", Permission: "discord", Yields: true, Summary: "Adds a reaction to a discord.message event's message: a unicode emoji (\"👍\") or a custom one as name:id."},
	},
})

// Discord is what the discord.* bindings need of the Discord client.
type Discord interface {
	// Send posts text and/or an embed (a script's table; the client checks
	// its fields) and returns the message's id.
	Send(ctx context.Context, channel, text string, embed map[string]any) (string, error)
	Reply(ctx context.Context, channel, messageID, text string) (string, error)
	React(ctx context.Context, channel, messageID, emoji string) error
}

// ErrDiscordOffline is what discord.* calls return when Discord is not configured.
var ErrDiscordOffline = errors.New("Discord is not configured (start the engine with --discord-token and --discord-guild)")

// maxDiscordText bounds a text handed to Discord before it travels: Discord
// allows 2000 characters (at most 4 bytes each).
const maxDiscordText = 4 * 2000

func installDiscord(m Module, L *lua.LState) {
	t := L.NewTable()
	client := func(L *lua.LState, what string) Discord {
		m.Need(L, "discord", what)
		return m.Discord()
	}
	text := func(L *lua.LState, n int) string {
		s := L.CheckString(n)
		if len(s) > maxDiscordText {
			L.ArgError(n, fmt.Sprintf("text is %d bytes, Discord allows 2000 characters", len(s)))
		}
		return s
	}
	// target reads the channel and message id of a discord.message event.
	target := func(L *lua.LState, n int) (channel, id string) {
		ev := L.CheckTable(n)
		data, ok := ev.RawGetString("data").(*lua.LTable)
		if !ok {
			data = ev // event.data given instead of the event
		}
		c, _ := data.RawGetString("channel").(lua.LString)
		i, _ := data.RawGetString("message_id").(lua.LString)
		if c == "" || i == "" {
			L.ArgError(n, "expected a discord.message event (with data.channel and data.message_id)")
		}
		return string(c), string(i)
	}
	t.RawSetString("send", L.NewFunction(func(L *lua.LState) int {
		d := client(L, "discord.send")
		channel := checkName(L, 1)
		var body string
		var embed map[string]any
		switch v := L.Get(2).(type) {
		case lua.LString:
			body = text(L, 2)
		case *lua.LTable:
			x, err := fromLua(v)
			if err != nil {
				L.ArgError(2, err.Error())
			}
			embed, _ = x.(map[string]any)
			if c, ok := embed["content"]; ok {
				s, ok := c.(string)
				if !ok || len(s) > maxDiscordText {
					L.ArgError(2, "content must be a text of at most 2000 characters")
				}
				body = s
				delete(embed, "content")
			}
			if len(embed) == 0 {
				embed = nil
			}
		default:
			L.ArgError(2, "expected a text or an embed table")
		}
		return m.Wait(L, "discord.send", func(ctx context.Context) (func() []lua.LValue, error) {
			if d == nil {
				return nil, ErrDiscordOffline
			}
			id, err := d.Send(ctx, channel, body, embed)
			return func() []lua.LValue { return []lua.LValue{lua.LString(id)} }, err
		})
	}))
	t.RawSetString("reply", L.NewFunction(func(L *lua.LState) int {
		d := client(L, "discord.reply")
		channel, id := target(L, 1)
		body := text(L, 2)
		return m.Wait(L, "discord.reply", func(ctx context.Context) (func() []lua.LValue, error) {
			if d == nil {
				return nil, ErrDiscordOffline
			}
			rid, err := d.Reply(ctx, channel, id, body)
			return func() []lua.LValue { return []lua.LValue{lua.LString(rid)} }, err
		})
	}))
	t.RawSetString("react", L.NewFunction(func(L *lua.LState) int {
		d := client(L, "discord.react")
		channel, id := target(L, 1)
		emoji := checkName(L, 2)
		return m.Wait(L, "discord.react", func(ctx context.Context) (func() []lua.LValue, error) {
			if d == nil {
				return nil, ErrDiscordOffline
			}
			return retTrue, d.React(ctx, channel, id, emoji)
		})
	}))
	L.SetGlobal("discord", t)
}
