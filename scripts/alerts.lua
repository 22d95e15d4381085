-- alerts: thanks followers, subscribers, gifters, raiders, cheerers and hype trains.
--
-- Every message is a template in config ({user}, {tier}, {months}, ...), so the
-- panel can change them without editing this file. A gift bomb (one gifter
-- giving many subs at once) gets one message, not one per gifted sub.
-- With show_source set (and the obs.control permission), an OBS source is
-- shown for show_seconds on every alert.
module {
  name = "alerts",
  description = "Chat alerts for follows, subs, gifts, raids, cheers and hype trains",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "obs.control" },
  config = {
    follow = "Thanks for the follow, {user}!",
    sub = "{user} just subscribed at tier {tier}!",
    resub = "{user} resubscribed for {months} months! {message}",
    gift = "{user} gifted {total} tier {tier} sub(s)! {cumulative_text}",
    raid = "{user} is raiding with {viewers} viewers! Welcome, everyone!",
    cheer = "{user} cheered {bits} bits! {message}",
    hype_begin = "A hype train has started! Level {level}.",
    hype_level = "Hype train reached level {level}!",
    hype_end = "The hype train ended at level {level}. Thank you all!",
    anonymous = "An anonymous gifter",
    show_scene = "", -- OBS scene holding the alert source ("" = off)
    show_source = "", -- OBS source to show on an alert ("" = off)
    show_seconds = 5,
  },
}

local strings = require("strings")

local tiers = { ["1000"] = "1", ["2000"] = "2", ["3000"] = "3", prime = "Prime" }

local function name_of(user)
  if user == nil then return config.anonymous end
  return user.display_name or user.username or config.anonymous
end

local function tier_of(t)
  return tiers[tostring(t or "1000")] or tostring(t)
end

-- flash shows the configured OBS source for a few seconds; OBS being offline
-- is not an error worth more than a debug line.
local function flash()
  if config.show_source == "" or config.show_scene == "" then return end
  local ok, err = obs.set_source_visible(config.show_scene, config.show_source, true)
  if not ok then
    log.debug("alert source not shown", { err = err })
    return
  end
  after(config.show_seconds, function()
    obs.set_source_visible(config.show_scene, config.show_source, false)
  end)
end

local function announce(template, vars)
  local text = strings.trim(strings.fill(template, vars))
  twitch.send_message(text)
  emit("alerts.shown", { text = text })
  flash()
end

on_event("twitch.follow", function(event)
  announce(config.follow, { user = name_of(event.data.user) })
end)

-- A gifted sub arrives twice: once as twitch.gift (the gifter, total) and once
-- as twitch.subscription with is_gift = true per recipient. Only the gift
-- event is announced, so 50 gifts are one message.
on_event("twitch.subscription", function(event)
  local d = event.data
  if d.is_gift then return end
  local vars = { user = name_of(d.user), tier = tier_of(d.tier), months = d.months or 1, message = d.message or "" }
  if (d.months or 0) > 1 then
    announce(config.resub, vars)
  else
    announce(config.sub, vars)
  end
end)

on_event("twitch.gift", function(event)
  local d = event.data
  local cumulative = ""
  if d.user and (d.cumulative or 0) > (d.total or 0) then
    cumulative = string.format("They have gifted %d in total.", d.cumulative)
  end
  announce(config.gift, {
    user = name_of(d.user), total = d.total or 1, tier = tier_of(d.tier), cumulative_text = cumulative,
  })
end)

on_event("twitch.raid", function(event)
  local d = event.data
  announce(config.raid, { user = name_of(d.from_broadcaster), viewers = d.viewers or 0 })
end)

on_event("twitch.cheer", function(event)
  local d = event.data
  announce(config.cheer, { user = name_of(d.user), bits = d.bits or 0, message = d.message or "" })
end)

-- progress events come often; only a new level is worth a message.
local last_level = 0
on_event("twitch.hype_train.progress", function(event)
  local level = event.data.level or 1
  if level > last_level and last_level > 0 then
    announce(config.hype_level, { level = level })
  end
  last_level = math.max(last_level, level)
end)

on_event("twitch.hype_train.begin", function(event)
  last_level = event.data.level or 1
  announce(config.hype_begin, { level = last_level })
end)

on_event("twitch.hype_train.end", function(event)
  last_level = 0
  announce(config.hype_end, { level = event.data.level or 1 })
end)
