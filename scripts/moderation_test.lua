-- Tests of scripts/moderation.lua: run with `go test ./scripttest` or `starstreamer test scripts`.
-- Needs the twitch.moderate bindings (t.twitch_actions records what they were asked).

local mod = { username = "mod", moderator = true }

-- actions returns the recorded Twitch actions as short lines: "timeout alice 10 caps".
local function actions(t)
  local out = {}
  for _, a in ipairs(t.twitch_actions()) do
    local line = a.name .. " " .. a.user
    if a.seconds ~= 0 then line = line .. " " .. a.seconds end
    if a.text ~= "" then line = line .. " " .. a.text end
    out[#out + 1] = line
  end
  return out
end

test("a link times its writer out, with the reason", function(t)
  t.eq(t.chat("alice", "look at https://example.com/free"), { "@Alice links need a !permit from a moderator (10s timeout)" })
  t.eq(actions(t), { "timeout alice 10 link: example.com" })
end)

test("bare domains and www count as links; dots in words do not", function(t)
  t.chat("alice", "go to spam.xyz now")
  t.chat("bob", "WWW.Example.org/x")
  t.chat("carol", "e.g. this... is fine lol.ok 3.14")
  t.eq(actions(t), { "timeout alice 10 link: spam.xyz", "timeout bob 10 link: www.example.org" })
end)

test("allowed sites and their subdomains pass", function(t)
  t.chat("alice", "https://clips.twitch.tv/SomeClip")
  t.config("allowed_links", "youtube.com clips.twitch.tv")
  t.chat("alice", "https://www.youtube.com/watch?v=1")
  t.eq(actions(t), {})
end)

test("!permit lets one link through within its time", function(t)
  t.eq(t.chat(mod, "!permit @Alice"), { "@alice may post one link in the next 1m." })
  t.eq(t.chat("alice", "https://example.com"), {})
  t.chat("alice", "https://example.com/again")
  t.eq(actions(t), { "timeout alice 10 link: example.com" }, "the permit is used up")
end)

test("a permit runs out", function(t)
  t.chat(mod, "!permit alice")
  t.advance(61)
  t.chat("alice", "https://example.com")
  t.eq(#t.twitch_actions(), 1)
end)

test("!permit is for moderators only", function(t)
  t.eq(t.chat("alice", "!permit alice"), {})
  t.chat("alice", "https://example.com")
  t.eq(#t.twitch_actions(), 1)
end)

test("capitals in a long message time out; short or mixed ones do not", function(t)
  t.chat("alice", "GG")
  t.chat("alice", "WHAT A PLAY that was, wow")
  t.eq(actions(t), {})
  t.contains(t.chat("bob", "THIS IS THE BEST STREAM EVER!!!"), "@Bob please don't shout (10s timeout)")
  t.eq(actions(t), { "timeout bob 10 caps" })
end)

test("moderators, the broadcaster and VIPs are not filtered; subscribers are", function(t)
  t.chat(mod, "https://example.com SHOUTING SHOUTING SHOUTING")
  t.chat({ username = "streamer", broadcaster = true }, "https://example.com")
  t.chat({ username = "vippy", vip = true }, "https://example.com")
  t.eq(#t.twitch_actions(), 0)
  t.chat({ username = "subby", subscriber = true }, "https://example.com")
  t.eq(#t.twitch_actions(), 1)
  t.config("exempt_subscribers", true)
  t.chat({ username = "subby", subscriber = true }, "https://example.com")
  t.eq(#t.twitch_actions(), 1)
end)

test("filters can be turned off", function(t)
  t.config("links", false)
  t.config("caps", false)
  t.chat("alice", "HTTPS://EXAMPLE.COM IS THE BEST SITE EVER")
  t.eq(#t.twitch_actions(), 0)
end)

test("a failed timeout is logged, not announced", function(t)
  t.twitch_error("timeout", "the bot is not a moderator")
  t.eq(t.chat("alice", "https://example.com"), {})
end)

test("!timeout takes a time and a reason, or uses the default", function(t)
  t.eq(t.chat(mod, "!timeout @Bob 10m spamming links"), { "bob is timed out for 10m." })
  t.advance(5)
  t.eq(t.chat(mod, "!timeout carol"), { "carol is timed out for 10m." })
  t.eq(actions(t), { "timeout bob 600 spamming links", "timeout carol 600 timed out by mod" })
  t.eq(t.chat(mod, "!timeout dave 99d"), { "A timeout lasts from 1s to 14d." })
  t.eq(t.chat(mod, "!timeout"), { "Usage: !timeout @user [10m] [reason]" })
  t.eq(t.chat("alice", "!timeout bob"), {}, "viewers get no answer")
end)

test("!timeout reports Twitch's refusal", function(t)
  t.twitch_error("timeout", "user is a moderator")
  t.eq(t.chat(mod, "!timeout othermod 1m"), { "Could not time out othermod: user is a moderator" })
end)

test("!untimeout lifts it", function(t)
  t.eq(t.chat(mod, "!untimeout @Bob"), { "bob may chat again." })
  t.eq(actions(t), { "unban bob" })
end)
