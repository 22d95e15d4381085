// Package app assembles StarStreamer from its parts, in one place:
//
//	store -> bus -> overlays -> platforms (Twitch, OBS, Discord) -> Lua runtime -> registry -> watcher -> web
//
// New builds the parts from a Config without starting anything; Run builds
// them, starts the platform clients and the panel, loads every module and
// watches the scripts folder until its context ends. The command (main.go at
// the repository root: flags and subcommands), the script test runner
// (scripttest) and the Go tests of bindings and web all build their engine
// with New, so a new part is wired once.
//
// The package also holds what only the wiring needs: the holders that
// present the connection manager's Twitch and OBS clients to the bindings
// (connections.go: each call goes to the client of the moment, so the panel
// can switch connections without restarting a module; sent chat is recorded
// in the chat sink, bindings.RecordSent). The clients themselves,
// their settings and the Twitch login belong to package connections.
// The Discord bot (discord.go) is built from Config.Discord alone (flags and
// environment; it is not on the Connections page): with no token it stays
// off, and Run starts it with the other clients.
//
// # Caveats
//
//   - Start order matters too: Run opens the panel's port first (a taken
//     port fails before any module runs), backs the store up (backups/
//     beside it, then daily), holds the bus, starts the clients and the
//     panel, loads the modules and only then releases the bus, so every
//     module sees the first events (twitch.connected, obs.connected).
//   - Shutdown order matters: modules stop first (their shutdown() may still
//     chat or switch scenes), then the platform clients and the panel, then
//     the store closes.
//   - The fields of Config under "seams" exist for tests and scripttest
//     (fake platforms, a wrapped loader, a mutated runtime or panel config);
//     main never sets them.
package app
