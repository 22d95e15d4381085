---@meta
-- The API of *_test.lua files (see docs/script-tests.md). Written by hand.

---@class TestUser
---@field username string
---@field id? string
---@field display_name? string
---@field moderator? boolean
---@field vip? boolean
---@field subscriber? boolean
---@field broadcaster? boolean

---@class T
local T = {}
---A chat message from user; returns the texts the bot sent meanwhile.
---@param user string|TestUser
---@param text string
---@return string[]
function T.chat(user, text) end
---Fires an event; returns the texts the bot sent meanwhile.
---@param type string
---@param data? table
---@return string[]
function T.emit(type, data) end
---Moves the fake clock.
---@param seconds number
function T.advance(seconds) end
---Waits in real time (for after, every, sleep).
---@param seconds number
function T.wait(seconds) end
---@return string[]
function T.sent() end
---@return {text: string, module: string, reply_to: string}[]
function T.messages() end
function T.clear() end
---@return string[]
function T.obs() end
---@param s {live?: boolean, started_ago?: number, title?: string, game?: string, viewers?: integer}
function T.stream(s) end
---@param msg? string
function T.clip_error(msg) end
---@param key string
---@param module? string
---@return any
function T.store(key, module) end
---@param key string
---@param value any
---@param module? string
function T.set_store(key, value, module) end
---@param key string
---@param value any
---@param module? string
function T.config(key, value, module) end
---@param module? string
function T.reload(module) end
function T.restart() end
---@param module string
function T.load(module) end
---@param module? string
---@return integer count, string last_error
function T.errors(module) end
---A handler error of the module under test whose message contains text is
---expected: it does not fail the test (any other handler error does), and
---the test fails if none comes.
---@param text string
function T.expect_error(text) end
---@return integer
function T.now() end
---@param got any
---@param want any
---@param msg? string
function T.eq(got, want, msg) end
---@param v any
---@param msg? string
function T.ok(v, msg) end
---@param haystack string|string[]
---@param needle string
---@param msg? string
function T.contains(haystack, needle, msg) end
---@param haystack string|string[]
---@param needle string
---@param msg? string
function T.not_contains(haystack, needle, msg) end
---@param msg string
function T.fail(msg) end

---Declares a test: fn runs with a fresh engine.
---@param name string
---@param fn fun(t: T)
function test(name, fn) end
