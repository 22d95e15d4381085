-- rpg: a small channel economy. Viewers !work and claim a !daily for coins,
-- !give them to each other and !gamble them. Every move of money is one
-- atomic store.update (see bank.lua): whatever happens half-way, no coin is
-- created or destroyed and no balance goes negative.
module {
  name = "rpg",
  description = "Economy and games: work, daily, give, gamble, leaderboard",
  version = "1.0.0",
  author = "StarStreamer",
  permissions = { "twitch.chat", "store" },
  config = {
    currency = "coins",
    work_cooldown = 300, -- seconds per user; survives reloads and restarts
    work_min = 10,
    work_max = 50,
    daily_amount = 100,
    daily_streak_bonus = 20, -- extra coins per day of streak
    daily_streak_max = 7,
    gamble_win_chance = 0.45, -- 0..1
    gamble_payout = 2, -- a win returns amount * payout
    seed = 0, -- random seed; 0 = the clock
  },
}

local bank = require("bank")
local parse = require("parse")
local time = require("time")
local random = require("random")

local rng = random.new(config.seed ~= 0 and config.seed or nil)
local C = config.currency

local function name(event) return event.data.user.display_name end

-- Remember every chatter once per VM, so !give @login finds them.
local seen = {}
on_event("twitch.chat.message", { priority = 10 }, function(event)
  local u = event.data.user
  if not u or not u.id or seen[u.id] then return end
  seen[u.id] = true
  store.update(function(tx) bank.remember(tx, u) end)
end)

command("!balance", {
  aliases = { "!bal", "!coins" },
  usage = "!balance [@user]",
  description = "Shows your coins, or someone else's",
}, function(event, cmd)
  local who = cmd.args[1]
  if who == nil then
    local bal = store.get("bal:" .. event.data.user.id) or 0
    twitch.reply(event, string.format("%s, you have %d %s.", name(event), bal, C))
    return
  end
  local login = parse.login(who)
  local id = login and store.get("login:" .. login)
  if not id then
    twitch.reply(event, "I don't know " .. who .. " yet: they need to chat first.")
    return
  end
  local user = store.get("user:" .. id) or { name = login }
  twitch.reply(event, string.format("%s has %d %s.", user.name, store.get("bal:" .. id) or 0, C))
end)

-- The engine enforces the per-user cooldown (and keeps it across reloads and
-- restarts); cooldown_reply tells the user how long is left.
command("!work", {
  aliases = { "!job" },
  user_cooldown = config.work_cooldown,
  cooldown_reply = "{user}, you are tired. You can work again in {remaining}.",
  description = "Earn some coins (every few minutes)",
}, function(event)
  local pay = rng:int(config.work_min, config.work_max)
  local ok, new = store.update(function(tx) return bank.add(tx, event.data.user.id, pay) end)
  if not ok then
    log.error("work failed", { err = new })
    twitch.reply(event, "The bank is closed, try again later.")
    return
  end
  twitch.reply(event, string.format("%s worked hard and earned %d %s (balance: %d).", name(event), pay, C, new))
end)

command("!daily", { description = "Claim your daily coins (keep a streak for a bonus)" }, function(event)
  local id, now = event.data.user.id, os.time()
  local ok, res = store.update(function(tx)
    local d = tx.get("daily:" .. id)
    if d and now - d.at < 86400 then
      return { wait = 86400 - (now - d.at) }
    end
    local streak = 1
    if d and now - d.at < 2 * 86400 then streak = d.streak + 1 end
    local bonus = math.min(streak - 1, config.daily_streak_max) * config.daily_streak_bonus
    local amount = config.daily_amount + bonus
    tx.set("daily:" .. id, { at = now, streak = streak })
    return { amount = amount, streak = streak, balance = bank.add(tx, id, amount) }
  end)
  if not ok then
    log.error("daily failed", { err = res })
    twitch.reply(event, "The bank is closed, try again later.")
  elseif res.wait then
    twitch.reply(event, string.format("%s, you already claimed today. Come back in %s.", name(event), time.format(res.wait)))
  else
    local streak = res.streak > 1 and string.format(" (streak: %d days)", res.streak) or ""
    twitch.reply(event, string.format("%s claimed %d %s%s. Balance: %d.", name(event), res.amount, C, streak, res.balance))
  end
end)

