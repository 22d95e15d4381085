-- random: a seedable random number generator (Park-Miller, exact in Lua numbers).
--
--   local random = require("random")
--   local rng = random.new(42)      -- same seed, same sequence (tests)
--   rng:int(1, 6)  rng:float()  rng:chance(0.45)  rng:pick(list)  rng:shuffle(list)
--
-- random.new() without a seed uses the clock. Not for secrets.
local M = {}

local MOD, MUL = 2147483647, 48271

local Gen = {}
Gen.__index = Gen

-- new([seed]) -> generator. seed is any number; default os.time().
function M.new(seed)
  seed = math.floor(tonumber(seed) or os.time()) % MOD
  if seed <= 0 then seed = seed + MOD - 1 end
  return setmetatable({ state = seed }, Gen)
end

-- float() -> a number in [0, 1).
function Gen:float()
  self.state = (self.state * MUL) % MOD
  return (self.state - 1) / (MOD - 1)
end

-- int(lo, hi) -> an integer in [lo, hi] (int(n) is int(1, n)).
function Gen:int(lo, hi)
  if hi == nil then lo, hi = 1, lo end
  lo, hi = math.floor(lo), math.floor(hi)
  if hi < lo then error("random:int: empty range " .. lo .. ".." .. hi, 2) end
  return lo + math.floor(self:float() * (hi - lo + 1))
end

-- chance(p) -> true with probability p (0..1).
function Gen:chance(p)
  return self:float() < p
end

-- pick(list) -> a random element (nil for an empty list).
function Gen:pick(list)
  if #list == 0 then return nil end
  return list[self:int(1, #list)]
end

-- shuffle(list) -> list, shuffled in place (Fisher-Yates).
function Gen:shuffle(list)
  for i = #list, 2, -1 do
    local j = self:int(1, i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

return M
