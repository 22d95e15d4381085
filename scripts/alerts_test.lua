-- Tests of scripts/alerts.lua.

local function user(login)
  return { id = "id-" .. login, username = login, display_name = login:sub(1, 1):upper() .. login:sub(2) }
end

test("a follow is thanked", function(t)
  t.eq(t.emit("twitch.follow", { user = user("alice") }), { "Thanks for the follow, Alice!" })
end)

test("subscriptions show the tier; resubs the months and message", function(t)
  t.eq(t.emit("twitch.subscription", { user = user("alice"), tier = "2000", is_gift = false }),
    { "Alice just subscribed at tier 2!" })
  t.eq(t.emit("twitch.subscription", { user = user("bob"), tier = "1000", months = 14, message = "love it" }),
    { "Bob resubscribed for 14 months! love it" })
end)

-- A gift bomb arrives as one twitch.gift (total 50) and 50 gifted subscriptions.
test("a 50-gift bomb yields one alert", function(t)
  local sent = {}
  local function add(list) for _, s in ipairs(list) do sent[#sent + 1] = s end end
  add(t.emit("twitch.gift", { user = user("santa"), tier = "1000", total = 50, cumulative = 120 }))
  for i = 1, 50 do
    add(t.emit("twitch.subscription", { user = user("viewer" .. i), tier = "1000", is_gift = true }))
  end
  t.eq(#sent, 1, "messages for one gift bomb")
  t.eq(sent[1], "Santa gifted 50 tier 1 sub(s)! They have gifted 120 in total.")
end)

test("an anonymous gift names no one", function(t)
  t.eq(t.emit("twitch.gift", { tier = "3000", total = 5, cumulative = 0 }),
    { "An anonymous gifter gifted 5 tier 3 sub(s)!" })
end)

test("raids and cheers", function(t)
  t.eq(t.emit("twitch.raid", { from_broadcaster = user("bigstreamer"), viewers = 250 }),
    { "Bigstreamer is raiding with 250 viewers! Welcome, everyone!" })
  t.eq(t.emit("twitch.cheer", { user = user("alice"), bits = 100, message = "Cheer100 gg" }),
    { "Alice cheered 100 bits! Cheer100 gg" })
end)

test("a hype train announces its start, each new level once, and its end", function(t)
  t.eq(t.emit("twitch.hype_train.begin", { level = 1, total = 100, goal = 500 }), { "A hype train has started! Level 1." })
  t.eq(t.emit("twitch.hype_train.progress", { level = 1, total = 300, goal = 500 }), {})
  t.eq(t.emit("twitch.hype_train.progress", { level = 2, total = 600, goal = 900 }), { "Hype train reached level 2!" })
  t.eq(t.emit("twitch.hype_train.progress", { level = 2, total = 700, goal = 900 }), {})
  t.eq(t.emit("twitch.hype_train.end", { level = 2, total = 800 }), { "The hype train ended at level 2. Thank you all!" })
end)

test("templates come from config", function(t)
  t.config("follow", "<3 {user}")
  t.eq(t.emit("twitch.follow", { user = user("alice") }), { "<3 Alice" })
end)

test("with a source configured, an alert shows it in OBS and hides it again", function(t)
  t.config("show_scene", "Main")
  t.config("show_source", "Confetti")
  t.config("show_seconds", 0.05)
  t.emit("twitch.follow", { user = user("alice") })
  t.eq(t.obs()[1], "set_source_visible Main Confetti true")
  t.wait(0.2)
  t.eq(t.obs(), { "set_source_visible Main Confetti true", "set_source_visible Main Confetti false" })
end)

test("without a source configured, OBS is left alone", function(t)
  t.emit("twitch.follow", { user = user("alice") })
  t.eq(t.obs(), {})
end)

-- On screen: each kind queues one card on the alerts overlay.

local function card(a)
  return a.kind .. " | " .. a.title .. " | " .. a.text
end

test("a follow is also an alert on the overlay", function(t)
  t.emit("twitch.follow", { user = user("alice") })
  local a = t.alerts()
  t.eq(#a, 1)
  t.eq(card(a[1]), "follow | New follower | Alice")
  t.eq(a[1].overlay, "alerts")
  t.eq(a[1].duration, 6)
end)

test("every kind has its card", function(t)
  t.emit("twitch.subscription", { user = user("alice"), tier = "2000" })
  t.emit("twitch.subscription", { user = user("bob"), tier = "1000", months = 14, message = "love it" })
  t.emit("twitch.raid", { from_broadcaster = user("bigstreamer"), viewers = 250 })
  t.emit("twitch.channel_points", { user = user("carol"), reward = { title = "Hydrate!", cost = 500 }, input = "" })
  t.emit("twitch.hype_train.begin", { level = 1 })
  t.emit("twitch.hype_train.progress", { level = 2 })
  t.emit("twitch.hype_train.end", { level = 2 })
  local got = {}
  for _, a in ipairs(t.alerts()) do got[#got + 1] = card(a) end
  t.eq(got, {
    "sub | New subscriber · tier 2 | Alice",
    "resub | Resubscribed · 14 months | Bob",
    "raid | Raid · 250 viewers | Bigstreamer",
    "channel_point | Hydrate! | Carol",
    "hype_train | Hype train · level 1 | All aboard!",
    "hype_train | Hype train · level 2 | Level 2 reached!",
    "hype_train | Hype train · level 2 | Thank you all!",
  })
end)

test("a channel point redemption has no chat line unless configured", function(t)
  t.eq(t.emit("twitch.channel_points", { user = user("carol"), reward = { title = "Hydrate!" } }), {})
  t.config("channel_points", "{user} redeemed {reward}")
  t.eq(t.emit("twitch.channel_points", { user = user("carol"), reward = { title = "Hydrate!" } }), { "Carol redeemed Hydrate!" })
end)

test("a 50-gift bomb is one card", function(t)
  t.emit("twitch.gift", { user = user("santa"), tier = "1000", total = 50, cumulative = 120 })
  for i = 1, 50 do
    t.emit("twitch.subscription", { user = user("viewer" .. i), tier = "1000", is_gift = true })
  end
  local a = t.alerts()
  t.eq(#a, 1, "cards for one gift bomb")
  t.eq(card(a[1]), "gift | Gift bomb · 50 subs | Santa")
end)

test("cheers take the colour of their bits tier", function(t)
  for _, bits in ipairs({ 50, 100, 1500, 5000, 25000 }) do
    t.emit("twitch.cheer", { user = user("alice"), bits = bits, message = "Cheer" .. bits })
  end
  local accents = {}
  for _, a in ipairs(t.alerts()) do accents[#accents + 1] = a.accent end
  t.eq(accents, { "#a0a0b4", "#9c3ee8", "#1db2a5", "#2b8cff", "#f43021" })
  t.eq(t.alerts()[3].title, "1500 bits")
end)

test("images and sounds come from config, {tier} included", function(t)
  t.config("cheer_image", "cheer{tier}.gif")
  t.config("cheer_sound", "coins.mp3")
  t.config("follow_sound", "ding.ogg")
  t.emit("twitch.cheer", { user = user("alice"), bits = 1000 })
  t.emit("twitch.follow", { user = user("bob") })
  local a = t.alerts()
  t.eq(a[1].image, "cheer3.gif")
  t.eq(a[1].sound, "coins.mp3")
  t.eq(a[2].sound, "ding.ogg")
end)

test("card templates come from config", function(t)
  t.config("follow_title", "Welcome")
  t.config("follow_text", "{user} joined the crew")
  t.config("duration", 3)
  t.emit("twitch.follow", { user = user("alice") })
  t.eq(card(t.alerts()[1]), "follow | Welcome | Alice joined the crew")
  t.eq(t.alerts()[1].duration, 3)
end)

test("chat off: only the card; overlay off: only the chat line", function(t)
  t.config("chat", false)
  t.eq(t.emit("twitch.follow", { user = user("alice") }), {})
  t.eq(#t.alerts(), 1)
  t.config("chat", true)
  t.config("overlay", "")
  t.eq(t.emit("twitch.follow", { user = user("bob") }), { "Thanks for the follow, Bob!" })
  t.eq(#t.alerts(), 1)
end)

test("a media name that leaves the media folder is refused, the chat line still goes", function(t)
  t.config("follow_image", "../../secret.png")
  t.eq(t.emit("twitch.follow", { user = user("alice") }), { "Thanks for the follow, Alice!" })
  t.eq(#t.alerts(), 0)
end)
