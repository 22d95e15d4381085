// Package httpc is the guarded HTTP client behind the Lua http binding: the
// one way a module reaches the web. It imports nothing of the project.
//
// A Client belongs to one module and knows the hosts that module declared
// (http:HOST permissions). Its invariants:
//
//   - Only declared hosts are reached, by the first request and by every
//     redirect; redirects stop after MaxRedirects.
//   - The address a connection is made to is checked after DNS resolution,
//     in the net.Dialer's Control function: loopback, link-local, private
//     (RFC 1918, fc00::/7, 100.64/10), unspecified, multicast and broadcast
//     addresses are refused unless the request's host is that address
//     written as a literal and declared (http:127.0.0.1), or is "localhost"
//     declared and the address is loopback. So a declared name that resolves
//     (or is rebound) to the streamer's router or the panel is refused.
//   - The response body is read up to MaxBody (1 MiB default); more is an
//     error, not a truncated answer. The request body is capped the same.
//   - Each request ends within its timeout (10 s default, 30 s at most),
//     connect, redirects and body read included.
//   - At most MaxConcurrent requests of a client run at once (4 default);
//     more wait their turn within their own timeout.
//   - No cookie jar, no proxy from the environment, only http and https,
//     and bodies are never logged (this package logs nothing).
package httpc
