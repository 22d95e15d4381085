module { name = "echo", permissions = { "twitch.chat", "store", "obs.control" }, config = { prefix = ">" } }

command("!echo", { usage = "!echo text", min_args = 1, user_cooldown = 10, cooldown_reply = "wait {remaining}" }, function(event, cmd)
  store.incr("echoes")
  twitch.reply(event, config.prefix .. " " .. cmd.rest)
end)

command("!scene", function(event, cmd)
  obs.set_scene(cmd.args[1] or "Main")
end)

on_event("custom.ping", function(event)
  twitch.send_message("pong " .. tostring(event.data.n))
end)
