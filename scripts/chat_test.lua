-- Tests of scripts/chat.lua: run with `go test ./scripttest` or `starstreamer test scripts`.

test("!ping answers pong", function(t)
  t.eq(t.chat("alice", "!ping"), { "pong" })
end)

test("!hello greets by display name, also as !hi", function(t)
  t.contains(t.chat("alice", "!hello"), "Hello Alice")
  t.contains(t.chat("bob", "!HI"), "Hello Bob")
end)

test("!hello uses the configured greeting", function(t)
  t.config("greeting", "Yo {user}!")
  t.eq(t.chat("alice", "!hello"), { "Yo Alice!" })
end)

test("!commands lists every command of every running module", function(t)
  t.load("rpg")
  local out = table.concat(t.chat("alice", "!commands"), " ")
  for _, name in ipairs({ "!hello", "!ping", "!uptime", "!clip", "!work", "!give", "!leaderboard" }) do
    t.contains(out, name)
  end
end)

test("!uptime says offline when the stream is offline", function(t)
  t.stream { live = false }
  t.eq(t.chat("alice", "!uptime"), { "The stream is offline." })
end)

test("!uptime formats the time since the stream started", function(t)
  t.stream { live = true, started_ago = 2 * 3600 + 5 * 60 + 7 }
  t.eq(t.chat("alice", "!uptime"), { "Live for 2h 5m." })
end)

test("!clip replies with the clip URL and has a global cooldown", function(t)
  t.eq(t.chat("alice", "!clip"), { "Clip: https://clips.twitch.tv/clip1" })
  t.contains(t.chat("bob", "!clip"), "try again in 1m")
  t.advance(60)
  t.contains(t.chat("bob", "!clip"), "Clip: ")
end)

test("!clip reports a failure", function(t)
  t.clip_error("not live")
  t.contains(t.chat("alice", "!clip"), "Could not create a clip: not live")
end)

local mod = { username = "mod", moderator = true }

test("!remind keeps quoted words together and posts later", function(t)
  t.eq(t.chat(mod, '!remind 0.1s "stretch your legs"'), { "I will remind chat in 0s." })
  t.wait(0.3)
  t.contains(t.sent(), "Reminder: stretch your legs")
  t.eq(t.chat(mod, '!remind soon "x"'), { 'Usage: !remind 10m "text" (at most 6h)' })
  t.eq(t.chat({ username = "viewer", vip = true }, '!remind 1m "x"'), {}, "VIPs are not moderators")
end)
