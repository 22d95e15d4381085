-- Tests of scripts/channel_points.lua: run with `go test ./scripttest` or `starstreamer test scripts`.

-- redeem sends a redemption of reward_id with the viewer's input.
local function redeem(t, reward_id, input, status)
  return t.emit("twitch.channel_points", {
    user = { id = "id-alice", username = "alice", display_name = "Alice" },
    reward = { id = reward_id, title = "Say it in chat", cost = 300, prompt = "" },
    input = input, redemption_id = "r-" .. input:len(), status = status or "unfulfilled",
    redeemed_at = "2026-01-05T12:00:00Z",
  })
end

local function names(t)
  local out = {}
  for _, a in ipairs(t.twitch_actions()) do out[#out + 1] = a.name end
  return out
end

-- connect plays twitch.connected: the module creates its reward.
local function connect(t)
  t.emit("twitch.connected", { reason = "welcome" })
  return t.store("reward_id")
end

test("the reward is created once Twitch connects, with the configured fields", function(t)
  local id = connect(t)
  t.ok(id, "the reward id is kept")
  local create = t.twitch_actions()[2]
  t.eq(create.name, "rewards.create")
  t.eq(create.fields, { title = "Say it in chat", cost = 300, prompt = "The bot says your message in chat (no links)",
    input_required = true, cooldown = 30 })
end)

test("a fit message is said and the redemption fulfilled", function(t)
  local id = connect(t)
  t.eq(redeem(t, id, "  hello chat  "), { "Alice says: hello chat" })
  local all = t.twitch_actions()
  t.eq(all[#all].name, "fulfill")
  t.eq(all[#all].redemption_id, "r-14")
end)

test("an empty, too long or linked message is refunded", function(t)
  local id = connect(t)
  t.eq(redeem(t, id, " "), { "@Alice the message is empty: your points are back." })
  t.eq(redeem(t, id, string.rep("a", 201)), { "@Alice the message is longer than 200 characters: your points are back." })
  t.eq(redeem(t, id, "visit https://x.example"), { "@Alice links are not allowed: your points are back." })
  t.eq(names(t), { "rewards.list", "rewards.create", "refund", "refund", "refund" })
end)

test("other rewards and settled redemptions are left alone", function(t)
  local id = connect(t)
  t.eq(redeem(t, "someone-elses-reward", "hi"), {})
  t.eq(redeem(t, id, "hi", "fulfilled"), {})
  t.eq(names(t), { "rewards.list", "rewards.create" })
end)

test("a failed creation is logged and nothing is handled", function(t)
  t.twitch_error("rewards.create", "CREATE_CUSTOM_REWARD_DUPLICATE_REWARD")
  t.eq(connect(t), nil)
  t.eq(redeem(t, "anything", "hi"), {})
end)

test("a failed fulfil is logged; the message was still said", function(t)
  local id = connect(t)
  t.twitch_error("fulfill", "not created by this client")
  t.eq(redeem(t, id, "hi"), { "Alice says: hi" })
  t.eq(t.errors(), 0)
end)
