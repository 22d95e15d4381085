test("never runs", function(t) end)
