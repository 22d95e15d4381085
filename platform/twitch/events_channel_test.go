package twitch

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestChannelEventVariantsAreMappedInTheDesignShapes covers the variants of
// the issue 15 types that the spec examples do not show: a permanent ban,
// and chat notifications other than a resub.
func TestChannelEventVariantsAreMappedInTheDesignShapes(t *testing.T) {
	viewer32 := u("4145994", "viewer32", "viewer32")
	tests := []struct {
		file, wantType string
		want           map[string]any
	}{
		{"channel.ban.permanent", "twitch.ban", map[string]any{"user": u("1234", "cool_user", "Cool_User"),
			"moderator": u("1339", "mod_user", "Mod_User"), "reason": "", "banned_at": "2020-07-15T18:15:11.17106713Z",
			"is_permanent": true}},
		{"channel.chat.notification.announcement", "twitch.chat.notification", map[string]any{"user": viewer32,
			"is_anonymous": false, "notice_type": "announcement", "system_message": "", "message": "Stream starts in 5 minutes!",
			"message_id": "", "color": "#00FF7F",
			"badges":       []any{map[string]any{"set_id": "moderator", "id": "1", "info": ""}},
			"announcement": map[string]any{"color": "PURPLE"}}},
		{"channel.chat.notification.bits_badge_tier", "twitch.chat.notification", map[string]any{"user": viewer32,
			"is_anonymous": false, "notice_type": "bits_badge_tier", "system_message": "bits badge tier notification",
			"message": "", "message_id": "", "color": "", "badges": []any{},
			"bits_badge_tier": map[string]any{"tier": int64(1000)}}},
		{"channel.chat.notification.sub_gift", "twitch.chat.notification", map[string]any{"user": u("1234", "cool_user", "Cool_User"),
			"is_anonymous": false, "notice_type": "sub_gift", "system_message": "Cool_User gifted a Tier 1 sub to viewer32!",
			"message": "", "message_id": "", "color": "", "badges": []any{},
			"sub_gift": map[string]any{"duration_months": int64(1), "recipient": viewer32, "sub_tier": "1000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := readEnvelope(t, tt.file)
			typ, data, ok, err := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
			if err != nil || !ok || typ != tt.wantType {
				t.Fatalf("mapNotification = %s ok=%v err=%v, want %s", typ, ok, err, tt.wantType)
			}
			// message ids of the variants are made up: compare the rest
			var ev struct {
				MessageID string `json:"message_id"`
			}
			_ = json.Unmarshal(m.Payload.Event, &ev)
			if _, has := tt.want["message_id"]; has {
				tt.want["message_id"] = ev.MessageID
			}
			if !reflect.DeepEqual(data, tt.want) {
				got, _ := json.MarshalIndent(data, "", " ")
				want, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("data differs\n got: %s\nwant: %s", got, want)
			}
			if err := checkSpec(typ, data); err != nil {
				t.Error(err)
			}
			assertPlainValues(t, "data", data)
		})
	}
}

// TestChannelEventFieldsTolerateTwitchsSpellings: Twitch's own examples
// quote some numbers and booleans ("duration_seconds": "60",
// "is_automatic": "false"); both spellings map to the same values.
func TestChannelEventFieldsTolerateTwitchsSpellings(t *testing.T) {
	for _, raw := range []string{
		`{"duration_seconds": "60", "is_automatic": "true", "started_at": "x"}`,
		`{"duration_seconds": 60, "is_automatic": true, "started_at": "x"}`,
	} {
		_, data, ok, err := mapNotification("channel.ad_break.begin", json.RawMessage(raw))
		if !ok || err != nil {
			t.Fatalf("%s: ok=%v err=%v", raw, ok, err)
		}
		if data["duration_seconds"] != int64(60) || data["is_automatic"] != true || data["requester"] != nil {
			t.Errorf("%s mapped to %v", raw, data)
		}
	}
}

func TestChannelEventThatIsNotAnObjectIsAnError(t *testing.T) {
	for _, raw := range []string{`[]`, `null`, `"x"`, `{`} {
		if _, _, _, err := mapNotification("channel.ban", json.RawMessage(raw)); err == nil {
			t.Errorf("%s: want an error", raw)
		}
	}
}
