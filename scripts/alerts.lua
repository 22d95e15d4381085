-- alerts: follows, subs, gift bombs, raids, cheers, channel points and hype
-- trains, on screen (the "alerts" overlay, an OBS browser source) and in chat.
--
-- Everything said or shown is a template in config ({user}, {tier}, {months},
-- {bits}, {reward}, ...), so the panel can change it without editing this
-- file. Each kind has a chat line (KIND, "" for none) and an on-screen card:
-- KIND_title (the small line), KIND_text (the big one), KIND_image and
-- KIND_sound (files of the media folder, "" for none). A gift bomb (one gifter
-- giving many subs at once) is one alert, not one per gifted sub. Cheers take
-- the colour of their bits tier (cheer_tiers); {tier} works in cheer_image and
-- cheer_sound, e.g. "cheer{tier}.gif". With show_source set (and OBS
-- connected), an OBS source is also shown for show_seconds on every alert.
module {
  name = "alerts",
  description = "On-screen and chat alerts for follows, subs, gifts, raids, cheers, channel points and hype trains",
  version = "2.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "obs.control", "overlay" },
  config = {
    overlay = "alerts", -- overlay that shows the cards ("" = chat only)
    chat = true,        -- also thank in chat
    duration = 6,       -- seconds each card stays on screen

    follow = "Thanks for the follow, {user}!",
    follow_title = "New follower",
    follow_text = "{user}",
    follow_image = "",
    follow_sound = "",

    sub = "{user} just subscribed at tier {tier}!",
    sub_title = "New subscriber · tier {tier}",
    sub_text = "{user}",
    sub_image = "",
    sub_sound = "",

    resub = "{user} resubscribed for {months} months! {message}",
    resub_title = "Resubscribed · {months} months",
    resub_text = "{user}",
    resub_image = "",
    resub_sound = "",

    gift = "{user} gifted {total} tier {tier} sub(s)! {cumulative_text}",
    gift_title = "Gift bomb · {total} subs",
    gift_text = "{user}",
    gift_image = "",
    gift_sound = "",

    raid = "{user} is raiding with {viewers} viewers! Welcome, everyone!",
    raid_title = "Raid · {viewers} viewers",
    raid_text = "{user}",
    raid_image = "",
    raid_sound = "",

    cheer = "{user} cheered {bits} bits! {message}",
    cheer_title = "{bits} bits",
    cheer_text = "{user}",
    cheer_image = "",
    cheer_sound = "",
    cheer_tiers = "1, 100, 1000, 5000, 10000", -- bits where tiers 1, 2, 3, ... start

    channel_points = "", -- chat line for a redemption ("" = none)
    channel_points_title = "{reward}",
    channel_points_text = "{user}",
    channel_points_image = "",
    channel_points_sound = "",

    hype_begin = "A hype train has started! Level {level}.",
    hype_level = "Hype train reached level {level}!",
    hype_end = "The hype train ended at level {level}. Thank you all!",
    hype_train_title = "Hype train · level {level}",
    hype_begin_text = "All aboard!",
    hype_level_text = "Level {level} reached!",
    hype_end_text = "Thank you all!",
    hype_train_image = "",
    hype_train_sound = "",

    anonymous = "An anonymous gifter",
    show_scene = "", -- OBS scene holding the alert source ("" = off)
    show_source = "", -- OBS source to show on an alert ("" = off)
    show_seconds = 5,
  },
}

local strings = require("strings")

local tiers = { ["1000"] = "1", ["2000"] = "2", ["3000"] = "3", prime = "Prime" }

-- Twitch's cheermote colours, tier 1 (grey) to 5 (red).
local cheer_colours = { "#a0a0b4", "#9c3ee8", "#1db2a5", "#2b8cff", "#f43021" }

local function name_of(user)
  if user == nil then return config.anonymous end
  return user.display_name or user.username or config.anonymous
end

local function tier_of(t)
  return tiers[tostring(t or "1000")] or tostring(t)
end

-- cheer_tier returns the tier (1, 2, ...) of a number of bits.
local function cheer_tier(bits)
  local tier = 1
  for i, start in ipairs(strings.split(config.cheer_tiers, ",")) do
    local n = tonumber(strings.trim(start))
    if n and bits >= n then tier = i end
  end
  return tier
