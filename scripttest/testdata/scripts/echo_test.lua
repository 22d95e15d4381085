test("passes", function(t)
  t.eq(t.chat("alice", "!echo hi there"), { "> hi there" })
  t.eq(t.chat("alice", "!echo again"), { "wait 10s" })
  t.eq(t.chat("bob", "!echo"), { "Usage: !echo text" })
  t.eq(t.store("echoes"), 1)
  t.eq(t.emit("custom.ping", { n = 3 }), { "pong 3" })
  t.chat("alice", "!scene Brb")
  t.eq(t.obs(), { "set_scene Brb" })
  t.eq(#t.sent(), 4)
  t.config("prefix", "#")
  t.eq(t.chat("carol", "!echo x"), { "# x" })
end)

test("fails with the line", function(t)
  t.eq(t.chat("alice", "!echo hi"), { "something else" })
  t.fail("never reached")
end)

test("fails on a script error", function(t)
  local x = nil
  return x.field
end)
