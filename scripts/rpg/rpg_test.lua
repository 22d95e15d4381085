-- Tests of the rpg module (scripts/rpg/). Properties from issue 5: a balance
-- never goes negative, !give keeps the total, !work is refused at 299 s and
-- allowed at 300 s, !gamble all with 0 coins is refused.

local function balance(t, login)
  return t.store("bal:id-" .. login) or 0
end

-- total adds up every account's coins straight from the store.
local function total(t, logins)
  local sum = 0
  for _, l in ipairs(logins) do sum = sum + balance(t, l) end
  return sum
end

test("!balance starts at 0 and shows another user's coins", function(t)
  t.eq(t.chat("alice", "!balance"), { "Alice, you have 0 coins." })
  t.set_store("bal:id-alice", 42)
  t.eq(t.chat("bob", "!bal @Alice"), { "Alice has 42 coins." })
  t.contains(t.chat("bob", "!balance @nobody"), "don't know @nobody")
end)

test("!work is refused at 299 s and allowed at 300 s", function(t)
  local first = t.chat("alice", "!work")
  t.contains(first, "Alice worked hard and earned")
  local earned = balance(t, "alice")
  t.ok(earned >= 10 and earned <= 50, "pay within work_min..work_max")
  t.advance(299)
  t.eq(t.chat("alice", "!work"), { "Alice, you are tired. You can work again in 1s." })
  t.eq(balance(t, "alice"), earned, "a refused !work pays nothing")
  t.advance(1)
  t.contains(t.chat("alice", "!job"), "worked hard")
  t.ok(balance(t, "alice") > earned, "balance grew")
end)

test("!work cooldown is per user and survives a reload and a restart", function(t)
  t.chat("alice", "!work")
  t.contains(t.chat("bob", "!work"), "Bob worked hard")
  t.reload()
  t.contains(t.chat("alice", "!work"), "work again in 5m")
  t.restart()
  t.advance(60)
  t.contains(t.chat("alice", "!work"), "work again in 4m")
end)

test("!daily pays once per 24 hours and counts a streak", function(t)
  t.eq(t.chat("alice", "!daily"), { "Alice claimed 100 coins. Balance: 100." })
  t.advance(23 * 3600)
  t.contains(t.chat("alice", "!daily"), "Come back in 1h")
  t.eq(balance(t, "alice"), 100)
  t.advance(3600)
  t.eq(t.chat("alice", "!daily"), { "Alice claimed 120 coins (streak: 2 days). Balance: 220." })
  t.advance(3 * 86400)
  t.eq(t.chat("alice", "!daily"), { "Alice claimed 100 coins. Balance: 320." })
end)

test("!give keeps the total", function(t)
  t.set_store("bal:id-alice", 100)
  t.set_store("bal:id-bob", 7)
  t.chat("bob", "hi") -- bob is known once he has chatted
  local before = total(t, { "alice", "bob" })
  t.contains(t.chat("alice", "!give @bob 30"), "Alice gave 30 coins to Bob. You have 70 left.")
  t.eq(balance(t, "alice"), 70)
  t.eq(balance(t, "bob"), 37)
  t.eq(total(t, { "alice", "bob" }), before, "total after !give")
  -- refused gives move nothing
  t.contains(t.chat("alice", "!give @bob 71"), "You only have 70 coins.")
  t.contains(t.chat("alice", "!give @alice 5"), "cannot give coins to yourself")
  t.contains(t.chat("alice", "!give @carol 5"), "don't know @carol")
  t.eq(total(t, { "alice", "bob" }), before, "total after refused gives")
end)

test("!give refuses bad amounts with a usage reply", function(t)
  t.set_store("bal:id-alice", 100)
  t.chat("bob", "hi")
  for _, bad in ipairs({ "0", "-5", "1.5", "ten", "1e3" }) do
    t.contains(t.chat("alice", "!give @bob " .. bad), "Usage: !give @user amount", bad)
  end
  t.eq(t.chat("alice", "!give"), { "Usage: !give @user amount" })
  t.eq(balance(t, "alice"), 100)
end)

