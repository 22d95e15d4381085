// Package e2e holds the end-to-end tests: the starstreamer command, built
// from this repository once per test run (with -race when the tests run with
// it), started as a child process on temporary folders and a free port, and
// driven only from the outside — the HTTP API, the WebSocket feed, a real
// OBS (platform/obs/obstest) and a fake Twitch (platform/twitch/twitchtest)
// speaking the documented payloads. Nothing here reaches into the engine.
//
// The package has no code besides this comment; everything is in _test.go
// files. Run it with `go test ./e2e` (the OBS tests skip when OBS is not
// installed; `go test -short ./e2e` skips the kill -9 test).
//
// # Caveats
//
//   - Each engine is stopped with SIGTERM and must exit 0 within the wait
//     bound; a test fails when it does not (shutdown is part of what is tested).
//   - The engine's log (stderr) is shown when a test fails.
package e2e
