package twitch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func u(id, login, name string) map[string]any {
	return map[string]any{"id": id, "username": login, "display_name": name}
}

var wantTop = []any{
	map[string]any{"user": u("123", "pogchamp", "PogChamp"), "type": "bits", "total": int64(50)},
	map[string]any{"user": u("456", "kappa", "Kappa"), "type": "subscription", "total": int64(45)},
}

// TestMapNotificationFromTwitchExamples maps each of Twitch's documented
// example payloads (testdata) to the normalized event (EventSpecs).
func TestMapNotificationFromTwitchExamples(t *testing.T) {
	chatBadges := func() []any {
		return []any{
			map[string]any{"set_id": "moderator", "id": "1", "info": ""},
			map[string]any{"set_id": "subscriber", "id": "12", "info": "16"},
			map[string]any{"set_id": "sub-gifter", "id": "1", "info": ""},
		}
	}
	replyBadges := func() []any {
		return []any{
			map[string]any{"set_id": "vip", "id": "1", "info": ""},
			map[string]any{"set_id": "founder", "id": "0", "info": "3"},
		}
	}
	tests := []struct {
		file     string
		wantType string
		want     map[string]any
	}{
		{"channel.chat.message", "twitch.chat.message", map[string]any{
			"user": map[string]any{"id": "4145994", "username": "viewer32", "display_name": "viewer32",
				"badges": chatBadges(), "broadcaster": false, "moderator": true, "vip": false, "subscriber": true},
			"message": "Hi chat", "message_id": "cc106a89-1814-919d-454c-f4f2f970aae7", "badges": chatBadges(),
			"message_type": "text", "color": "#00FF7F"}},
		{"channel.chat.message.reply", "twitch.chat.message", map[string]any{
			"user": map[string]any{"id": "129546453", "username": "nerixyz", "display_name": "nerixyz",
				"badges": replyBadges(), "broadcaster": false, "moderator": false, "vip": true, "subscriber": true},
			"message": "@TwitchDev Hello, World! DinoDance", "message_id": "9d0bcb5e-ee31-4b09-b72f-66eb94ce061e",
			"badges": replyBadges(), "message_type": "text", "color": "#FF0000",
			"reply": map[string]any{"parent_message_id": "c8b1e9a4-2e57-4a6f-9c3d-1b0a7e6f5d4c",
				"parent_message_body": "Hello chat", "parent_user": u("141981764", "twitchdev", "TwitchDev"),
				"thread_message_id": "c8b1e9a4-2e57-4a6f-9c3d-1b0a7e6f5d4c",
				"thread_user":       u("141981764", "twitchdev", "TwitchDev")}}},
		{"channel.follow", "twitch.follow", map[string]any{
			"user": u("1337", "awesome_user", "Awesome_User"), "followed_at": "2023-07-15T18:16:11.17106713Z"}},
		{"channel.subscribe", "twitch.subscription", map[string]any{
			"user": u("1234", "cool_user", "Cool_User"), "tier": "1000", "is_gift": false, "resub": false}},
		{"channel.subscription.message", "twitch.subscription", map[string]any{
			"user": u("1234", "cool_user", "Cool_User"), "tier": "1000", "is_gift": false, "resub": true,
			"months": int64(15), "message": "Love the stream! FevziGG", "streak_months": int64(1),
			"duration_months": int64(6)}},
		{"channel.subscription.gift", "twitch.gift", map[string]any{
			"user": u("1234", "cool_user", "Cool_User"), "tier": "1000", "total": int64(2),
			"cumulative": int64(284), "is_anonymous": false}},
		{"channel.subscription.gift.anonymous", "twitch.gift", map[string]any{
			"user": nil, "tier": "2000", "total": int64(5), "is_anonymous": true}},
		{"channel.raid", "twitch.raid", map[string]any{
			"from_broadcaster": u("1234", "cool_user", "Cool_User"), "viewers": int64(9001)}},
		{"channel.cheer", "twitch.cheer", map[string]any{
			"user": u("1234", "cool_user", "Cool_User"), "bits": int64(1000), "message": "pogchamp",
			"is_anonymous": false}},
		{"channel.cheer.anonymous", "twitch.cheer", map[string]any{
			"user": nil, "bits": int64(100), "message": "Cheer100 anonymous", "is_anonymous": true}},
		{"channel.channel_points_custom_reward_redemption.add", "twitch.channel_points", map[string]any{
			"user": u("9001", "cooler_user", "Cooler_User"),
			"reward": map[string]any{"id": "92af127c-7326-4483-a52b-b0da0be61c01", "title": "title",
				"cost": int64(100), "prompt": "reward prompt"},
			"input": "pogchamp", "redemption_id": "17fa2df1-ad76-4804-bfa5-a40ef63efe63", "status": "unfulfilled",
			"redeemed_at": "2020-07-15T17:16:03.17106713Z"}},
		{"channel.hype_train.begin", "twitch.hype_train.begin", map[string]any{
			"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(137), "progress": int64(137),
			"goal": int64(500), "top_contributions": wantTop, "type": "golden_kappa", "is_shared_train": false,
			"started_at": "2020-07-15T17:16:03.17106713Z", "expires_at": "2020-07-15T17:16:11.17106713Z",
			"all_time_high_level": int64(4), "all_time_high_total": int64(2845)}},
		{"channel.hype_train.progress", "twitch.hype_train.progress", map[string]any{
			"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(700), "progress": int64(200),
			"goal": int64(1000), "top_contributions": wantTop, "type": "golden_kappa", "is_shared_train": false,
			"started_at": "2020-07-15T17:16:03.17106713Z", "expires_at": "2020-07-15T17:16:11.17106713Z"}},
		{"channel.hype_train.end", "twitch.hype_train.end", map[string]any{
			"id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "level": int64(2), "total": int64(137),
			"top_contributions": wantTop, "type": "golden_kappa", "is_shared_train": false,
			"started_at": "2020-07-15T17:16:03.17106713Z", "ended_at": "2020-07-15T17:16:11.17106713Z",
			"cooldown_ends_at": "2020-07-15T18:16:11.17106713Z"}},
		{"stream.online", "twitch.stream.online", map[string]any{
			"started_at": "2020-10-11T10:11:12.123Z", "type": "live", "stream_id": "9001",
			"broadcaster": map[string]any{"id": "1337", "username": "cool_user", "display_name": "Cool_User"}}},
		{"stream.offline", "twitch.stream.offline", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := readEnvelope(t, tt.file)
			typ, data, ok, err := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
			if err != nil || !ok {
				t.Fatalf("mapNotification: ok=%v err=%v", ok, err)
			}
			if typ != tt.wantType {
				t.Errorf("type = %q, want %q", typ, tt.wantType)
			}
			if !reflect.DeepEqual(data, tt.want) {
				got, _ := json.MarshalIndent(data, "", " ")
				want, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("data differs\n got: %s\nwant: %s", got, want)
			}
			assertPlainValues(t, "data", data)
		})
	}
}

