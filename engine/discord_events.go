package engine

// DiscordEventSpecs documents every discord.* event the Discord client
// emits (platform/discord): docs/events.md and the editor stubs are generated
// from it, and the platform's tests check its output against it. It lives
// here because platform packages import no other package of the project.
var DiscordEventSpecs = []EventSpec{
	{Type: "discord.connected", Source: "discord", Description: "The bot's connection to Discord is up (at start and after each reconnect); discord.* calls work from now on.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "\"connected\" the first time, \"reconnected\" after a loss"}},
		Example: map[string]any{"reason": "connected"}},
	{Type: "discord.disconnected", Source: "discord", Description: "The connection to Discord was lost or stopped; the client reconnects by itself and discord.* calls fail until then.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "what happened"}},
		Example: map[string]any{"reason": "the connection to Discord was lost"}},
	{Type: "discord.message", Source: "discord", Description: "Someone wrote in a channel of the configured guild (the bot's own messages are not reported). Commands see these messages when the module asks for them (command's platforms option).",
		Fields: append(discordUserFields("author", "who wrote it"),
			FieldSpec{Name: "channel", Type: "string", Description: "the channel's id"},
			FieldSpec{Name: "content", Type: "string", Description: "the text"},
			FieldSpec{Name: "message_id", Type: "string", Description: "the message's id (discord.reply and discord.react take the whole event)"},
			FieldSpec{Name: "guild", Type: "string", Description: "the guild's id"},
		),
		Example: map[string]any{
			"author":  discordUserExample(),
			"channel": "1100000000000000002", "content": "!hello", "message_id": "1300000000000000004", "guild": "1000000000000000001"}},
	{Type: "discord.member.join", Source: "discord", Description: "Someone joined the configured guild.",
		Fields: append(discordUserFields("user", "who joined"),
			FieldSpec{Name: "guild", Type: "string", Description: "the guild's id"}),
		Example: map[string]any{"user": discordUserExample(), "guild": "1000000000000000001"}},
}

func discordUserFields(prefix, description string) []FieldSpec {
	return []FieldSpec{
		{Name: prefix, Type: "table", Description: description},
		{Name: prefix + ".id", Type: "string", Description: "Discord user id"},
		{Name: prefix + ".username", Type: "string", Description: "Discord username"},
		{Name: prefix + ".display_name", Type: "string", Description: "the name shown in the guild (nickname, else global name, else username)"},
		{Name: prefix + ".roles", Type: "list", Description: "names of the member's roles in the guild (ids while Discord has not sent the guild's roles)"},
		{Name: prefix + ".roles[]", Type: "string", Description: "a role's name"},
		{Name: prefix + ".bot", Type: "boolean", Description: "the account is a bot"},
		{Name: prefix + ".owner", Type: "boolean", Description: "the member owns the guild"},
		{Name: prefix + ".broadcaster", Type: "boolean", Description: "the guild's owner: the broadcaster level of commands"},
		{Name: prefix + ".moderator", Type: "boolean", Description: "has a moderator role (--discord-moderator-roles; default Moderator, Mod, Admin)"},
		{Name: prefix + ".vip", Type: "boolean", Description: "has a role named VIP"},
		{Name: prefix + ".subscriber", Type: "boolean", Description: "has a role named Subscriber or Twitch Subscriber"},
	}
}

func discordUserExample() map[string]any {
	return map[string]any{"id": "1200000000000000003", "username": "ada", "display_name": "Ada",
		"roles": []any{"Moderator"}, "bot": false, "owner": false,
		"broadcaster": false, "moderator": true, "vip": false, "subscriber": false}
}