end

local function fill(template, vars)
  return strings.trim(strings.fill(template or "", vars))
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

-- announce thanks in chat (chat_line, "" for none) and queues the on-screen
-- card of kind: card.title/text/image/sound are the templates, card.accent
-- the colour ("" for the kind's own).
local function announce(kind, chat_line, vars, card)
  if config.chat and chat_line ~= "" then
    local text = fill(chat_line, vars)
    if text ~= "" then
      twitch.send_message(text)
      emit("alerts.shown", { text = text })
    end
  end
  if config.overlay ~= "" then
    local id, err = overlay.alert {
      overlay = config.overlay, kind = kind, duration = config.duration,
      title = fill(card.title, vars), text = fill(card.text, vars),
      image = fill(card.image, vars), sound = fill(card.sound, vars), accent = card.accent,
    }
    if not id then log.warn("alert not shown on screen", { kind = kind, err = err }) end
  end
  flash()
end

-- card_of reads the KIND_title/_text/_image/_sound templates of a kind.
local function card_of(kind)
  return {
    title = config[kind .. "_title"], text = config[kind .. "_text"],
    image = config[kind .. "_image"], sound = config[kind .. "_sound"],
  }
end

on_event("twitch.follow", function(event)
  announce("follow", config.follow, { user = name_of(event.data.user) }, card_of("follow"))
end)

-- A gifted sub arrives twice: once as twitch.gift (the gifter, total) and once
-- as twitch.subscription with is_gift = true per recipient. Only the gift
-- event is announced, so 50 gifts are one alert.
on_event("twitch.subscription", function(event)
  local d = event.data
  if d.is_gift then return end
  local vars = { user = name_of(d.user), tier = tier_of(d.tier), months = d.months or 1, message = d.message or "" }
  if (d.months or 0) > 1 then
    announce("resub", config.resub, vars, card_of("resub"))
  else
    announce("sub", config.sub, vars, card_of("sub"))
  end
end)

on_event("twitch.gift", function(event)
  local d = event.data
  local cumulative = ""
  if d.user and (d.cumulative or 0) > (d.total or 0) then
    cumulative = string.format("They have gifted %d in total.", d.cumulative)
  end
  announce("gift", config.gift, {
    user = name_of(d.user), total = d.total or 1, tier = tier_of(d.tier), cumulative_text = cumulative,
  }, card_of("gift"))
end)

on_event("twitch.raid", function(event)
  local d = event.data
  announce("raid", config.raid, { user = name_of(d.from_broadcaster), viewers = d.viewers or 0 }, card_of("raid"))
end)

on_event("twitch.cheer", function(event)
  local d = event.data
  local bits = d.bits or 0
  local tier = cheer_tier(bits)
  local card = card_of("cheer")
  card.accent = cheer_colours[math.min(tier, #cheer_colours)]
  announce("cheer", config.cheer, { user = name_of(d.user), bits = bits, message = d.message or "", tier = tier }, card)
end)

on_event("twitch.channel_points", function(event)
  local d = event.data
  local reward = d.reward or {}
  announce("channel_point", config.channel_points, {
    user = name_of(d.user), reward = reward.title or "", cost = reward.cost or 0, input = d.input or "",
  }, card_of("channel_points"))
end)

local function hype(phase, chat_line, level)
  local card = card_of("hype_train")
  card.text = config["hype_" .. phase .. "_text"]
  announce("hype_train", chat_line, { level = level }, card)
end

-- progress events come often; only a new level is worth an alert.
local last_level = 0
on_event("twitch.hype_train.progress", function(event)
  local level = event.data.level or 1
  if level > last_level and last_level > 0 then
    hype("level", config.hype_level, level)
  end
  last_level = math.max(last_level, level)
end)

on_event("twitch.hype_train.begin", function(event)
  last_level = event.data.level or 1
  hype("begin", config.hype_begin, last_level)
end)

on_event("twitch.hype_train.end", function(event)
  last_level = 0
  hype("end", config.hype_end, event.data.level or 1)
end)
