-- moderation: chat filters and the moderators' commands.
--
-- Filters (broadcaster and moderators are never filtered, VIPs by default
-- neither):
--   links: a message with a link (http://..., www..., or a bare domain such
--          as example.com) times its writer out, unless a moderator gave
--          them a !permit or the link is to an allowed site.
--   caps:  a long message in capitals (at least caps_min_letters letters,
--          caps_percent of them upper case) times its writer out.
-- Commands for moderators:
--   !permit @user          the user may post one link in the next permit_seconds
--   !timeout @user [time] [reason]   e.g. !timeout @bob 10m spam (default timeout_default)
--   !untimeout @user       lifts a timeout or ban
module {
  name = "moderation",
  description = "Link and caps filters with timeouts and permits; !permit, !timeout and !untimeout for moderators",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "twitch.moderate" },
  config = {
    links = true,                -- filter links
    link_timeout = 10,           -- seconds
    allowed_links = "clips.twitch.tv", -- sites always allowed, separated by spaces (subdomains included)
    permit_seconds = 60,         -- how long a !permit lasts
    caps = true,                 -- filter capitals
    caps_min_letters = 15,       -- shorter messages are never caps
    caps_percent = 70,           -- share of capital letters that counts as shouting
    caps_timeout = 10,           -- seconds
    exempt_vips = true,          -- VIPs may post links and capitals
    exempt_subscribers = false,  -- subscribers may too
    timeout_default = 600,       -- seconds, for !timeout without a time
  },
}

local strings = require("strings")
local time = require("time")

-- Top-level domains a bare "word.tld" must end in to count as a link, so
-- that "e.g." or "lol...ok" do not.
local tlds = {}
for _, t in ipairs(strings.split("com net org tv gg io co me ly be uk de fr es it nl ru pl br xyz info biz app dev live stream link site online store shop club fun top", " ")) do
  tlds[t] = true
end

-- host returns the host of a word that is a link, or nil.
local function host(word)
  local w = word:lower():gsub("^[%(%[<\"']+", ""):gsub("[%)%]>\"'.,!?;:]+$", "")
  local h = w:match("^https?://([^/?#]+)")
  if not h then
    h = w:match("^www%.([^/?#]+)")
    if h then h = "www." .. h end
  end
  if not h then
    h = w:match("^([%w%-%.]+)[/?#]?") -- a bare domain, perhaps with a path
    if not h or not h:find("%.") then return nil end
  end
  h = h:gsub(":%d+$", ""):gsub("%.$", "")
  local tld = h:match("%.(%a+)$")
  if not tld or not tlds[tld] then return nil end
  if not h:match("^[%w%-]+%.") then return nil end
  return h
end

-- allowed reports whether a host is one of the allowed sites or below one.
local function allowed(h)
  for _, site in ipairs(strings.split(config.allowed_links or "", " ")) do
    site = site:lower():gsub("^https?://", ""):gsub("/.*$", "")
    if site ~= "" and (h == site or strings.ends_with(h, "." .. site)) then return true end
  end
  return false
end

-- first_link returns the first link of a message that is not allowed.
local function first_link(text)
  for word in text:gmatch("%S+") do
    local h = host(word)
    if h and not allowed(h) then return h end
  end
  return nil
end

local function shouting(text)
  local letters, upper = 0, 0
  for c in text:gmatch("%a") do
    letters = letters + 1
    if c:match("%u") then upper = upper + 1 end
  end
  return letters >= config.caps_min_letters and upper * 100 >= letters * config.caps_percent
end

local function exempt(u)
  return u.broadcaster or u.moderator or (config.exempt_vips and u.vip) or (config.exempt_subscribers and u.subscriber)
end

-- permits: login -> time until which one link is allowed (lost on reload).
local permits = {}

local function use_permit(login)
  local until_t = permits[login]
  if until_t == nil then return false end
  permits[login] = nil
  return time.now() <= until_t
end

local function punish(event, seconds, reason, says)
  local u = event.data.user
  local ok, err = twitch.timeout(u, seconds, reason)
  if not ok then
    log.warn("timeout failed", { user = u.username, reason = reason, err = err })
    return
  end
  twitch.send_message(string.format("@%s %s (%s timeout)", u.display_name, says, time.format(seconds)))
end

on_event("twitch.chat.message", function(event)
  local d = event.data
  if d.from_bot then return end
  local u = d.user
  if exempt(u) then return end
  if config.links then
    local h = first_link(d.message)
    if h and not use_permit(u.username) then
      punish(event, config.link_timeout, "link: " .. h, "links need a !permit from a moderator")
      return
    end
  end
  if config.caps and shouting(d.message) then
    punish(event, config.caps_timeout, "caps", "please don't shout")
  end
end)

command("!permit", {
  permission = "moderator",
  usage = "!permit @user",
  min_args = 1,
  description = "Lets a user post one link (moderators)",
}, function(event, cmd)
  local login = strings.username(cmd.args[1])
  permits[login] = time.now() + config.permit_seconds
  twitch.reply(event, string.format("@%s may post one link in the next %s.", login, time.format(config.permit_seconds)))
end)

command("!timeout", {
  permission = "moderator",
  usage = "!timeout @user [10m] [reason]",
  min_args = 1,
  description = "Times a user out (moderators)",
}, function(event, cmd)
  local login = strings.username(cmd.args[1])
  local seconds, reason_from = config.timeout_default, 2
  if cmd.args[2] then
    local s = time.parse(cmd.args[2])
    if s then seconds, reason_from = math.floor(s), 3 end
  end
  if seconds < 1 or seconds > 1209600 then
    twitch.reply(event, "A timeout lasts from 1s to 14d.")
    return
  end
  local reason = table.concat(cmd.args, " ", reason_from)
  if reason == "" then reason = "timed out by " .. event.data.user.username end
  local ok, err = twitch.timeout(login, seconds, reason)
  if not ok then
    twitch.reply(event, "Could not time out " .. login .. ": " .. err)
    return
  end
  twitch.reply(event, string.format("%s is timed out for %s.", login, time.format(seconds)))
end)

command("!untimeout", {
  aliases = { "!unban" },
  permission = "moderator",
  usage = "!untimeout @user",
  min_args = 1,
  description = "Lifts a timeout or ban (moderators)",
}, function(event, cmd)
  local login = strings.username(cmd.args[1])
  local ok, err = twitch.unban(login)
  if not ok then
    twitch.reply(event, "Could not lift it for " .. login .. ": " .. err)
    return
  end
  twitch.reply(event, login .. " may chat again.")
end)
