-- time: durations for chat ("2h 5m") and for config ("5m", "1h30m").
--
--   local time = require("time")
--   time.format(7500)      --> "2h 5m"
--   time.parse("1h 30m")   --> 5400
--   time.since(t)          --> seconds from t (seconds since the epoch) to now
local M = {}

local units = {
  { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 },
}
local by_name = { d = 86400, h = 3600, m = 60, s = 1 }

-- format(seconds [, parts]) -> "2h 5m": the largest parts units (default 2),
-- rounded down; "0s" for anything under a second. Negative counts as 0.
function M.format(seconds, parts)
  parts = parts or 2
  seconds = math.floor(tonumber(seconds) or 0)
  if seconds <= 0 then return "0s" end
  local out = {}
  for _, u in ipairs(units) do
    local n = math.floor(seconds / u[2])
    if n > 0 or #out > 0 then
      if n > 0 then out[#out + 1] = n .. u[1] end
      seconds = seconds - n * u[2]
      if #out >= parts or (#out > 0 and seconds == 0) then break end
    end
  end
  return table.concat(out, " ")
end

-- parse("2h 5m") -> 7500; parse("90") -> 90; parse("bad") -> nil, err.
-- Units: d, h, m, s; spaces between parts are optional.
function M.parse(text)
  if type(text) == "number" then return text end
  if type(text) ~= "string" then return nil, "duration text expected" end
  local s = text:lower():gsub("%s+", "")
  if s == "" then return nil, "empty duration" end
  if s:find("^%d+$") then return tonumber(s) end
  local total, pos = 0, 1
  while pos <= #s do
    local num, unit, stop = s:match("^(%d+%.?%d*)([dhms])()", pos)
    if not num then return nil, "bad duration " .. string.format("%q", text) .. " (use e.g. 5m, 1h 30m)" end
    total = total + tonumber(num) * by_name[unit]
    pos = stop
  end
  return total
end

-- now() -> seconds since the epoch (the engine's clock; fake in tests).
function M.now()
  return os.time()
end

-- since(t) -> seconds elapsed since t (seconds since the epoch), never negative.
function M.since(t)
  return math.max(0, os.time() - t)
end

-- day(t) -> the day number of t (UTC), for "once per day" rules.
function M.day(t)
  return math.floor((t or os.time()) / 86400)
end

return M
