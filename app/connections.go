package app

import (
	"context"
	"errors"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

// ErrOBSNotConnected is what obs.* calls return while no OBS connection is
// configured (turned off on the Connections page, or an empty --obs-addr).
var ErrOBSNotConnected = errors.New("OBS is not connected: connect it on the panel's Connections page (or set --obs-addr)")

// twitchHolder is the bindings' Twitch for the engine's whole life: the Lua
// runtime is given it once, and it hands each call to the Twitch client of
// the moment (the connection manager switches clients when the panel changes
// the connection; modules never restart). With no client (Twitch not
// configured or logged out) it behaves as bindings.OfflineTwitch: chat goes
// to the panel's chat console. A client that is not connected yet fails fast
// with twitch.ErrNotConnected. Sent messages are also recorded in the chat
// sink, so the console shows what the bot said.
type twitchHolder struct {
	m    *connections.Manager
	sink *engine.ChatSink
}

var _ bindings.Twitch = twitchHolder{}

func (h twitchHolder) current() *twitch.Client { return h.m.TwitchClient() }

func (h twitchHolder) offline() bindings.OfflineTwitch { return bindings.OfflineTwitch{Sink: h.sink} }

func (h twitchHolder) SendMessage(ctx context.Context, text string) error {
	return h.send(ctx, "", text)
}

func (h twitchHolder) Reply(ctx context.Context, parent, text string) error {
	return h.send(ctx, parent, text)
}

// send sends text (as a reply to parent unless it is "") through the client
// of the moment, or offline to the chat console, and records what was sent.
func (h twitchHolder) send(ctx context.Context, parent, text string) error {
	c := h.current()
	if c == nil {
		return h.offline().Reply(ctx, parent, text)
	}
	var err error
	if parent == "" {
		err = c.SendMessage(ctx, text)
	} else {
		err = c.Reply(ctx, parent, text)
	}
	if err == nil {
		bindings.RecordSent(ctx, h.sink, parent, text, true)
	}
	return err
}

func (h twitchHolder) CreateClip(ctx context.Context) (twitch.Clip, error) {
	c := h.current()
	if c == nil {
		return h.offline().CreateClip(ctx)
	}
	return c.CreateClip(ctx)
}

func (h twitchHolder) Stream(ctx context.Context) (twitch.Stream, error) {
	c := h.current()
	if c == nil {
		return h.offline().Stream(ctx)
	}
	return c.Stream(ctx)
}

func (h twitchHolder) User(ctx context.Context, login string) (twitch.User, error) {
	c := h.current()
	if c == nil {
		return h.offline().User(ctx, login)
	}
	return c.User(ctx, login)
}

// BotAccount is the login the current client chats as and its channel
// ("", "" when offline); filter.not_bot() decides from them (bindings/bots.go).
func (h twitchHolder) BotAccount() (login, channel string) {
	c := h.current()
	if c == nil {
		return "", ""
	}
	info := c.Info()
	return info.BotLogin, info.Channel
}

// obsHolder is the bindings' OBS for the engine's whole life: it hands each
// call to the OBS client of the moment, or fails fast with
// ErrOBSNotConnected when there is none. A client that is reconnecting fails
// fast with obs.ErrNotConnected.
type obsHolder struct{ m *connections.Manager }

var _ bindings.OBS = obsHolder{}

func (h obsHolder) get() (*obs.Client, error) {
	if c := h.m.OBSClient(); c != nil {
		return c, nil
	}
	return nil, ErrOBSNotConnected
}

func (h obsHolder) SetScene(ctx context.Context, name string) error {
	c, err := h.get()
	if err != nil {
		return err
	}
	return c.SetScene(ctx, name)
}

func (h obsHolder) CurrentScene(ctx context.Context) (string, error) {
	c, err := h.get()
	if err != nil {
		return "", err
	}
	return c.CurrentScene(ctx)
}

func (h obsHolder) SetSourceVisible(ctx context.Context, scene, source string, visible bool) error {
	c, err := h.get()
	if err != nil {
		return err
	}
	return c.SetSourceVisible(ctx, scene, source, visible)
}

func (h obsHolder) StartStream(ctx context.Context) error {
	c, err := h.get()
	if err != nil {
		return err
	}
	return c.StartStream(ctx)
}

func (h obsHolder) StopStream(ctx context.Context) error {
	c, err := h.get()
	if err != nil {
		return err
	}
	return c.StopStream(ctx)
}

func (h obsHolder) StartRecord(ctx context.Context) error {
	c, err := h.get()
	if err != nil {
		return err
	}
	return c.StartRecord(ctx)
}

func (h obsHolder) StopRecord(ctx context.Context) (string, error) {
	c, err := h.get()
	if err != nil {
		return "", err
	}
	return c.StopRecord(ctx)
}

func (h obsHolder) Call(ctx context.Context, requestType string, fields map[string]any) (map[string]any, error) {
	c, err := h.get()
	if err != nil {
		return nil, err
	}
	return c.Call(ctx, requestType, fields)
}
