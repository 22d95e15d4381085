package bindings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/twitch"
	lua "github.com/yuin/gopher-lua"
)

var twitchGroup = register(Group{
	Name: "twitch", Section: "Twitch", Order: 80, Install: installTwitch,
	Permissions: []Permission{
		{Name: "twitch.chat", Risk: "medium", Words: "Send messages in your Twitch chat, as your bot account"},
		{Name: "twitch.clips", Risk: "low", Words: "Create clips of your stream"},
	},
	Docs: []Doc{
		{Name: "twitch.send_message", Syntax: "twitch.send_message(text) -> true | nil, err", Context: "handler", Permission: "twitch.chat", Yields: true,
			Summary: "Sends a chat message through the rate-limited queue (long text is split at word boundaries; one call sends at most 4 KiB). Offline, it goes to the panel's chat console."},
		{Name: "twitch.reply", Syntax: "twitch.reply(event, text) -> true | nil, err", Context: "handler", Permission: "twitch.chat", Yields: true,
			Summary: "Replies to the chat message of event."},
		{Name: "twitch.create_clip", Syntax: "twitch.create_clip() -> {id, url, edit_url} | nil, err", Context: "handler", Permission: "twitch.clips", Yields: true,
			Summary: "Clips the live stream and waits (up to 15 s) until the clip exists."},
		{Name: "twitch.stream", Syntax: "twitch.stream() -> {live, started_at, title, game, viewers} | nil, err", Context: "handler", Yields: true,
			Summary: "The channel's stream: live is false when offline (started_at in seconds since the epoch)."},
		{Name: "twitch.user", Syntax: "twitch.user(login) -> {id, username, display_name} | nil, err", Context: "handler", Yields: true,
			Summary: "Looks a user up by login (with or without @)."},
	},
})

// Twitch is what the twitch.* bindings need of the Twitch client. The
// context carries the calling module's name (ModuleFrom).
type Twitch interface {
	SendMessage(ctx context.Context, text string) error
	Reply(ctx context.Context, parentMessageID, text string) error
	CreateClip(ctx context.Context) (twitch.Clip, error)
	Stream(ctx context.Context) (twitch.Stream, error)
	User(ctx context.Context, login string) (twitch.User, error)
	// TwitchAction performs one Helix action of the twitch.* bindings
	// (twitch_actions.go): moderation, whispers, channel control, reading.
	TwitchAction(ctx context.Context, a TwitchAction) (any, error)
}

// ErrTwitchOffline is returned by the offline Twitch for what needs Twitch.
var ErrTwitchOffline = errors.New("twitch is not connected (connect it on the panel's Connections page, or with --twitch-client-id, --twitch-channel and 'starstreamer twitch login')")

// OfflineTwitch answers when Twitch is not configured: chat goes to the chat
// sink (the panel's console), the stream is offline, the rest fails clearly.
type OfflineTwitch struct{ Sink *engine.ChatSink }

func (o OfflineTwitch) SendMessage(ctx context.Context, text string) error {
	RecordSent(ctx, o.Sink, "", text, false)
	return nil
}

func (o OfflineTwitch) Reply(ctx context.Context, parent, text string) error {
	RecordSent(ctx, o.Sink, parent, text, false)
	return nil
}

// RecordSent puts a chat line the module in ctx sent into the chat sink (the
// panel's chat console, GET /api/chat, the engine.chat.sent event): the one
// place sent chat is recorded, by OfflineTwitch and by whatever Twitch
// forwards to a real client. replyTo is the message answered ("" for none);
// online is false when nothing left the machine. A nil sink records nothing.
func RecordSent(ctx context.Context, sink *engine.ChatSink, replyTo, text string, online bool) {
	if sink != nil {
		sink.Add(engine.ChatMessage{Module: ModuleFrom(ctx), Text: text, ReplyTo: replyTo, Online: online})
	}
}

func (o OfflineTwitch) CreateClip(context.Context) (twitch.Clip, error) {
	return twitch.Clip{}, ErrTwitchOffline
}

func (o OfflineTwitch) Stream(context.Context) (twitch.Stream, error) { return twitch.Stream{}, nil }

func (o OfflineTwitch) User(context.Context, string) (twitch.User, error) {
	return twitch.User{}, ErrTwitchOffline
}

func (o OfflineTwitch) TwitchAction(context.Context, TwitchAction) (any, error) {
	return nil, ErrTwitchOffline
}

func (rt *Runtime) twitch() Twitch {
	if rt.cfg.Twitch != nil {
		return rt.cfg.Twitch
	}
	rt.offline.Do(func() {
		rt.log.Info("Twitch is not configured: chat messages go to the panel's chat console (GET /api/chat)")
	})
	return OfflineTwitch{Sink: rt.cfg.Chat}
}

