-- channel: the moderators' channel commands.
--
--   !title <text>   sets the stream title
--   !game <name>    sets the category (a game name; Twitch's closest match)
--   !so @user       Twitch's official shoutout, and a line in chat
--
-- The official shoutout works only while live, once every 2 minutes, and
-- for the same channel once an hour; when Twitch refuses it, the chat line
-- is still sent and the moderator is told why.
module {
  name = "channel",
  description = "Moderator commands: !title, !game and !so (the official shoutout)",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "twitch.moderate", "twitch.channel" },
  config = {
    shoutout_text = "Go and follow {name} at https://twitch.tv/{login} !",
  },
}

local strings = require("strings")

command("!title", {
  permission = "moderator",
  usage = "!title new title",
  min_args = 1,
  description = "Sets the stream title (moderators)",
}, function(event, cmd)
  local title = strings.trim(cmd.rest)
  if #title > 140 then
    twitch.reply(event, "A title has at most 140 characters.")
    return
  end
  local ok, err = twitch.update_channel { title = title }
  if not ok then
    twitch.reply(event, "Could not set the title: " .. err)
    return
  end
  twitch.reply(event, "Title: " .. title)
end)

command("!game", {
  aliases = { "!category" },
  permission = "moderator",
  usage = "!game name",
  min_args = 1,
  description = "Sets the stream category (moderators)",
}, function(event, cmd)
  local game = strings.trim(cmd.rest)
  local ok, err = twitch.update_channel { game = game }
  if not ok then
    twitch.reply(event, "Could not set the game: " .. err)
    return
  end
  twitch.reply(event, "Game: " .. game)
end)

command("!so", {
  aliases = { "!shoutout" },
  permission = "moderator",
  usage = "!so @user",
  min_args = 1,
  cooldown = 5,
  description = "Shout out another streamer (moderators)",
}, function(event, cmd)
  local user, err = twitch.user(cmd.args[1])
  if not user then
    twitch.reply(event, "I could not find " .. cmd.args[1] .. ".")
    log.debug("shoutout lookup failed", { err = err })
    return
  end
  twitch.send_message(strings.fill(config.shoutout_text, { name = user.display_name, login = user.username }))
  local ok, so_err = twitch.shoutout(user)
  if not ok then
    twitch.reply(event, "Twitch's shoutout was not sent: " .. so_err)
  end
end)
