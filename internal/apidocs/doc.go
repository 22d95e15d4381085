// Package apidocs renders the Lua API reference for script authors from the
// one source of truth: the bindings' own annotations (bindings.Docs) and the
// comments of the embedded standard library (stdlib/lua/*.lua).
//
// There are a few central functions: Markdown (docs/lua-api.md), Stubs
// (stdlib/types/starstreamer.lua, LuaLS definitions of the globals) and
// LibStubs (stdlib/types/NAME.lua, one per library). Files lists them all by
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
