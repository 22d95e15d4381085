// Package scripttest runs the tests of Lua modules: files named *_test.lua
// beside a script (scripts/chat_test.lua tests scripts/chat.lua; a test file
// inside a folder module, scripts/rpg/rpg_test.lua, tests that module).
//
// There are a few central types: Run (what `starstreamer test [path]` and the
// repository's Go test call), the per-test env (a whole engine: bus, registry,
// the Lua runtime, a temporary store), and the fakes it is built with: a
// Twitch that records what was sent, an OBS that records requests, a web
// that records http.* requests and answers them (t.http, t.http_answer), and a
// clock that only moves when a test says so.
//
// A test file is plain Lua (not a module) with a small API:
//
//	test("work pays once per five minutes", function(t)
//	  t.chat("alice", "!work")                 -- returns what the bot sent meanwhile
//	  t.advance(299)                           -- the fake clock (cooldowns, os.time)
//	  t.contains(t.chat("alice", "!work"), "again in 1s")
//	end)
//
// Every test(...) gets a fresh engine loading only the module under test
// (t.load adds others). Each t.chat/t.emit waits until the engine has finished
// with the event: every module's mailbox drained, no handler running or
// waiting, no platform call in flight.
//
// # Caveats
//
//   - Timers (after, every) and sleep use real time, not the fake clock: a test
//     that needs them must wait with t.wait(seconds).
//   - Replies the engine sends by itself (usage, cooldown_reply) leave from a
//     goroutine; waiting for quiet makes two consecutive quiet rounds a few
//     milliseconds apart, which is reliable in practice but not a proof.
//   - Random numbers in scripts come from the stdlib random module seeded from
//     os.time(), which is the fake clock: runs are repeatable.
//   - The test file itself runs with base, string, table and math and the
//     standard library's require, and a time limit per file.
package scripttest
