-- discord_webhook: post to a Discord channel through a webhook, without a bot.
--
--   local webhook = require("discord_webhook")
--   local ok, err = webhook.send(config.webhook, { content = "We are live!" })
--
-- Built on http: the module declares the webhook's host, usually
-- permissions = { "http:discord.com" }. The URL (Channel settings,
-- Integrations, Webhooks, Copy Webhook URL) holds the webhook's token: keep it
-- in a secret config field and never print it. Mentions in the text do not
-- ping anyone (no @everyone from a stream title) unless the message gives its
-- own allowed_mentions.
local json = require("json")

local M = {}

-- Discord's limits for one webhook message.
M.max_content = 2000
M.max_embeds = 10
M.max_username = 80

-- chars counts the characters of UTF-8 text (bytes that do not continue one).
local function chars(s)
  return select(2, s:gsub("[^\128-\191]", ""))
end

local function check(url, msg)
  if type(url) ~= "string" or not (url:find("^https://") or url:find("^http://")) then
    return "the webhook URL must be an https:// address (is the webhook config set?)"
  end
  if type(msg) ~= "table" then
    return "the message must be a table { content, embeds, username }"
  end
  if msg.content ~= nil and type(msg.content) ~= "string" then
    return "content must be a text"
  end
  if (msg.content == nil or msg.content == "") and (msg.embeds == nil or #msg.embeds == 0) then
    return "a message needs content or embeds"
  end
  if msg.content and (#msg.content > 4 * M.max_content or chars(msg.content) > M.max_content) then
    return "content is longer than " .. M.max_content .. " characters"
  end
  if msg.embeds ~= nil and (type(msg.embeds) ~= "table" or #msg.embeds > M.max_embeds) then
    return "embeds must be a list of at most " .. M.max_embeds .. " tables"
  end
  if msg.username ~= nil and (type(msg.username) ~= "string" or #msg.username > M.max_username) then
    return "username must be a text of at most " .. M.max_username .. " characters"
  end
end

-- send(url, { content, embeds, username, avatar_url, allowed_mentions }) ->
-- true | nil, err. Waits for Discord's answer (a handler, not top-level
-- code). err says what Discord answered (its status and message), never
-- the URL; a 429 says how many seconds to wait.
function M.send(url, msg)
  local problem = check(url, msg)
  if problem then
    return nil, "discord_webhook: " .. problem
  end
  local payload = {
    content = msg.content,
    embeds = msg.embeds,
    username = msg.username,
    avatar_url = msg.avatar_url,
    allowed_mentions = msg.allowed_mentions or json.object({ parse = {} }),
  }
  local resp, err = http.request{
    method = "POST", url = url, body = json.encode(payload),
    headers = { ["Content-Type"] = "application/json" },
  }
  if not resp then
    return nil, "discord_webhook: " .. tostring(err)
  end
  if resp.status >= 200 and resp.status < 300 then
    return true
  end
  local detail = ""
  if type(resp.json) == "table" then
    if resp.status == 429 and resp.json.retry_after then
      return nil, "discord_webhook: rate limited, retry after " .. tostring(resp.json.retry_after) .. " s"
    end
    if resp.json.message then
      detail = ": " .. tostring(resp.json.message)
    end
  end
  return nil, "discord_webhook: Discord answered " .. resp.status .. detail
end

return M
