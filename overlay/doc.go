// Package overlay serves the pages OBS shows as browser sources: on-screen
// alerts and any widget a script drives. It imports nothing of the project but
// engine (the bus the alert events go on, the store that keeps the keys).
//
// An overlay is a folder overlays/NAME/ holding index.html and any .css and
// .js files, which the user may edit. The page, GET /overlay/NAME?key=KEY, is
// index.html with those files inlined (CSS at the end of <head>, the runtime
// and the JS at the end of <body>), so it needs no other request than its
// WebSocket (/overlay/NAME/ws) and the media it shows
// (/overlay/NAME/media/FILE). The shipped "alerts" overlay is embedded and
// written to overlays/alerts/ on first start; without that folder the built-in
// copy is served.
//
// Central types:
//
//   - Manager: the overlays' keys (one per overlay, kept in the store, in the
//     URL because OBS cannot send headers; rotatable), their alert queues and
//     their open pages. It is the http.Handler of /overlay/ and the
//     implementation of the Lua binding's overlay.alert and overlay.send.
//   - Alert: one alert (kind, title, text, image, sound, accent, duration).
//     ParseAlert turns a script's table into one, naming the bad field.
//   - board (queue.go): one overlay's queue and pages; the state machine of
//     "one alert at a time, in order, for its duration" is documented there.
//
// Invariants:
//
//   - Nothing under /overlay/ answers without the overlay's key (403), and the
//     key is compared in constant time and never logged.
//   - No path from a request or a script reaches a file outside overlays/NAME/
//     and media/: names are checked for form (CheckMediaName, ValidName), files
//     are opened through an os.Root (no "..", no symbolic link out), and only
//     regular files of bounded size are read (no FIFO, device or folder), the
//     checks made on the opened file. Media must have an image or sound
//     extension and content that matches it.
//   - Pages carry a Content-Security-Policy that allows no external address
//     and only the engine's own scripts (a nonce per response), so an edited
//     or injected page cannot load or send anything elsewhere.
//   - An alert is sent only while a browser source (not a panel preview) is
//     open; until then it waits, at most MaxWaiting per overlay, after which
//     overlay.alert fails with an error saying so. Each alert gives one
//     overlay.alert.shown (when a page confirmed it on screen, or after
//     AckWait) and one overlay.alert.done event, source "overlay".
//
// Caveats:
//
//   - The key is in the page's URL: anyone who sees the browser source's
//     settings can open the overlay (read-only: it shows alerts, it cannot
//     send any). Rotate it from the panel if it leaked.
//   - Hot reload: a saved .css file is swapped into open pages in place; any
//     other saved file reloads them (an alert on screen restarts its
//     animation). Sub-folders of an overlay are not read.
//   - Timing is the server's: a page that is slow to paint shortens what is
//     left of the alert's duration, never the order.
package overlay
