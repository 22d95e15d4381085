// Package apidocs renders the Lua API reference for script authors from the
// one source of truth: the bindings' own annotations (bindings.Docs) and the
// comments of the embedded standard library (stdlib/lua/*.lua).
//
// There are a few central functions: Markdown (docs/lua-api.md), Stubs
// (stdlib/types/starstreamer.lua, LuaLS definitions of the globals, with one
// on_event overload per event type), LibStubs (stdlib/types/NAME.lua, one per
// library), and EventsMarkdown (docs/events.md) and EventStubs
// (stdlib/types/events.lua, a class per event type) from EventSpecs: the
// specs the Twitch client, the OBS client and the engine are tested against. Files lists them all by
// path; the package's test fails when a committed file is stale, and
// `go test ./internal/apidocs -update` rewrites them.
//
// # Caveats
//
//   - Parameter types in the stubs are inferred from parameter names (text,
//     seconds, fn, ...); an unknown name is typed any.
//   - A library function is documented by the "-- " comment lines right above
//     its "function M.name(...)" or "function Gen:name(...)" line.
package apidocs
