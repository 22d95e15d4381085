-- tables: small helpers for lists and maps.
local M = {}

-- keys(t) -> sorted list of t's keys (strings before numbers by tostring order).
function M.keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, function(a, b)
    if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
    return tostring(a) < tostring(b)
  end)
  return out
end

-- values(t) -> list of t's values, in the order of keys(t).
function M.values(t)
  local out = {}
  for _, k in ipairs(M.keys(t)) do out[#out + 1] = t[k] end
  return out
end

-- count(t) -> number of entries (for maps; #t counts a list).
function M.count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

-- contains(list, v) -> true when v is an element of list.
function M.contains(list, v)
  for _, x in ipairs(list) do
    if x == v then return true end
  end
  return false
end

-- map(list, fn) -> { fn(list[1]), fn(list[2]), ... }
function M.map(list, fn)
  local out = {}
  for i, v in ipairs(list) do out[i] = fn(v, i) end
  return out
end

-- filter(list, fn) -> the elements for which fn(v) is true.
function M.filter(list, fn)
  local out = {}
  for i, v in ipairs(list) do
    if fn(v, i) then out[#out + 1] = v end
  end
  return out
end

-- slice(list, from [, to]) -> list[from..to] (negative counts from the end).
function M.slice(list, from, to)
  local n = #list
  from = from or 1
  to = to or n
  if from < 0 then from = n + from + 1 end
  if to < 0 then to = n + to + 1 end
  local out = {}
  for i = math.max(from, 1), math.min(to, n) do out[#out + 1] = list[i] end
  return out
end

-- copy(t) -> a deep copy (tables nested deeper than 100 levels are an error).
function M.copy(t, depth)
  depth = depth or 0
  if type(t) ~= "table" then return t end
  if depth > 100 then error("tables.copy: nested deeper than 100", 2) end
  local out = {}
  for k, v in pairs(t) do out[k] = M.copy(v, depth + 1) end
  return out
end

-- merge(a, b, ...) -> a new table with the entries of a, then b, ... (later wins).
function M.merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    local t = select(i, ...)
    if t then
      for k, v in pairs(t) do out[k] = v end
    end
  end
  return out
end

-- top(list, n, less) -> the first n elements of list sorted by less (a copy).
function M.top(list, n, less)
  local sorted = M.slice(list, 1)
  table.sort(sorted, less)
  return M.slice(sorted, 1, n)
end

return M
