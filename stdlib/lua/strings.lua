-- strings: small helpers for chat text.
local M = {}

-- split("a,b,,c", ",") -> {"a", "b", "", "c"}; sep is plain text (default: runs of spaces).
function M.split(s, sep)
  local out = {}
  if sep == nil or sep == "" then
    for word in s:gmatch("%S+") do out[#out + 1] = word end
    return out
  end
  local start = 1
  while true do
    local i, j = s:find(sep, start, true)
    if not i then
      out[#out + 1] = s:sub(start)
      return out
    end
    out[#out + 1] = s:sub(start, i - 1)
    start = j + 1
  end
end

-- trim("  hi  ") -> "hi"
function M.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- starts_with("!work", "!") -> true
function M.starts_with(s, prefix)
  return s:sub(1, #prefix) == prefix
end

-- ends_with("file.lua", ".lua") -> true
function M.ends_with(s, suffix)
  return suffix == "" or s:sub(-#suffix) == suffix
end

-- username("@Alice") -> "alice": a login as typed in chat, without @, lower case.
function M.username(s)
  return (s:gsub("^@", "")):lower()
end

-- truncate("a long text", 6) -> "a lon…"; never longer than n bytes.
function M.truncate(s, n)
  if #s <= n then return s end
  if n <= 3 then return s:sub(1, n) end
  return s:sub(1, n - 3) .. "..."
end

-- pack({"!a", "!b", ...}, ", ", 450) -> {"!a, !b, ...", ...}: joins items with sep
-- into as few messages as possible, each at most max bytes (an item longer than
-- max is cut). Chat messages on Twitch hold 500 bytes.
function M.pack(items, sep, max)
  sep, max = sep or " ", max or 450
  local out, cur = {}, ""
  for _, item in ipairs(items) do
    item = M.truncate(tostring(item), max)
    if cur == "" then
      cur = item
    elseif #cur + #sep + #item <= max then
      cur = cur .. sep .. item
    else
      out[#out + 1] = cur
      cur = item
    end
  end
  if cur ~= "" then out[#out + 1] = cur end
  return out
end

-- fill("Hi {user}!", {user = "Bob"}) -> "Hi Bob!"; unknown names stay as they are.
function M.fill(template, vars)
  return (template:gsub("{([%w_]+)}", function(k)
    local v = vars[k]
    if v == nil then return nil end
    return tostring(v)
  end))
end

return M
