-- Tests of scripts/golive.lua.

local HOOK = "https://discord.com/api/webhooks/123/secret-token"

local function online(started_at)
  return { started_at = started_at, stream_id = "s-" .. started_at, type = "live",
           broadcaster = { id = "1337", username = "cool_streamer", display_name = "Cool_Streamer" } }
end

test("going live posts the title, game and link to the webhook once", function(t)
  t.config("webhook", HOOK)
  t.config("channel", "starstreamer")
  t.stream{ live = true, started_ago = 10, title = "Speedrun day", game = "Celeste" }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  local reqs = t.http()
  t.eq(#reqs, 1, "requests")
  local r = reqs[1]
  t.eq(r.method, "POST")
  t.eq(r.url, HOOK)
  t.eq(r.headers["content-type"], "application/json")
  t.eq(r.json.content, "starstreamer is live!")
  t.eq(r.json.embeds[1].title, "Speedrun day")
  t.eq(r.json.embeds[1].description, "Playing Celeste")
  t.eq(r.json.embeds[1].url, "https://twitch.tv/starstreamer")
  t.eq(#r.json.allowed_mentions.parse, 0, "no pings from the title")
  t.eq(t.store("posted"), "2026-01-05T12:00:00Z")

  -- the same stream again (EventSub reconnect): nothing more
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(#t.http(), 1, "requests after a repeated event")
end)

test("a restart does not post twice for the same stream; the next stream posts", function(t)
  t.config("webhook", HOOK)
  t.stream{ live = true, title = "Chill", game = "Just Chatting" }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.restart()
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(#t.http(), 1, "requests after a restart")
  local next_stream = online("2026-01-06T18:00:00Z")
  next_stream.broadcaster = nil -- e.g. a hand-made test event: no channel known
  t.emit("twitch.stream.online", next_stream)
  local reqs = t.http()
  t.eq(#reqs, 2, "requests for the next stream")
  t.eq(reqs[2].json.content, "The stream is live!", "no channel known")
  t.eq(reqs[2].json.embeds[1].url, nil, "no link without a channel")
end)

test("without a webhook nothing is posted", function(t)
  t.stream{ live = true, title = "x", game = "y" }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(#t.http(), 0)
  t.eq(t.store("posted"), nil, "nothing remembered: setting the webhook later still posts")
  t.eq(t.errors(), 0)
end)

test("a failed post is not remembered, so the stream can still be announced", function(t)
  t.config("webhook", HOOK)
  t.http_answer{ status = 404, json = { message = "Unknown Webhook", code = 10015 } }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(t.store("posted"), nil)
  t.http_answer{ status = 204 }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(#t.http(), 2)
  t.eq(t.store("posted"), "2026-01-05T12:00:00Z")
end)

test("an old discordapp.com URL posts to discord.com; the message is configurable", function(t)
  t.config("webhook", "https://discordapp.com/api/webhooks/1/tok")
  t.config("channel", "me")
  t.config("message", "{channel} plays {game}: {link}")
  t.config("username", "Go-live bot")
  t.stream{ live = true, title = "T", game = "Tetris" }
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  local r = t.http()[1]
  t.eq(r.url, "https://discord.com/api/webhooks/1/tok")
  t.eq(r.json.content, "me plays Tetris: https://twitch.tv/me")
  t.eq(r.json.username, "Go-live bot")
end)

test("a webhook on a host that is not declared is refused and logged, not raised", function(t)
  t.config("webhook", "https://example.com/hook")
  t.emit("twitch.stream.online", online("2026-01-05T12:00:00Z"))
  t.eq(#t.http(), 0)
  t.eq(t.errors(), 0)
  t.eq(t.store("posted"), nil)
end)

test("without a channel configured the link is to the channel that went live", function(t)
  t.config("webhook", HOOK)
  t.stream{ live = true, started_ago = 10, title = "Chill", game = "Just Chatting" }
  t.emit("twitch.stream.online", online("2026-01-07T12:00:00Z"))
  local reqs = t.http()
  t.eq(#reqs, 1, "requests")
  t.eq(reqs[1].json.embeds[1].url, "https://twitch.tv/cool_streamer")
  t.eq(reqs[1].json.content, "cool_streamer is live!")
end)
