package e2e

// End to end of Discord through the whole engine, as `starstreamer run`
// wires it with --discord-token, --discord-guild, --discord-api-url and
// --discord-gateway-url: discordtest (a fake gateway + REST) →
// platform/discord → the bus → a Lua module → the discord.* bindings →
// platform/discord → the fake's REST endpoints, which record what arrived.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/discord/discordtest"
)

const discordBotModule = `module { name = "dcbot", permissions = { "discord" } }

on_event("discord.message", function(event)
  local d = event.data
  if d.content == "!ping" then
    local id, err = discord.reply(event, "pong " .. d.author.display_name .. " roles=" .. table.concat(d.author.roles, ","))
    if id == nil then log.error("reply failed", { err = err }) end
    local ok, rerr = discord.react(event, "👍")
    if ok == nil then log.error("react failed", { err = rerr }) end
  elseif d.content == "!embed" then
    local id, err = discord.send(d.channel, { content = "live!", title = "Going live", color = 0x9146FF,
      fields = { { name = "Game", value = "Chess", inline = true } } })
    if id == nil then log.error("send failed", { err = err }) end
  end
end)

command("!mod", { platforms = { "discord" }, permission = "moderator" }, function(event, cmd)
  discord.reply(event, "mod ok " .. cmd.rest)
end)

on_event("discord.member.join", function(event)
  discord.send("1100000000000000002", "welcome " .. event.data.user.username)
end)
`

func TestDiscordMessageReachesLuaAndTheReplyReachesDiscord(t *testing.T) {
	const (
		token   = "e2e-discord-token-not-for-logs"
		guild   = "1000000000000000001"
		channel = "1100000000000000002"
	)
	fake := discordtest.New(token, guild, "1200000000000000009", discordtest.Role{ID: "1400000000000000005", Name: "Moderator"})
	defer fake.Close()
	e := startEngine(t, map[string]string{"dcbot.lua": discordBotModule},
		"--discord-token", token, "--discord-guild", guild, "--discord-channels", channel,
		"--discord-api-url", fake.APIURL(), "--discord-gateway-url", fake.GatewayURL())
	e.waitRunning("dcbot", e2eWait)
	waitFor(t, "the engine to identify to the fake", func() bool { return fake.Connections() == 1 })
	time.Sleep(100 * time.Millisecond) // GUILD_CREATE (the role names) follows READY

	msg := fake.Message(channel, discordtest.User{ID: "7", Username: "ada", Nick: "Ada", RoleIDs: []string{"1400000000000000005"}}, "!ping")
	reply := waitCall(t, fake, func(c discordtest.Call) bool {
		return c.Method == "POST" && c.Path == "/api/v9/channels/"+channel+"/messages" && c.Body["content"] == "pong Ada roles=Moderator"
	})
	if ref, _ := reply.Body["message_reference"].(map[string]any); ref == nil || ref["message_id"] != msg {
		t.Errorf("the reply does not reference message %s: %v", msg, reply.Body)
	}
	waitCall(t, fake, func(c discordtest.Call) bool {
		return c.Method == "PUT" && c.Path == "/api/v9/channels/"+channel+"/messages/"+msg+"/reactions/👍/@me"
	})

	fake.Message(channel, discordtest.User{ID: "8", Username: "bob"}, "!embed")
	sent := waitCall(t, fake, func(c discordtest.Call) bool { return c.Body["content"] == "live!" })
	if em, _ := sent.Body["embeds"].([]any); len(em) != 1 || em[0].(map[string]any)["title"] != "Going live" {
		t.Errorf("embed = %v", sent.Body["embeds"])
	}

	// a command on Discord, moderator level from the Moderator role
	fake.Message(channel, discordtest.User{ID: "8", Username: "bob"}, "!mod from bob")
	fake.Message(channel, discordtest.User{ID: "7", Username: "ada", RoleIDs: []string{"1400000000000000005"}}, "!mod from ada")
	waitCall(t, fake, func(c discordtest.Call) bool { return c.Body["content"] == "mod ok from ada" })
	for _, c := range fake.Calls() {
		if c.Body["content"] == "mod ok from bob" {
			t.Error("!mod answered a member without a moderator role")
		}
	}

	fake.MemberJoin(discordtest.User{ID: "9", Username: "newbie"})
	waitCall(t, fake, func(c discordtest.Call) bool { return c.Body["content"] == "welcome newbie" })

	// the Connections page shows the bot's state, never its token
	var conns struct {
		Discord *struct {
			State, Guild, Bot string
			GuildName         string `json:"guild_name"`
		} `json:"discord"`
	}
	if code := e.get("/api/connections", &conns); code != 200 || conns.Discord == nil {
		t.Fatalf("GET /api/connections: %d %+v", code, conns)
	}
	if d := conns.Discord; d.State != "connected" || d.Guild != guild || d.Bot != discordtest.BotName || d.GuildName != discordtest.GuildName {
		t.Errorf("discord connection = %+v", d)
	}
	var raw map[string]any
	e.get("/api/connections", &raw)
	if b, _ := json.Marshal(raw); strings.Contains(string(b), token) {
		t.Error("GET /api/connections shows the Discord token")
	}

	for _, c := range fake.Calls() {
		if c.Auth != "Bot "+token {
			t.Errorf("%s %s: Authorization %q", c.Method, c.Path, c.Auth)
		}
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("the engine's log shows the Discord token")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); time.Since(start) < e2eWait; time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited %v for %s", e2eWait, what)
}

func waitCall(t *testing.T, fake *discordtest.Server, match func(discordtest.Call) bool) discordtest.Call {
	t.Helper()
	for start := time.Now(); time.Since(start) < e2eWait; time.Sleep(5 * time.Millisecond) {
		for _, c := range fake.Calls() {
			if match(c) {
				return c
			}
		}
	}
	t.Fatalf("the expected call did not reach the fake within %v; calls: %+v", e2eWait, fake.Calls())
	return discordtest.Call{}
}
