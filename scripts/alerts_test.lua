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