func readEnvelope(t testing.TB, name string) wsMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// assertPlainValues checks the Emit contract: only string, bool, int64,
// float64, nil, []any, map[string]any.
func assertPlainValues(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, string, bool, int64, float64:
	case []any:
		for i, e := range x {
			assertPlainValues(t, path+"["+string(rune('0'+i%10))+"]", e)
		}
	case map[string]any:
		for k, e := range x {
			assertPlainValues(t, path+"."+k, e)
		}
	default:
		t.Errorf("%s has type %T, outside the Emit contract", path, v)
	}
}

// TestEveryTestdataFileIsMapped makes sure no example payload is left
// without a mapping (and no subscription type without an example).
func TestEveryTestdataFileIsMapped(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	covered := map[string]bool{}
	for _, f := range files {
		m := readEnvelope(t, strings.TrimSuffix(filepath.Base(f), ".json"))
		if m.Metadata.MessageType != "notification" {
			continue
		}
		covered[m.Metadata.SubscriptionType] = true
		if _, _, ok, err := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event); !ok || err != nil {
			t.Errorf("%s: not mapped (ok=%v err=%v)", f, ok, err)
		}
	}
	for _, s := range subscriptions {
		if !covered[s.Type] {
			t.Errorf("subscription %s has no example payload in testdata", s.Type)
		}
	}
}

