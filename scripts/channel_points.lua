-- channel_points: an example of a channel point reward a module handles
-- from start to end. Copy it for rewards of your own.
--
-- Twitch lets a program fulfil or refund only the rewards it created
-- itself, so this module creates its reward ("Say it in chat") when Twitch
-- connects and remembers its id. Each redemption of it is checked: a fit
-- message is said in chat and the redemption marked fulfilled; an empty,
-- too long or linked one is refunded (the viewer gets the points back).
-- Redemptions of other rewards are left alone.
module {
  name = "channel_points",
  description = "Example channel point reward: says the viewer's message in chat, fulfils or refunds the redemption",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "twitch.channel", "store" },
  config = {
    title = "Say it in chat",
    cost = 300,
    prompt = "The bot says your message in chat (no links)",
    max_length = 200,
    cooldown = 30, -- seconds between redemptions, for the whole channel
  },
}

local strings = require("strings")

-- ensure_reward finds the reward this module created, or creates it.
local function ensure_reward()
  local id = store.get("reward_id")
  local rewards, err = twitch.rewards.list()
  if not rewards then
    log.warn("cannot list the channel's rewards", { err = err })
    return
  end
  for _, r in ipairs(rewards) do
    if r.id == id then return end
  end
  local reward, cerr = twitch.rewards.create {
    title = config.title,
    cost = config.cost,
    prompt = config.prompt,
    input_required = true,
    cooldown = config.cooldown,
  }
  if not reward then
    log.warn("cannot create the reward", { title = config.title, err = cerr })
    return
  end
  store.set("reward_id", reward.id)
  log.info("reward created", { title = config.title, id = reward.id })
end

on_event("twitch.connected", function()
  ensure_reward()
end)

-- why_not says why a message cannot be said, or nil when it can.
local function why_not(text)
  if text == "" then return "the message is empty" end
  if #text > config.max_length then return "the message is longer than " .. config.max_length .. " characters" end
  if text:lower():find("https?://") or text:lower():find("www%.") then return "links are not allowed" end
  return nil
end

local function done(ok, err, what, d)
  if not ok then log.warn(what .. " failed", { redemption = d.redemption_id, err = err }) end
end

on_event("twitch.channel_points", function(event)
  local d = event.data
  if d.reward.id ~= store.get("reward_id") or d.status ~= "unfulfilled" then return end
  local text = strings.trim(d.input)
  local reason = why_not(text)
  if reason then
    local ok, err = twitch.refund(event)
    done(ok, err, "refund", d)
    twitch.send_message(string.format("@%s %s: your points are back.", d.user.display_name, reason))
    return
  end
  twitch.send_message(string.format("%s says: %s", d.user.display_name, text))
  local ok, err = twitch.fulfill(event)
  done(ok, err, "fulfill", d)
end)
