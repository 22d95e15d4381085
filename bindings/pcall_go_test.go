package bindings

import "testing"

// A Go function run under the yield-transparent pcall (or as a coroutine's
// body) gives back its results: pcall(require, "sub.x") returned false, nil.
func TestPcallOfAGoFunctionReturnsItsResults(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"m/init.lua": `module { name = "m", permissions = { "twitch.chat" } }
command("!r", function(event)
  local ok, v = pcall(require, "sub.x")
  local ok2, s = pcall(string.rep, "ab", 2)
  local ok3, e = pcall(error, "boom", 0)
  local ok4, w = pcall(sleep, 0.01)
  local co = coroutine.create(string.upper)
  local ok5, u = coroutine.resume(co, "up")
  twitch.reply(event, table.concat({tostring(ok), tostring(v and v.n), tostring(ok2), s, tostring(ok3), e, tostring(ok4), tostring(ok5), tostring(u)}, ","))
end)`,
		"m/sub/x.lua": `return { n = 42 }`,
	})
	te.chatLine("!r")
	te.waitChat("true,42,true,abab,false,boom,true,true,UP")
}
