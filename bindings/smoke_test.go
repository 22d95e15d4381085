package bindings

import "testing"

func TestPingAnswers(t *testing.T) {
	te := newTestEngine(t, map[string]string{"ping.lua": `
module { name = "ping", permissions = { "twitch.chat" } }
command("!ping", function(event, cmd)
  twitch.reply(event, "pong " .. event.data.user.display_name)
end)
`})
	if st := te.module("ping"); st.Status != "running" {
		t.Fatalf("status %s: %s", st.Status, st.LastError)
	}
	te.chatLine("!ping")
	te.waitChat("pong Viewer")
}
