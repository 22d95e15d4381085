// Package connections owns StarStreamer's Twitch and OBS clients and lets
// the panel change them while the engine runs: it starts each client from
// the flags and the settings stored by the Connections page, replaces a
// client when its settings change, runs the Twitch device-code login, and
// reports every connection's state (Status, the JSON of GET
// /api/connections).
//
// There are a few central types: Manager (the clients of the moment, the
// login in progress, the stored settings), Flags (values given on the
// command line or in the environment: they win and are read-only on the
// page), Status with TwitchStatus and OBSStatus (what the page shows: never
// a token or a password) and TokenStore (the Twitch token pair in the
// engine's store). The Discord bot is not the Manager's: the app package
// builds it from flags and hands the Manager a function for its state
// (SetDiscord, DiscordStatus), shown read-only; Changed tells the page.
//
// The Lua bindings are handed their Twitch and OBS once, when the engine is
// assembled; package app gives them holders that ask the Manager for the
// client of the moment on every call (TwitchClient, OBSClient). So changing
// a connection never restarts a module nor touches the other connection.
//
// # States
//
// Twitch: not_configured (no client id or channel), offline (configured,
// not logged in), logging_in (a device code waits for the user), connecting,
// connected, error (LastError says why: a declined or expired login, a
// rejected token). OBS: offline (turned off, or no address), connecting,
// connected, error (the client keeps retrying; LastError names a refused
// connection, a wrong password or a wrong version).
//
// # Caveats
//
//   - The scopes a login asks for are the events' scopes plus those of the
//     enabled modules' permissions (twitch.ScopesFor); a module enabled
//     later that needs more shows up in MissingScopes until a new login.
//   - A new client id forgets the login (a token belongs to one
//     application); it is revoked with the old client id first.
//   - Logging out revokes the access token at Twitch (its refresh token dies
//     with it) and stores an empty pair; a failed revocation is logged and
//     the tokens are forgotten anyway.
//   - The OBS password is kept in the store in clear, like the tokens: the
//     store file must stay private to the user running the engine.
//   - Changes are serialized: a slow OBS teardown delays the next change,
//     never a Lua call (the holders read an atomic pointer).
//   - Nothing connects before Start; Wait waits for the clients and a login
//     in progress after Start's context ended.
package connections