func TestMapNotificationUnknownTypeIsNotEmitted(t *testing.T) {
	_, _, ok, err := mapNotification("channel.shield_mode.begin", json.RawMessage(`{}`))
	if ok || err != nil {
		t.Fatalf("ok=%v err=%v, want false, nil", ok, err)
	}
}

func TestMapNotificationBadJSONIsAnError(t *testing.T) {
	if _, _, _, err := mapNotification("channel.follow", json.RawMessage(`{"user_id": 5}`)); err == nil {
		t.Fatal("want an error for a number where a string belongs")
	}
}

func TestChatFlagsFromBadges(t *testing.T) {
	tests := []struct {
		name                       string
		badges                     []badge
		chatter, broadcaster       string
		wantB, wantM, wantV, wantS bool
	}{
		{"no badges", nil, "1", "2", false, false, false, false},
		{"broadcaster badge", []badge{{SetID: "broadcaster", ID: "1"}}, "1", "2", true, false, false, false},
		{"broadcaster by id", nil, "2", "2", true, false, false, false},
		{"moderator", []badge{{SetID: "moderator", ID: "1"}}, "1", "2", false, true, false, false},
		{"lead moderator", []badge{{SetID: "lead_moderator", ID: "1"}}, "1", "2", false, true, false, false},
		{"vip", []badge{{SetID: "vip", ID: "1"}}, "1", "2", false, false, true, false},
		{"subscriber", []badge{{SetID: "subscriber", ID: "3"}}, "1", "2", false, false, false, true},
		{"founder counts as subscriber", []badge{{SetID: "founder", ID: "0"}}, "1", "2", false, false, false, true},
		{"other badges only", []badge{{SetID: "sub-gifter", ID: "1"}, {SetID: "bits", ID: "100"}}, "1", "2", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, m, v, s := flags(tt.badges, tt.chatter, tt.broadcaster)
			if b != tt.wantB || m != tt.wantM || v != tt.wantV || s != tt.wantS {
				t.Errorf("flags = %v %v %v %v, want %v %v %v %v", b, m, v, s, tt.wantB, tt.wantM, tt.wantV, tt.wantS)
			}
		})
	}
}

// FuzzMapNotification: no input makes the mapper panic, and whatever it
// emits keeps the Emit value contract.
func FuzzMapNotification(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		var m wsMessage
		if json.Unmarshal(b, &m) == nil && m.Metadata.SubscriptionType != "" {
			f.Add(m.Metadata.SubscriptionType, []byte(m.Payload.Event))
		}
	}
	f.Add("channel.chat.message", []byte(`{"reply":{},"cheer":{"bits":1},"badges":[{}]}`))
	f.Fuzz(func(t *testing.T, subType string, raw []byte) {
		_, data, ok, err := mapNotification(subType, raw)
		if err != nil || !ok {
			return
		}
		assertPlainValues(t, "data", data)
	})
}

// FuzzParseEnvelope: any frame parses or fails cleanly, and a notification
// frame goes through the whole handling path without panicking.
func FuzzParseEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	c, err := New(Config{ClientID: "id", Channel: "chan", Token: "x"}, nil, func(string, map[string]any) {})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m wsMessage
		if json.Unmarshal(b, &m) != nil {
			return
		}
		switch m.Metadata.MessageType {
		case "notification":
			c.handleNotification(&m)
		case "revocation":
			c.handleRevocation(&m)
		}
	})
}