test("a balance never goes negative", function(t)
  t.set_store("bal:id-alice", 5)
  t.chat("bob", "hi")
  t.config("gamble_win_chance", 0)
  t.chat("alice", "!give @bob 6")
  t.contains(t.chat("alice", "!gamble 6"), "you only have 5 coins")
  t.advance(5)
  t.contains(t.chat("alice", "!gamble all"), "bet 5 and lost")
  t.advance(5)
  t.contains(t.chat("alice", "!gamble 1"), "no coins to gamble")
  t.eq(balance(t, "alice"), 0)
  t.eq(balance(t, "bob"), 0)
  t.contains(t.chat("alice", "!give @bob 1"), "You only have 0 coins.")
  t.ok(balance(t, "alice") >= 0, "alice's balance is not negative")
end)

test("!gamble all with 0 coins is refused", function(t)
  t.eq(t.chat("alice", "!gamble all"), { "Alice, you have no coins to gamble. Try !work." })
  t.eq(balance(t, "alice"), 0)
  t.eq(t.store("top_dirty"), nil, "nothing was written")
end)

test("!gamble wins and loses by the configured odds", function(t)
  t.set_store("bal:id-alice", 100)
  t.config("gamble_win_chance", 1)
  t.eq(t.chat("alice", "!gamble 40"), { "Alice bet 40 and WON! Balance: 140 coins." })
  t.config("gamble_win_chance", 0)
  t.advance(5)
  t.eq(t.chat("alice", "!bet all"), { "Alice bet 140 and lost. Balance: 0 coins." })
  t.advance(5)
  t.contains(t.chat("alice", "!gamble lots"), "Usage: !gamble amount|all")
end)

test("!leaderboard shows the top 10 from the cache", function(t)
  for i = 1, 12 do
    local login = "user" .. i
    t.chat(login, "hello")
    t.set_store("bal:id-" .. login, 0)
  end
  -- earn through the module so the cache follows
  t.config("work_min", 5)
  for i = 1, 12 do
    t.chat("user" .. i, "!work")
  end
  local board = t.chat("alice", "!leaderboard")[1]
  t.contains(board, "Top: 1. ")
  local _, entries = board:gsub("%d+%. ", "")
  t.eq(entries, 10, "ten entries")
  t.eq(#t.store("top"), 10)
end)

test("!leaderboard stays right after a listed user loses coins", function(t)
  for i = 1, 11 do t.chat("user" .. i, "hi") end
  for i = 1, 11 do
    t.set_store("bal:id-user" .. i, i * 10)
  end
  t.set_store("top", nil)
  t.contains(t.chat("alice", "!top"), "1. User11 (110)")
  -- user11 gives everything to alice: alice must enter, user11 leave
  t.chat("alice", "hi")
  t.chat("user11", "!give @alice 110")
  t.advance(10)
  local board = t.chat("bob", "!top")[1]
  t.contains(board, "1. Alice (110)")
  t.not_contains(board, "User11")
  t.contains(board, "10. User2 (20)")
end)

test("a storm of random !give and !gamble keeps balances non-negative and gives keep the total", function(t)
  local random = require("random")
  local rng = random.new(7)
  local users = { "alice", "bob", "carol" }
  for _, u in ipairs(users) do
    t.chat(u, "hi")
    t.set_store("bal:id-" .. u, 50)
  end
  local sum = total(t, users)
  for i = 1, 60 do
    local from, to = rng:pick(users), rng:pick(users)
    local amount = rng:pick({ "1", "10", "49", "51", "120", "0", "-3" })
    t.chat(from, "!give @" .. to .. " " .. amount)
    t.eq(total(t, users), sum, "total after gift " .. i)
  end
  for i = 1, 30 do
    t.advance(5)
    t.chat(rng:pick(users), "!gamble " .. rng:pick({ "all", "5", "30", "200" }))
    for _, u in ipairs(users) do
      t.ok(balance(t, u) >= 0, u .. "'s balance after gamble " .. i)
    end
  end
end)

test("an error half-way through !give moves no coin", function(t)
  t.set_store("bal:id-alice", 100)
  t.chat("bob", "hi")
  -- a corrupt balance makes the credit to bob fail after alice was debited
  t.set_store("bal:id-bob", "corrupt")
  t.eq(t.chat("alice", "!give @bob 30"), { "The bank is closed, try again later." })
  t.eq(balance(t, "alice"), 100, "alice's debit was rolled back")
  t.eq(t.store("bal:id-bob"), "corrupt")
end)
