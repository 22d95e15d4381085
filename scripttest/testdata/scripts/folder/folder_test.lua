test("folder module loads", function(t)
  t.eq(t.errors(), 0)
end)