// platformCall is the shape of every waiting platform binding: run call on its
// own goroutine with the module's name in the context and a time limit, then
// turn its result into Lua values on the owner goroutine (nil, err on failure).
func (in *instance) platformCall(L *lua.LState, what string, call func(ctx context.Context) (func() []lua.LValue, error)) int {
	in.acts(L, what)
	return in.yieldFor(L, what, func(ctx context.Context, resume func(func() []lua.LValue)) {
		go func() {
			cctx, cancel := context.WithTimeout(withModule(ctx, in.name), 30*time.Second)
			defer cancel()
			produce, err := call(cctx)
			if err != nil {
				msg := err.Error()
				resume(func() []lua.LValue { return []lua.LValue{lua.LNil, lua.LString(msg)} })
				return
			}
			resume(produce)
		}()
	})
}

func retTrue() []lua.LValue { return []lua.LValue{lua.LTrue} }

// maxChatText bounds the text one twitch.send_message or twitch.reply may
// send. Twitch shows at most 500 characters per message and the chat queue
// splits longer text, so this is about eight messages; 20 calls of 64 MiB
// once held 0.94 GB in the offline chat console.
const maxChatText = 4 << 10

// chatText is argument n, a chat text within maxChatText.
func chatText(L *lua.LState, n int, what string) string {
	text := L.CheckString(n)
	if len(text) > maxChatText {
		L.ArgError(n, fmt.Sprintf("%s text is %d bytes; one call may send at most %d (Twitch shows 500 characters per message)", what, len(text), maxChatText))
	}
	return text
}

func installTwitch(m Module, L *lua.LState) {
	t := L.NewTable()
	t.RawSetString("send_message", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "twitch.chat", "twitch.send_message")
		text := chatText(L, 1, "twitch.send_message")
		return m.Wait(L, "twitch.send_message", func(ctx context.Context) (func() []lua.LValue, error) {
			return retTrue, m.Twitch().SendMessage(ctx, text)
		})
	}))
	t.RawSetString("reply", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "twitch.chat", "twitch.reply")
		ev := L.CheckTable(1)
		text := chatText(L, 2, "twitch.reply")
		parent := ""
		if d, ok := ev.RawGetString("data").(*lua.LTable); ok {
			parent = lua.LVAsString(d.RawGetString("message_id"))
		}
		if len(parent) > 128 {
			L.ArgError(1, fmt.Sprintf("event.data.message_id is %d bytes: not a chat message id", len(parent)))
		}
		return m.Wait(L, "twitch.reply", func(ctx context.Context) (func() []lua.LValue, error) {
			if parent == "" {
				return retTrue, m.Twitch().SendMessage(ctx, text)
			}
			return retTrue, m.Twitch().Reply(ctx, parent, text)
		})
	}))
	t.RawSetString("create_clip", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "twitch.clips", "twitch.create_clip")
		return m.Wait(L, "twitch.create_clip", func(ctx context.Context) (func() []lua.LValue, error) {
			c, err := m.Twitch().CreateClip(ctx)
			return func() []lua.LValue {
				return []lua.LValue{m.ToLua(map[string]any{"id": c.ID, "url": c.URL, "edit_url": c.EditURL})}
			}, err
		})
	}))
	t.RawSetString("stream", L.NewFunction(func(L *lua.LState) int {
		return m.Wait(L, "twitch.stream", func(ctx context.Context) (func() []lua.LValue, error) {
			s, err := m.Twitch().Stream(ctx)
			return func() []lua.LValue {
				v := map[string]any{"live": s.Live, "title": s.Title, "game": s.Game, "viewers": s.Viewers}
				if !s.StartedAt.IsZero() {
					v["started_at"] = s.StartedAt
				}
				return []lua.LValue{m.ToLua(v)}
			}, err
		})
	}))
	t.RawSetString("user", L.NewFunction(func(L *lua.LState) int {
		login := L.CheckString(1)
		if len(login) > 0 && login[0] == '@' {
			login = login[1:]
		}
		if len(login) > 64 { // Twitch logins have at most 25 characters
			L.ArgError(1, fmt.Sprintf("login is %d bytes: not a Twitch login", len(login)))
		}
		return m.Wait(L, "twitch.user", func(ctx context.Context) (func() []lua.LValue, error) {
			u, err := m.Twitch().User(ctx, login)
			return func() []lua.LValue {
				return []lua.LValue{m.ToLua(map[string]any{"id": u.ID, "username": u.Login, "display_name": u.DisplayName})}
			}, err
		})
	}))
	L.SetGlobal("twitch", t)
}
