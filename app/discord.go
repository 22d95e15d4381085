package app

import (
	"context"
	"errors"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/discord"
)

// buildDiscord makes the Discord client when a bot token is configured
// (Discord stays off otherwise) and gives it to the runtime. Run starts it.
func (e *Engine) buildDiscord(rc *bindings.Config) error {
	dc := e.cfg.Discord
	if dc.Token == "" {
		return nil
	}
	if dc.Guild == "" {
		return errors.New("discord: a bot token is set but no guild: set --discord-guild (the server's id)")
	}
	if dc.Logger == nil {
		dc.Logger = e.log.With("platform", "discord")
	}
	e.Discord = discord.New(dc, e.emitFrom(engine.SourceDiscord))
	rc.Discord = discordHolder{e.Discord}
	m, guild := e.Connections, dc.Guild
	m.SetDiscord(func() connections.DiscordStatus { return discordStatus(e.Discord.Status(), guild) })
	e.Discord.OnChange(m.Changed)
	e.platforms["discord"] = func() string { return discordStatus(e.Discord.Status(), guild).State }
	return nil
}

// discordStatus is what the Connections page shows of the client's Status.
func discordStatus(st discord.Status, guild string) connections.DiscordStatus {
	d := connections.DiscordStatus{State: "connecting", Guild: guild, GuildName: st.GuildName, Bot: st.BotUser}
	switch {
	case st.Connected:
		d.State = "connected"
	case st.LastError != nil:
		d.State, d.LastError = "error", st.LastError.Error()
	}
	return d
}

// discordHolder presents the client to the bindings: an embed table becomes
// a discord.Embed (or a clear error naming the field).
type discordHolder struct{ c *discord.Client }

func (h discordHolder) Send(ctx context.Context, channel, text string, embed map[string]any) (string, error) {
	var em *discord.Embed
	if embed != nil {
		var err error
		if em, err = discord.EmbedFromMap(embed); err != nil {
			return "", err
		}
	}
	return h.c.Send(ctx, channel, text, em)
}

func (h discordHolder) Reply(ctx context.Context, channel, messageID, text string) (string, error) {
	return h.c.Reply(ctx, channel, messageID, text)
}

func (h discordHolder) React(ctx context.Context, channel, messageID, emoji string) error {
	return h.c.React(ctx, channel, messageID, emoji)
}
