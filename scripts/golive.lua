-- golive: posts in your Discord when the stream goes live.
--
-- Setup: in Discord, Channel settings > Integrations > Webhooks > New Webhook,
-- Copy Webhook URL; paste it into this module's "webhook" config field in the
-- panel (a secret: the panel never shows it again and logs mask it). The link
-- is to the channel that went live; "channel" overrides its login.
--
-- On twitch.stream.online it posts the message, the stream's title and game
-- and a link to https://twitch.tv/<login>, once per stream: the stream's
-- started_at is kept in the store, so a reconnect or a restart that repeats
-- the event does not post again. Without a webhook it posts nothing and logs
-- why.
--
-- Permissions: store (to remember the stream it posted for) and http:discord.com, the host of Discord's webhook URLs (an old
-- discordapp.com URL is posted to discord.com). A webhook elsewhere (another
-- service speaking Discord's format) needs that host declared instead: the
-- permission is fixed in module{} so that the streamer approves exactly where
-- the module may send, and a config value cannot widen it.
module {
  name = "golive",
  description = "Posts the stream's title, game and link to a Discord webhook when you go live, once per stream",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "http:discord.com", "store" },
  config = {
    webhook = { secret = true, default = "" },
    channel = "",
    message = "{channel} is live!",
    username = "",
  },
}

local strings = require("strings")
local webhook = require("discord_webhook")

-- the key this stream is remembered by
local function stream_key(data)
  return data.started_at or data.stream_id or ""
end

on_event("twitch.stream.online", function(event)
  local url = strings.trim(config.webhook or "")
  if url == "" then
    log.warn("golive: no webhook configured (set the module's webhook config in the panel): nothing posted")
    return
  end
  url = url:gsub("^https://discordapp%.com/", "https://discord.com/")
  local key = stream_key(event.data)
  local previous = store.get("posted")
  if key ~= "" and previous == key then
    log.info("golive: already posted for this stream", { started_at = key })
    return
  end
  store.set("posted", key) -- claimed before waiting: a repeated event arriving meanwhile sees it

  local channel = strings.trim(config.channel or "")
  if channel == "" and type(event.data.broadcaster) == "table" then
    channel = event.data.broadcaster.username or "" -- the channel that went live
  end
  local link = channel ~= "" and ("https://twitch.tv/" .. channel) or nil
  local s, serr = twitch.stream()
  if not s then
    log.warn("golive: could not read the stream's title and game; posting without them", { error = serr })
    s = {}
  end
  local name = channel ~= "" and channel or "The stream"
  local text = strings.fill(config.message or "", { channel = name, title = s.title or "", game = s.game or "", link = link or "" })
  local embed = { title = (s.title and s.title ~= "") and s.title or (name .. " is live"), url = link }
  if s.game and s.game ~= "" then
    embed.description = "Playing " .. s.game
  end
  local msg = { content = text ~= "" and text or nil, embeds = { embed } }
  if config.username and config.username ~= "" then
    msg.username = config.username
  end

  local called, ok, err = pcall(webhook.send, url, msg)
  if not called then
    ok, err = nil, ok
  end
  if not ok then
    -- not posted: a later online event for this stream may try again
    if previous == nil then store.delete("posted") else store.set("posted", previous) end
    log.error("golive: could not post to the webhook: " .. tostring(err))
    return
  end
  log.info("golive: posted the go-live message", { started_at = key })
end)
