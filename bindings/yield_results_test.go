package bindings

import (
	"fmt"
	"testing"
)

// TestYieldedCallGetsTheResultsItsCallSiteWants pins the fix in yield: a
// waiting binding resumed with fewer results than its call site assigns
// used to leave Go nils there (truthy, and a nil pointer panic in tostring,
// type or a table constructor).
func TestYieldedCallGetsTheResultsItsCallSiteWants(t *testing.T) {
	for _, tc := range []struct {
		name, code, want string
	}{
		{"missing second result is nil", `local ok, err = twitch.send_message("x"); r = type(ok) .. "," .. type(err)`, "boolean,nil"},
		{"missing result is falsy", `local ok, err = twitch.send_message("x"); r = (err and "truthy" or "falsy")`, "falsy"},
		{"missing result goes in a table", `local ok, err = twitch.send_message("x"); local t = { ok = ok, err = err }; r = tostring(t.ok) .. "," .. tostring(t.err)`, "true,nil"},
		{"no results, three wanted", `local a, b, c = sleep(0); r = type(a) .. type(b) .. type(c)`, "nilnilnil"},
		{"extra results are cut", `local only = obs.set_scene("x"); local after = "kept"; r = tostring(only) .. "," .. after`, "nil,kept"},
		{"all results when all are wanted", `r = select("#", twitch.send_message("x")) .. "," .. select("#", obs.set_scene("x"))`, "1,2"},
		{"through a tail call", `local function send() return twitch.send_message("x") end; local a, b = send(); r = type(a) .. "," .. type(b)`, "boolean,nil"},
		{"pcall around a wait", `local ok, v, extra = pcall(function() sleep(0) return 7 end); r = tostring(ok) .. "," .. tostring(v) .. "," .. type(extra)`, "true,7,nil"},
		{"inside pcall", `local ok, inner = pcall(function() local a, b = twitch.send_message("x"); return type(b) end); r = tostring(ok) .. "," .. inner`, "true,nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t, map[string]string{"y.lua": fmt.Sprintf(`
module { name = "y", permissions = { "twitch.chat", "obs.control" } }
command("!y", function(event)
  local r
  %s
  twitch.send_message("result " .. r)
end)
`, tc.code)})
			te.chatLine("!y")
			te.waitChat("result " + tc.want)
			if st := te.module("y"); st.Errors > 0 {
				t.Fatalf("handler error: %s", st.LastError)
			}
		})
	}
}
