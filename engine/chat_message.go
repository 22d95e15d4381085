package engine

// ChatUser is the chatter of a twitch.chat.message the project makes itself:
// the panel's chat console, its test-event template and script tests. (The
// Twitch client builds the same shape from EventSub frames; platform
// packages import no project package, so its tests check that shape against
// TwitchEventSpecs instead.)
type ChatUser struct {
	ID, Login, DisplayName                  string
	Broadcaster, Moderator, VIP, Subscriber bool
}

// Data is the event's user table: identity, the four roles and the badges
// they imply (set_id broadcaster, moderator, vip, subscriber; id "1"), in
// that order. Each call returns fresh maps.
func (u ChatUser) Data() map[string]any {
	badges := []any{}
	add := func(on bool, set string) {
		if on {
			badges = append(badges, map[string]any{"set_id": set, "id": "1"})
		}
	}
	add(u.Broadcaster, "broadcaster")
	add(u.Moderator, "moderator")
	add(u.VIP, "vip")
	add(u.Subscriber, "subscriber")
	return map[string]any{
		"id": u.ID, "username": u.Login, "display_name": u.DisplayName,
		"badges": badges, "broadcaster": u.Broadcaster, "moderator": u.Moderator,
		"vip": u.VIP, "subscriber": u.Subscriber,
	}
}

// ChatMessageData is the data of a twitch.chat.message written by user (a
// table from ChatUser.Data, possibly with more fields), in the shape
// TwitchEventSpecs documents: data.badges is a copy of user.badges (an
// empty list when user has none), so a handler changing one does not change
// the other.
func ChatMessageData(user map[string]any, text, messageID string) map[string]any {
	in, _ := user["badges"].([]any)
	badges := make([]any, len(in))
	for i, b := range in {
		if m, ok := b.(map[string]any); ok {
			c := make(map[string]any, len(m))
			for k, v := range m {
				c[k] = v
			}
			b = c
		}
		badges[i] = b
	}
	return map[string]any{"user": user, "message": text, "message_id": messageID, "badges": badges}
}
