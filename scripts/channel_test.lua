-- Tests of scripts/channel.lua: run with `go test ./scripttest` or `starstreamer test scripts`.

local mod = { username = "mod", moderator = true }

local function last_action(t)
  local all = t.twitch_actions()
  return all[#all]
end

test("!title sets the title for moderators only", function(t)
  t.eq(t.chat("alice", "!title hacked"), {}, "viewers get no answer")
  t.eq(#t.twitch_actions(), 0)
  t.eq(t.chat(mod, "!title  Speedrun: any% glitchless "), { "Title: Speedrun: any% glitchless" })
  local a = last_action(t)
  t.eq(a.name, "update_channel")
  t.eq(a.fields, { title = "Speedrun: any% glitchless" })
  t.eq(t.chat(mod, "!title"), { "Usage: !title new title" })
  t.eq(t.chat(mod, "!title " .. string.rep("x", 141)), { "A title has at most 140 characters." })
end)

test("!game sets the category by name", function(t)
  t.eq(t.chat(mod, "!game Just Chatting"), { "Game: Just Chatting" })
  t.eq(last_action(t).fields, { game = "Just Chatting" })
  t.eq(t.chat(mod, "!category Minecraft"), { "Game: Minecraft" })
end)

test("!title and !game report Twitch's refusal", function(t)
  t.twitch_error("update_channel", "the token lacks the scope channel:manage:broadcast")
  t.eq(t.chat(mod, "!title x"), { "Could not set the title: the token lacks the scope channel:manage:broadcast" })
  t.eq(t.chat(mod, "!game x"), { "Could not set the game: the token lacks the scope channel:manage:broadcast" })
end)

test("!so sends the official shoutout and a chat line", function(t)
  t.chat("bob", "hi") -- the fake Twitch knows users who chatted
  t.eq(t.chat(mod, "!so @Bob"), { "Go and follow Bob at https://twitch.tv/bob !" })
  local a = last_action(t)
  t.eq(a.name, "shoutout")
  t.eq(a.user, "bob")
  t.advance(5)
  t.eq(t.chat(mod, "!shoutout @ghost"), { "I could not find @ghost." })
  t.advance(5)
  t.eq(t.chat(mod, "!so"), { "Usage: !so @user" })
  t.eq(t.chat("alice", "!so @bob"), {}, "viewers get no answer")
end)

test("!so says why Twitch refused the official shoutout", function(t)
  t.chat("bob", "hi")
  t.twitch_error("shoutout", "Twitch allows one shoutout every 2 minutes")
  t.eq(t.chat(mod, "!so bob"), { "Go and follow Bob at https://twitch.tv/bob !",
    "Twitch's shoutout was not sent: Twitch allows one shoutout every 2 minutes" })
end)
