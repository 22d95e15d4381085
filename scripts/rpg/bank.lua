-- bank: the coin ledger of the rpg module. Every function that moves money
-- takes the tx of a store.update, so a move is all or nothing: an error
-- anywhere inside the update rolls every write back, and no coin is ever
-- created or destroyed by a crash half-way.
--
-- Keys: "bal:<user id>" (integer), "user:<user id>" ({login, name}),
-- "login:<login>" (user id), "top" (leaderboard cache), "top_dirty" (true
-- when the cache may be missing someone).
local M = {}

M.TOP = 10

function M.balance(tx, id)
  return tx.get("bal:" .. id) or 0
end

-- top cache: the TOP richest accounts, kept up to date by every balance
-- change, so !leaderboard reads one key. When a listed account loses coins,
-- someone unlisted might now belong in it: the cache is marked dirty and
-- rebuilt once, by the next !leaderboard.
local function touch_top(tx, id, new, old)
  local top = tx.get("top")
  if top == nil then
    tx.set("top_dirty", true)
    return
  end
  local found
  for i, e in ipairs(top) do
    if e.id == id then found = i end
  end
  if found then
    top[found].balance = new
    if new < old and #top >= M.TOP then tx.set("top_dirty", true) end
  elseif new > 0 and (#top < M.TOP or new > top[#top].balance) then
    local user = tx.get("user:" .. id) or {}
    top[#top + 1] = { id = id, name = user.name or id, balance = new }
  else
    return
  end
  table.sort(top, function(a, b) return a.balance > b.balance end)
  while #top > M.TOP do table.remove(top) end
  for i = #top, 1, -1 do
    if top[i].balance <= 0 then table.remove(top, i) end
  end
  tx.set("top", top)
end

-- add changes id's balance by delta (an integer). It raises an error, which
-- rolls back the whole update, when the balance would go negative.
function M.add(tx, id, delta)
  if delta ~= math.floor(delta) then error("amount must be an integer", 2) end
  local old = M.balance(tx, id)
  local new = old + delta
  if new < 0 then error("insufficient funds", 2) end
  tx.set("bal:" .. id, new)
  touch_top(tx, id, new, old)
  return new
end

-- transfer moves amount (> 0) from one account to another.
function M.transfer(tx, from, to, amount)
  if from == to then error("cannot transfer to the same account", 2) end
  if amount <= 0 then error("amount must be positive", 2) end
  M.add(tx, from, -amount)
  M.add(tx, to, amount)
end

-- remember records a user seen in chat so that !give @login can find them.
function M.remember(tx, user)
  local login = user.username:lower()
  if tx.get("login:" .. login) ~= user.id then tx.set("login:" .. login, user.id) end
  local known = tx.get("user:" .. user.id)
  if not known or known.name ~= user.display_name or known.login ~= login then
    if known and known.login ~= login then tx.delete("login:" .. known.login) end
    tx.set("user:" .. user.id, { login = login, name = user.display_name })
  end
end

-- leaderboard returns the top list, rebuilding the cache when needed (the
-- only place that scans every account).
function M.leaderboard(tx)
  local top = tx.get("top")
  if top ~= nil and not tx.get("top_dirty") then return top end
  local all = {}
  for _, key in ipairs(tx.keys("bal:", 0)) do
    local id = key:sub(5)
    local bal = tx.get(key)
    if bal > 0 then
      local user = tx.get("user:" .. id) or {}
      all[#all + 1] = { id = id, name = user.name or id, balance = bal }
    end
  end
  table.sort(all, function(a, b)
    if a.balance ~= b.balance then return a.balance > b.balance end
    return a.id < b.id
  end)
  top = {}
  for i = 1, math.min(M.TOP, #all) do top[i] = all[i] end
  tx.set("top", top)
  tx.delete("top_dirty")
  return top
end

return M
