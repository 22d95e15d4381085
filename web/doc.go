// Package web is StarStreamer's web panel and JSON API: an echo server on
// 127.0.0.1:8888 whose pages and assets are embedded in the binary (no CDN, no
// build step), a JSON API for the same actions, a WebSocket live feed and
// Prometheus metrics.
//
// There are a few central types:
//
//   - Server: built by New from a Config (the engine's Registry, Bus, Store and
//     ChatSink); Run serves until its context ends, Handler serves tests.
//   - hub: one Go subscription on the bus ("*") that queues events and fans
//     them out, in order, to WebSocket clients, each with its own pattern filter;
//     engine.module.* events are turned into the module's current state.
//   - Template: the test events the /events page fires, in the shapes of docs/events.md.
//
// Pages (signed in; /login signs in): /modules, /events, /chat, /connections (the header's Twitch and OBS
// pills link to it), /overlays. API (JSON, errors as {"error": "..."}):
//
//	GET  /api/status                     platforms, uptime, totals
//	GET  /api/modules                    {totals, modules}
//	GET  /api/modules/{name}             {module}
//	GET  /api/modules/{name}/review      source, permissions, what it registers (for approval)
//	POST /api/modules/{name}/{load,unload,enable,disable,reload,approve}
//	                                     approve takes {hash} of the reviewed version (409 if changed)
//	PUT  /api/modules/{name}/config      {config: {...overrides}}
//	POST /api/scripts                    {code, replace} → 201, does not run until approved
//	POST /api/scripts/inspect            {code} → module{}, what it registers, permissions in words, name clash
//	POST /api/events                     {type, data} → 202 {id}
//	GET  /api/stats, /api/chat, /api/commands, /api/templates, /api/permissions
//	POST /api/chat                       {name, message, broadcaster, moderator, vip, subscriber}
//	GET  /api/connections                Twitch and OBS state (no secrets)
//	PUT  /api/connections/twitch         {client_id, channel}
//	POST /api/connections/twitch/login   → {verification_uri, user_code, expires_in}
//	DELETE /api/connections/twitch       log out: revoke and forget the tokens
//	PUT  /api/connections/obs            {addr, password?} → 200 connected, 202 trying, 502 {error, obs}
//	DELETE /api/connections/obs          disconnect (stays off until the next PUT)
//	GET  /api/ws?pattern=twitch.*,obs.*  WebSocket feed (send {"pattern": "..."} to change it)
//	GET  /api/overlays[/{name}]          overlays with their keys, sources, queue (token or session, also for GET)
//	POST /api/overlays/{name}/{pause,resume,skip,clear,replay?n=,test?kind=,rotate-key}
//	GET  /metrics                        Prometheus text format
//
// With Config.Overlays (package overlay's Manager, through the narrow
// Overlays interface), /overlay/* is handed to it: the OBS browser-source
// pages, behind each overlay's own key (?key=) instead of the token, as OBS
// cannot send headers; the Host check still applies.
//
// Security, in the order the middleware applies it:
//
//  1. Host: a request whose Host is not the panel's own address (its bind
//     host, localhost, 127.0.0.1 or [::1], with the panel's port) is refused
//     with 403. This stops DNS rebinding.
//  2. Origin: a POST/PUT/DELETE or WebSocket upgrade whose Origin (or
//     Sec-Fetch-Site) names another site is refused with 403 (CSRF). No Origin
//     (curl, a Stream Deck plugin) is fine.
//  3. Auth: every /api call (reads included) and /metrics need the API token
//     (Authorization: Bearer TOKEN) or the panel's session cookie, else 401.
//     The token is made on first start and kept in the store ("api_token").
//     A page fetch never hands out a session: a browser without one gets the
//     sign-in page, and signs in by proving it holds the token — the one-time
//     login link (GET /login?code=..., printed at start and by `starstreamer
//     token`; login.go) or the token typed into the form (POST /login). The
//     cookie (HttpOnly, SameSite=Strict) is an HMAC of the token. Assets and
//     /login are open.
//
// # Caveats
//
//   - The live feed drops messages for a client that cannot keep up (and counts
//     them in /api/stats ws_dropped) rather than slowing the bus; the bus runs
//     the feed's handler on a goroutine per event, so events of the same
//     instant may reach the page slightly out of order.
//   - The session cookie stays valid as long as the token does; a new token
//     (delete the "api_token" setting) signs every browser out.
//   - Events from the API may not use the engine.* types, and their data must
//     be a JSON object of at most 64 KiB; numbers arrive as floats. They may be
//     twitch.* or obs.* test events: their source is "api" (token) or "panel"
//     (session), never the platform's (docs/trust.md).
//   - Module config fields declared secret are masked (engine.SecretMask) in
//     every answer; PUT .../config with the mask keeps the stored value.
//   - Tokens and cookies are never logged; request logs carry method, path and
//     status only.
package web
