-- chat: the basic chat commands every channel wants.
--
-- !hello, !ping, !commands (every command of every running module), !uptime,
-- !clip (global cooldown), !remind. Copy any of these as the start of your own
-- command. !so (the official shoutout), !title and !game are in channel.lua.
module {
  name = "chat",
  description = "Basic chat commands: hello, ping, commands, uptime, clip",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "twitch.clips" },
  config = {
    greeting = "Hello {user}, welcome to the stream!",
    clip_cooldown = 60, -- seconds, for the whole channel
  },
}

local strings = require("strings")
local time = require("time")

command("!hello", { aliases = { "!hi" }, description = "Says hello" }, function(event)
  twitch.reply(event, strings.fill(config.greeting, { user = event.data.user.display_name }))
end)

command("!ping", { description = "Checks that the bot is alive" }, function(event)
  twitch.reply(event, "pong")
end)

-- !commands lists every command of every running module. Long lists are split
-- into several messages rather than cut.
command("!commands", { aliases = { "!help" }, cooldown = 10, description = "Lists the commands" }, function(event)
  local names = {}
  for _, c in ipairs(commands()) do
    if c.permission == "everyone" then
      names[#names + 1] = c.name
    else
      names[#names + 1] = c.name .. " (" .. c.permission .. ")"
    end
  end
  if #names == 0 then
    twitch.reply(event, "No commands yet.")
    return
  end
  local messages = strings.pack(names, ", ", 440)
  for i, text in ipairs(messages) do
    if #messages > 1 then text = string.format("Commands (%d/%d): %s", i, #messages, text) else text = "Commands: " .. text end
    twitch.reply(event, text)
  end
end)

command("!uptime", { description = "How long the stream has been live" }, function(event)
  local stream, err = twitch.stream()
  if not stream then
    twitch.reply(event, "Could not read the stream state: " .. err)
  elseif not stream.live then
    twitch.reply(event, "The stream is offline.")
  elseif stream.started_at then
    twitch.reply(event, "Live for " .. time.format(time.since(stream.started_at)) .. ".")
  else
    twitch.reply(event, "The stream is live.")
  end
end)

command("!clip", {
  cooldown = config.clip_cooldown,
  cooldown_reply = "A clip was just made, try again in {remaining}.",
  description = "Clips the last moments of the stream",
}, function(event)
  local clip, err = twitch.create_clip()
  if not clip then
    log.warn("clip failed", { err = err })
    twitch.reply(event, "Could not create a clip: " .. err)
    return
  end
  twitch.reply(event, "Clip: " .. clip.url)
end)

-- !remind 10m "stretch your legs": quoted words stay one argument.
command("!remind", {
  permission = "moderator",
  usage = '!remind 10m "text"',
  min_args = 2,
  description = "Post a reminder in chat later (moderators)",
}, function(event, cmd)
  local seconds = time.parse(cmd.args[1])
  if not seconds or seconds <= 0 or seconds > 6 * 3600 then
    twitch.reply(event, 'Usage: !remind 10m "text" (at most 6h)')
    return
  end
  local text = cmd.args[2]
  after(seconds, function()
    twitch.send_message("Reminder: " .. text)
  end)
  twitch.reply(event, "I will remind chat in " .. time.format(seconds) .. ".")
end)
