-- json: encode and decode JSON in pure Lua.
--
--   local json = require("json")
--   json.encode({ a = 1, b = { true, "x" } })  --> {"a":1,"b":[true,"x"]}
--   json.decode('{"a":[1,2]}')                 --> { a = { 1, 2 } }
--
-- Objects are encoded with sorted keys (stable output). A table whose keys are
-- exactly 1..n is an array; an empty table is encoded as [] unless it is
-- json.object(). null decodes to json.null (a unique value), so arrays keep
-- their length. Nesting deeper than json.max_depth (default 100) is an error.
local M = {}

M.max_depth = 100
M.null = setmetatable({}, { __tostring = function() return "null" end })
local object_mt = {}

-- object(t) marks t as a JSON object even when it is empty.
function M.object(t)
  return setmetatable(t or {}, object_mt)
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  if getmetatable(t) == object_mt then return false, 0 end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false, 0 end
    n = n + 1
  end
  for i = 1, n do
    if t[i] == nil then return false, 0 end
  end
  return true, n
end

local encode_value

local function encode_table(t, depth, seen, out)
  if depth >= M.max_depth then error("json.encode: nested deeper than " .. M.max_depth, 0) end
  if seen[t] then error("json.encode: a table contains itself", 0) end
  seen[t] = true
  local arr, n = is_array(t)
  if arr then
    out[#out + 1] = "["
    for i = 1, n do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], depth + 1, seen, out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do
      local kt = type(k)
      if kt ~= "string" and kt ~= "number" then
        error("json.encode: object keys must be strings or numbers, got " .. kt, 0)
      end
      keys[#keys + 1] = tostring(k)
    end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      local v = t[k]
      if v == nil then v = t[tonumber(k)] end
      out[#out + 1] = quote(k)
      out[#out + 1] = ":"
      encode_value(v, depth + 1, seen, out)
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
end

encode_value = function(v, depth, seen, out)
  local t = type(v)
  if v == nil or v == M.null then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      error("json.encode: NaN and infinity are not JSON numbers", 0)
    end
    if v % 1 == 0 and v > -1e15 and v < 1e15 then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  elseif t == "string" then
    out[#out + 1] = quote(v)
  elseif t == "table" then
    encode_table(v, depth, seen, out)
  else
    error("json.encode: cannot encode a " .. t, 0)
  end
end

-- encode(value) -> text. Errors on functions, cycles, NaN, too deep nesting.
function M.encode(v)
  local out = {}
  encode_value(v, 0, {}, out)
  return table.concat(out)
end

-- ---- decoding ----

local function decode_error(s, i, msg)
  error(string.format("json.decode: %s at byte %d", msg, i), 0)
end

local function skip(s, i)
  while true do
    local c = s:byte(i)
    if c == 32 or c == 9 or c == 10 or c == 13 then i = i + 1 else return i end
  end
end

local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
    0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local simple_escapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local function hex4(s, i)
  local h = s:sub(i, i + 3)
  if #h < 4 or not h:find("^%x%x%x%x$") then decode_error(s, i, "bad \\u escape") end
  return tonumber(h, 16)
end

local function decode_string(s, i)
  -- s:byte(i) == '"'
  local parts, start = {}, i + 1
  local j = start
  while true do
    local c = s:byte(j)
    if c == nil then decode_error(s, i, "unterminated string") end
    if c == 34 then
      parts[#parts + 1] = s:sub(start, j - 1)
      return table.concat(parts), j + 1
    elseif c == 92 then
      parts[#parts + 1] = s:sub(start, j - 1)
      local e = s:sub(j + 1, j + 1)
      if e == "u" then
        local cp = hex4(s, j + 2)
        j = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
          local lo = hex4(s, j + 2)
          if lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            j = j + 6
          end
        end
        if cp >= 0xD800 and cp <= 0xDFFF then cp = 0xFFFD end -- a lone surrogate, as Go does
        parts[#parts + 1] = utf8_char(cp)
      elseif simple_escapes[e] then
        parts[#parts + 1] = simple_escapes[e]
        j = j + 2
      else
        decode_error(s, j, "bad escape")
      end
      start = j
    elseif c < 32 then
      decode_error(s, j, "control character in string")
    else
      j = j + 1
    end
  end
end

local decode_value

-- decode_number follows JSON's grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)?
local function decode_number(s, i)
  local j = i
  if s:sub(j, j) == "-" then j = j + 1 end
  local int = s:match("^%d+", j)
  if not int or (#int > 1 and int:sub(1, 1) == "0") then decode_error(s, i, "bad number") end
  j = j + #int
  if s:sub(j, j) == "." then
    local frac = s:match("^%d+", j + 1)
    if not frac then decode_error(s, i, "bad number") end
    j = j + 1 + #frac
  end
  local n = tonumber(s:sub(i, j - 1))
  if n == nil then
    -- gopher-lua's tonumber gives up on integers past 2^63: add digits by hand
    n = 0
    for k = 1, #int do n = n * 10 + (int:byte(k) - 48) end
    local frac = s:match("^%.(%d+)", i + (s:sub(i, i) == "-" and 1 or 0) + #int)
    if frac then n = n + tonumber("0." .. frac) end
    if s:sub(i, i) == "-" then n = -n end
  end
  local e = s:sub(j, j)
  if e == "e" or e == "E" then
    local exp = s:match("^[-+]?%d+", j + 1)
    if not exp then decode_error(s, i, "bad number") end
    j = j + 1 + #exp
    -- gopher-lua's tonumber does not read exponents: scale by hand
    -- (dividing by an exact power of ten keeps small numbers exact)
    local x = tonumber((exp:gsub("^%+", "")))
    if x < 0 then n = n / 10 ^ -x else n = n * 10 ^ x end
  end
  return n, j
end

decode_value = function(s, i, depth)
  if depth >= M.max_depth then decode_error(s, i, "nested deeper than " .. M.max_depth) end
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local t = M.object()
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return t, i + 1 end
    while true do
      i = skip(s, i)
      if s:sub(i, i) ~= '"' then decode_error(s, i, "object key expected") end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then decode_error(s, i, "':' expected") end
      local v
      v, i = decode_value(s, i + 1, depth + 1)
      t[k] = v
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "',' or '}' expected") end
      i = i + 1
    end
  elseif c == "[" then
    local t, n = {}, 0
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return t, i + 1 end
    while true do
      local v
      v, i = decode_value(s, i, depth + 1)
      n = n + 1
      t[n] = v
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "',' or ']' expected") end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(s, i)
  elseif c == "-" or c:find("^%d") then
    return decode_number(s, i)
  elseif s:sub(i, i + 3) == "true" then
    return true, i + 4
  elseif s:sub(i, i + 4) == "false" then
    return false, i + 5
  elseif s:sub(i, i + 3) == "null" then
    return M.null, i + 4
  end
  decode_error(s, i, c == "" and "unexpected end" or "unexpected '" .. c .. "'")
end

-- decode(text) -> value | nil, err. Never raises on bad input.
function M.decode(s)
  if type(s) ~= "string" then return nil, "json.decode: text expected" end
  local ok, v, i = pcall(decode_value, s, 1, 0)
  if not ok then return nil, v end
  i = skip(s, i)
  if i <= #s then return nil, string.format("json.decode: trailing text at byte %d", i) end
  return v
end

return M
