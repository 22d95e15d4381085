// Package obs connects the engine to OBS Studio through obs-websocket v5,
// using goobs v1.6.0. It knows nothing about Lua: the obs.* bindings call the
// Client, and OBS events reach the engine through an Emit function.
//
// There are a few central types: Config (address, password, backoff and
// request timeout), Client (one reconnecting connection, its requests and
// the event mapping) and Emit (how events leave the package). Errors are
// ErrNotConnected, for requests while there is no connection, and
// *RequestError, for requests OBS refused.
//
// The life of a Client:
//
//  1. New builds it; nothing connects yet.
//  2. Run dials, identifies, reads the program scene and emits obs.connected;
//     then every OBS event is drained from goobs into an in-process queue at
//     once, and mapped and emitted, in order, by one goroutine.
//  3. When the connection ends (socket error, OBS exiting, a request left
//     unanswered) Run emits obs.disconnected and dials again with backoff,
//     until its context ends; then it emits obs.disconnected one last time.
//
// Events (data keys): obs.connected / obs.disconnected (reason: "connected",
// "reconnected" / why the connection ended), obs.scene_changed (scene_name,
// previous_scene), obs.stream_started / obs.stream_stopped (output_active,
// output_state), obs.recording_started / obs.recording_stopped (output_path,
// output_active, output_state), obs.source_visibility (scene_name,
// source_name, scene_item_id, visible).
//
// # Caveats
//
//   - goobs keeps only the last 100 events when its channel is full. The
//     Client drains that channel in a goroutine that does nothing else, into a
//     queue bounded at 65536 items; if Emit blocks long enough to fill that,
//     events are dropped and a warning is logged.
//   - OBS itself sends CurrentProgramSceneChanged from its UI thread, after
//     other events caused by the same requests; the Client keeps OBS' order.
//   - previous_scene is the scene the Client last saw; the first change after
//     a connection uses the scene read when connecting.
//   - Requests go one at a time, as goobs requires. A request OBS does not
//     answer within RequestTimeout ends the connection (goobs would otherwise
//     give its late answer to the next request) and the Client reconnects.
//   - obs-websocket 5.1 (OBS 29) sends empty UUIDs: scenes and sources are
//     addressed by name. SetSourceVisible acts on the first scene item of the
//     source; scene item ids are cached and refreshed when OBS says they are
//     stale, and the cache is rebuilt from scene item events.
//   - The generic request path reaches goobs' unexported *api.Client by
//     reflection (type-checked): a goobs upgrade must keep raw.go in mind.
//   - goobs.New has no context and goobs' Disconnect waits for a request in
//     flight, so after Run returns a goroutine of the last connection may
//     linger for up to RequestTimeout.
package obs
