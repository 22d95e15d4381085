-- parse: reading what viewers type.
local M = {}

-- amount("50") -> 50; amount("0"), amount("-3"), amount("1.5"), amount("x") -> nil.
-- Amounts are whole coins, at most max (default one trillion).
function M.amount(text, max)
  max = max or 1e12
  if type(text) ~= "string" or not text:find("^%d+$") or #text > 13 then return nil end
  local n = tonumber(text)
  if n < 1 or n > max then return nil end
  return n
end

-- login("@Alice") -> "alice"; nil for something that cannot be a Twitch login.
function M.login(text)
  if type(text) ~= "string" then return nil end
  local login = text:gsub("^@", ""):lower()
  if not login:find("^[%w_]+$") or #login > 25 then return nil end
  return login
end

return M
