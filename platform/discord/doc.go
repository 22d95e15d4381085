// Package discord connects the engine to Discord as a bot, through
// bwmarrin/discordgo v0.29.0. It knows nothing about Lua: the discord.*
// bindings call the Client, and Discord events reach the engine through an
// Emit function. Like every platform package it imports no other package of
// the project; its events are documented in engine.DiscordEventSpecs
// (docs/events.md) and its tests check its output against them.
//
// Central types: Config (bot token, guild, the channels the bot may speak
// in, the REST base and gateway URL, backoff), Client (one reconnecting
// gateway connection and its REST requests) and Emit. Requests fail fast with
// ErrNotConnected while there is no connection and with ErrChannelNotAllowed
// outside Config.Channels; every other failure (Discord refusing, a rate
// limit outlasting the caller's context) comes back to the caller, wrapped.
//
// The life of a Client:
//
//  1. New builds it; nothing connects yet.
//  2. Run opens a fresh discordgo.Session: GET /gateway (unless GatewayURL is
//     set), the websocket, Hello, Identify (intents GUILDS, GUILD_MEMBERS,
//     GUILD_MESSAGES, MESSAGE_CONTENT), READY; then emits discord.connected.
//  3. MESSAGE_CREATE and GUILD_MEMBER_ADD of the configured guild become
//     discord.message and discord.member.join, in order (discordgo's
//     SyncEvents: handlers run on its reader goroutine). The bot's own
//     messages are not reported, so a handler that replies cannot loop.
//  4. When the connection ends, Run emits discord.disconnected and opens a
//     new session with backoff (discordgo's own reconnecting is off), until
//     its context ends.
//
// Events (data keys): discord.message (author {id, username, display_name,
// roles, bot, owner, broadcaster, moderator, vip, subscriber}, channel,
// content, message_id, guild),
// discord.member.join (user, guild), discord.connected / discord.disconnected
// (reason).
//
// # Caveats
//
//   - discordgo's endpoints are package-level variables (EndpointAPI and the
//     ones built from it at init). This package never writes them: each
//     Client's http.Client has a transport that rewrites requests for
//     EndpointAPI onto Config.APIURL and, when Config.GatewayURL is set,
//     answers GET /gateway itself. So two Clients with different bases can
//     live in one process; but a program that assigns discordgo's Endpoint
//     variables elsewhere changes what this transport recognises. A request
//     outside EndpointAPI (the CDN) is refused rather than sent to Discord.
//   - discordgo logs through the standard library's log package; the
//     session's LogLevel is set below its lowest level, so it logs nothing.
//     The token is sent only in the Authorization header and in Identify;
//     it is never logged and Status does not hold it.
//   - Sent text never pings: allowed_mentions is empty, so a viewer's name or
//     "@everyone" echoed by a script mentions nobody.
//   - Roles are reported by name once Discord sent the guild (GUILD_CREATE,
//     right after READY); a message arriving before that reports role ids.
//   - Rate limits are discordgo's: it waits out a 429 and retries within
//     the request, bounded by Config.RequestTimeout and the caller's context.
//   - discordgo's Open has no deadline: it would wait forever for Hello or
//     READY from a server that accepted the socket and went quiet. The
//     Client dials the socket itself and closes it when OpenTimeout passes
//     or Run's context ends; Open's GET /gateway (bounded by
//     RequestTimeout) may outlive Run in a goroutine.
//   - Closing a discordgo session waits one second for Discord's close
//     frame (discordgo's own sleep), so Run returns about a second after its
//     context ends, and a reconnect takes at least that long.
//   - The command levels of an author are the guild's owner (broadcaster)
//     and role names (Config.ModeratorRoles, VIPRoles, SubscriberRoles,
//     compared case-insensitively): a role renamed in Discord changes who
//     passes. Roles not yet known by name (see above) give no level.
//   - Channels are named by id; messages are reported from every channel of
//     the guild the bot can read, but it speaks only in Config.Channels when
//     that is set. Without the list, a channel Discord reported as another
//     guild's is refused; one it never reported is left to Discord to judge.
package discord
