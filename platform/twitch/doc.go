// Package twitch is StarStreamer's Twitch client: OAuth device-code login
// and token upkeep, the EventSub WebSocket session, the Helix calls the Lua
// bindings need, and an outbound chat queue that keeps Twitch's limits. It
// knows nothing about Lua: events leave through an Emit func as
// normalized twitch.* events, each documented in engine.TwitchEventSpecs (docs/events.md).
//
// There are a few central types: Config (where Twitch is, every knob with a
// default), Client (one connection: Run keeps it alive, the methods act on
// Helix) and TokenStore (where the token pair lives; main backs it with
// bbolt). StartDeviceLogin begins a device-code login without waiting
// (DeviceCode: Poll or Wait for the approval); DeviceLogin is the
// `starstreamer twitch login` flow built on it; Revoke ends a login.
// ScopesFor says which scopes a set of module permissions needs.
//
// # Reading the source
//
//   - client.go: Config, New, Run and the identity (bot and broadcaster ids).
//   - device.go: the device-code login (Public client: no secret, no
//     redirect), its poll answers, DeviceLogin, Revoke.
//   - auth.go: validate, refresh (persisted before use), the hourly
//     validation loop.
//   - eventsub.go: one session from dial to end — welcome, subscriptions,
//     keepalive watchdog, session_reconnect hand-over, close codes.
//   - events.go: the subscriptions created and the mapping of each
//     notification to its twitch.* event; events_channel.go maps the
//     channel, moderation, poll, prediction, shoutout, ad and chat notice
//     types (engine/twitch_channel_events.go documents them).
//   - chat.go: SendMessage/Reply, the sliding-window queue, message splitting.
//   - helix.go: the authenticated request (401 → refresh, 429 → wait for
//     Ratelimit-Reset), clips, streams, users.
//   - helix_call.go: one Helix action call: the rate-limit bucket (calls
//     wait while Ratelimit-Remaining is 0), the scope check (ScopeError:
//     "re-connect to grant <scope>"), UserRef resolution with a small cache.
//   - the Helix actions, each naming its scope: helix_actions.go the
//     scopes and moderation (Ban, Unban, DeleteMessage, ClearChat,
//     UpdateChatSettings, Announce, Shoutout) and Whisper; helix_channel.go
//     channel control (UpdateChannel with FindGame, polls, predictions,
//     custom rewards and redemptions); helix_stream.go raids, markers,
//     commercials; helix_people.go VIPs, moderators and reading (Followers,
//     IsFollowing, Subscription).
//   - twitchtest: an in-process fake Twitch for tests.
//
// # Events
//
// twitch.chat.message, twitch.follow, twitch.subscription (new subs and
// resubs; resubs carry months and message), twitch.gift, twitch.raid,
// twitch.cheer, twitch.channel_points, twitch.hype_train.begin/.progress/.end,
// twitch.stream.online/.offline, twitch.connected/twitch.disconnected
// {reason} and twitch.subscription_revoked {type, version, status, reason};
// and (events_channel.go) twitch.channel.update, twitch.ban/.unban,
// twitch.moderator.add/.remove, twitch.poll.begin/.progress/.end,
// twitch.prediction.begin/.progress/.lock/.end,
// twitch.shoutout.create/.receive, twitch.ad_break.begin,
// twitch.chat.notification, twitch.chat.message_delete, twitch.chat.clear
// and twitch.channel_points.update.
//
// Every subscription lists the scopes Twitch accepts for it (any one will
// do); EventScopes, what the login asks for, is the first of each. A
// subscription whose scopes the token lacks is not requested at all: it is
// reported in Refusals (status 0, Missing) with the scope to grant.
//
// # Caveats
//
//   - Run is called once. The Helix methods return ErrNotConnected until Run
//     has validated the token and resolved the ids, and after it returns.
//   - EventSub delivers at least once: duplicates are dropped by message id,
//     but only within the last DedupeSize ids.
//   - A session_reconnect is invisible to callers (no twitch.disconnected);
//     any other end of a session re-creates every subscription on a new one.
//   - Broadcaster-only events (subscriptions, cheers, redemptions, hype
//     trains, bans, moderators, polls, predictions, ad breaks) need a token
//     of the broadcaster; with a separate bot account
//     Twitch refuses them and Refusals says which scope they need. Each
//     Refusal's Hint follows Twitch's status: only a 403 is blamed on a
//     scope (a 400 means the type, version or condition was not accepted).
//   - The chat limit starts at 20 per 30 s and rises to 100 only when the bot
//     is the broadcaster or its own chat message shows a moderator badge.
//   - Refresh tokens of public clients are single-use: the new pair is saved
//     before it is used; if saving fails it is still used (and logged).
//   - Tokens never appear in logs: Tokens implements String and LogValue.
//   - A 429 with points left in the bucket (Ratelimit-Remaining > 0) is an
//     endpoint's own limit, such as the shoutout cooldowns (one every 2
//     minutes, the same channel once per 60 minutes): it is returned
//     (ErrShoutoutLimit), never retried.
//   - Twitch lets only the client id that created a custom reward update it
//     or fulfil/refund its redemptions (ErrNotCreatedByApp).
//   - The broadcaster-only actions (channel, polls, predictions, rewards,
//     raids, markers, commercials, VIPs, moderators, subscriptions) need the
//     broadcaster's token; the moderation ones work for a moderator bot.
package twitch
