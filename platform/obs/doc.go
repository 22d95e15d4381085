// Package obs connects the engine to OBS Studio through obs-websocket v5,
// using goobs v1.6.0. It knows nothing about Lua: the obs.* bindings call the
// Client, and OBS events reach the engine through an Emit function.
//
// There are a few central types: Config (address, password, backoff and
// request timeout), Client (one reconnecting connection, its requests and
// the event mapping) and Emit (how events leave the package). Errors are
// ErrNotConnected, for requests while there is no connection, and
// *RequestError, for requests OBS refused. Status says whether the client is
// connected, the OBS and obs-websocket versions, and why the last attempt
// failed: ErrRefused (nothing listens), ErrAuthFailed (wrong password) or
// ErrVersion (not obs-websocket 5); OnChange is told when it changes.
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
//     Client drains that channel from the moment a connection is identified,
//     in a goroutine that does nothing else, and holds goobs' socket reader
//     back while the channel is more than 64 full, so OBS waits on TCP flow
//     control instead of events being lost. Past the channel, the queue to
//     Emit is bounded at 65536 items: if Emit blocks long enough to fill it,
//     events are dropped and a warning is logged.
//   - goobs v1.6.0's Disconnect can panic ("send on closed channel") when a
//     message arrives at that moment; the Client never calls it before
//     goobs' reader has stopped (see session.teardown). Hand-made goobs
//     clients in this package's tests are closed the same way.
//   - OBS announces a program scene change when its transition completes,
//     at most once per rendered frame: switches made faster than that are
//     announced fewer times than they were made, by OBS itself.
//   - Because of that, a scene change event can follow events caused by
//     later requests (a source toggled just after); the Client keeps OBS'
//     order.
//   - previous_scene is the scene the Client last saw; the first change after
//     a connection uses the scene read when connecting.
//   - Requests go one at a time, as goobs requires. A request OBS does not
//     answer within RequestTimeout ends the connection (goobs would otherwise
//     give its late answer to the next request) and the Client reconnects.
//     A caller that gives up (its context ends) returns at once, but its
//     request still holds the line until OBS answers or the timeout.
//   - Emit is called from one goroutine, in order; a slow Emit delays the
//     events behind it (and, past 65536, drops them), never the requests.
//   - A connection is ended by closing its socket, without a websocket
//     close frame; OBS treats both alike.
//   - obs-websocket 5.1 (OBS 29) sends empty UUIDs: scenes and sources are
//     addressed by name. SetSourceVisible acts on the first scene item of the
//     source; scene item ids are cached and refreshed when OBS says they are
//     stale, and the cache is rebuilt from scene item events.
//   - The generic request path reaches goobs' unexported *api.Client by
//     reflection (type-checked), and the session watches two of goobs' log
//     lines (session.go): a goobs upgrade must revisit raw.go and session.go.
//   - A server that accepts the WebSocket but never sends obs-websocket 5's
//     Hello (obs-websocket 4 waits for the client) is only recognised as
//     ErrVersion after RequestTimeout.
//   - goobs.New has no context and goobs' Disconnect waits for a request in
//     flight, so after Run returns a goroutine of the last connection may
//     linger for up to RequestTimeout.
package obs
