// Package engine is StarStreamer's core: events, the bus that routes them, the
// registry of modules and their lifecycle, the file watcher behind hot reload,
// and the store. It knows nothing of Lua, HTTP or the platforms: a module is an
// Instance built by a Loader (package bindings builds Lua ones).
//
// There are a few central types:
//
//   - Event: one thing that happened; Data holds plain values only.
//   - Bus: matches an event's type against subscriptions (exact types in a map,
//     '*' globs compiled once, the result cached per type) and hands it to each
//     matching Target (a module's mailbox) or Go handler. Emit never blocks on a
//     handler; it shares a read lock with other emitters, which a change of
//     subscriptions takes exclusively for the moment of the swap. Hold and
//     Release keep events (in order, at most 100,000) while the modules load
//     at start, so every module sees the first events.
//   - Registry: discovers scripts/NAME.lua and scripts/NAME/init.lua (and says
//     why anything else there is not a module: Ignored), loads them
//     in dependency order, and loads, reloads, unloads, enables, disables,
//     installs and approves them. A reload builds and starts the new version
//     fully and only then swaps it in (Bus.Replace is one atomic step, so no
//     event is dropped or handled twice); if the new one fails, the old one keeps
//     running and the error is kept for the panel. registry.go holds the
//     operations; source.go reads a module's files (Discover, ReadSource);
//     status.go holds a module's state, whose status changes only through
//     module.transition (the moves and the one rule they obey are listed
//     there); deporder.go orders modules by their dependencies.
//     A module installed from the panel runs only with the permissions the
//     streamer approved; approvals live in scripts/.approvals.json
//     (approvals.go, docs/trust.md).
//   - Watcher: fsnotify on the scripts folder, debounced per module.
//   - EventSpec: the documented shape of each event type (eventspec.go and
//     *_events.go, the platforms' included). ChatMessageData and ChatUser
//     (chat_message.go) build the one twitch.chat.message the project makes
//     itself: the panel's chat console and template and script tests use it.
//   - ReadScriptFile: how every file a user can place is read: opened
//     without blocking, regular files only, size checked before reading.
//   - Store: one bbolt file; module settings, each module's key/value space,
//     cooldowns, engine settings. Writes are durable when the call returns.
//     Backup (backup.go) writes a consistent copy from one read transaction
//     into BackupsDir and keeps the newest N.
//     A module's space holds at most a quota of bytes (SetModuleQuota).
//     StagedTx is an optimistic transaction for code that must not hold the
//     write lock while it runs (a module's Lua): reads are remembered, writes
//     staged, and Commit checks and writes in one short transaction
//     (ErrConflict when something read changed meanwhile).
//
// # Caveats
//
//   - Priority orders the start of one module's handlers for an event strictly.
//     Across modules, deliveries are made in priority order, but each module runs
//     on its own goroutine, so a lower-priority handler of another module may
//     start before a higher one has finished (or even started, under load).
//   - Go filters on a Target's subscriptions are run by the target, not by Emit.
//   - An event whose module mailbox is full is dropped for that module and
//     counted (InstanceStatus.Dropped); other modules still get it.
//   - The route cache and the per-type counters hold at most 4096 event types;
//     past that routes are computed on every Emit and counted as "(other)".
package engine