command("!give", {
  aliases = { "!pay" },
  usage = "!give @user amount",
  min_args = 2,
  description = "Give coins to another viewer",
}, function(event, cmd)
  local login, amount = parse.login(cmd.args[1]), parse.amount(cmd.args[2])
  if not login or not amount then
    twitch.reply(event, "Usage: !give @user amount (a whole number above 0)")
    return
  end
  local from = event.data.user.id
  -- store.update returns true followed by the function's own results.
  local ok, outcome, to_name, left = store.update(function(tx)
    local to = tx.get("login:" .. login)
    if not to then return "unknown" end
    if to == from then return "self" end
    if bank.balance(tx, from) < amount then return "poor", nil, bank.balance(tx, from) end
    bank.transfer(tx, from, to, amount)
    return "ok", (tx.get("user:" .. to) or {}).name or login, bank.balance(tx, from)
  end)
  if not ok then
    log.error("give failed", { err = outcome })
    twitch.reply(event, "The bank is closed, try again later.")
  elseif outcome == "unknown" then
    twitch.reply(event, "I don't know " .. cmd.args[1] .. " yet: they need to chat first.")
  elseif outcome == "self" then
    twitch.reply(event, "You cannot give coins to yourself.")
  elseif outcome == "poor" then
    twitch.reply(event, string.format("You only have %d %s.", left, C))
  else
    twitch.reply(event, string.format("%s gave %d %s to %s. You have %d left.", name(event), amount, C, to_name, left))
  end
end)

command("!gamble", {
  aliases = { "!bet" },
  usage = "!gamble amount|all",
  min_args = 1,
  user_cooldown = 5,
  description = "Bet coins: win and get them back multiplied",
}, function(event, cmd)
  local id, arg = event.data.user.id, cmd.args[1]:lower()
  local amount = parse.amount(arg)
  if arg ~= "all" and not amount then
    twitch.reply(event, "Usage: !gamble amount|all (a whole number above 0)")
    return
  end
  local won = rng:chance(config.gamble_win_chance)
  local ok, outcome, bet, balance = store.update(function(tx)
    local have = bank.balance(tx, id)
    local stake = arg == "all" and have or amount
    if have <= 0 then return "broke", 0, have end
    if stake > have then return "poor", stake, have end
    if won then
      return "won", stake, bank.add(tx, id, stake * (config.gamble_payout - 1))
    end
    return "lost", stake, bank.add(tx, id, -stake)
  end)
  if not ok then
    log.error("gamble failed", { err = outcome })
    twitch.reply(event, "The bank is closed, try again later.")
  elseif outcome == "broke" then
    twitch.reply(event, string.format("%s, you have no %s to gamble. Try !work.", name(event), C))
  elseif outcome == "poor" then
    twitch.reply(event, string.format("%s, you only have %d %s.", name(event), balance, C))
  elseif outcome == "won" then
    twitch.reply(event, string.format("%s bet %d and WON! Balance: %d %s.", name(event), bet, balance, C))
  else
    twitch.reply(event, string.format("%s bet %d and lost. Balance: %d %s.", name(event), bet, balance, C))
  end
end)

command("!leaderboard", {
  aliases = { "!top" },
  cooldown = 10,
  description = "The ten richest viewers",
}, function(event)
  local ok, top = store.update(function(tx) return bank.leaderboard(tx) end)
  if not ok then
    log.error("leaderboard failed", { err = top })
    return
  end
  if #top == 0 then
    twitch.reply(event, "Nobody has any " .. C .. " yet. Try !work.")
    return
  end
  local parts = {}
  for i, e in ipairs(top) do parts[i] = string.format("%d. %s (%d)", i, e.name, e.balance) end
  twitch.reply(event, "Top: " .. table.concat(parts, ", "))
end)

-- Services for other modules: call("rpg.get_balance", user_id).
export {
  get_balance = function(user_id)
    return store.get("bal:" .. tostring(user_id)) or 0
  end,
  -- add_coins(user_id, n) -> new balance | nil, err (refused below zero).
  add_coins = function(user_id, n)
    local ok, res = store.update(function(tx) return bank.add(tx, tostring(user_id), n) end)
    if not ok then return nil, res end
    return res
  end,
}
