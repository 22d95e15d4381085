package twitch

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// checkSpec checks one emitted event against its EventSpecs entry.
func checkSpec(typ string, data map[string]any) error {
	for _, s := range EventSpecs {
		if s.Type == typ {
			return s.Check(data)
		}
	}
	return fmt.Errorf("%s has no EventSpecs entry", typ)
}

// TestEveryTwitchExampleIsMappedAsSpecified maps each of Twitch's example
// payloads and checks the result against the spec.
func TestEveryTwitchExampleIsMappedAsSpecified(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	mapped := map[string]bool{}
	for _, f := range files {
		m := readEnvelope(t, strings.TrimSuffix(filepath.Base(f), ".json"))
		if m.Metadata.MessageType != "notification" {
			continue
		}
		typ, data, ok, err := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
		if !ok || err != nil {
			t.Fatalf("%s: ok=%v err=%v", f, ok, err)
		}
		if typ == "twitch.chat.message" {
			data["from_bot"] = false // as the client marks it
		}
		mapped[typ] = true
		if err := checkSpec(typ, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, s := range EventSpecs {
		switch s.Type {
		case "twitch.connected", "twitch.disconnected", "twitch.subscription_revoked":
			continue // the client's own events: checked by the recorder of every client test
		}
		if !mapped[s.Type] {
			t.Errorf("%s is specified but no example payload maps to it", s.Type)
		}
	}
}

// TestSpecExamplesAreWhatTheMapperMakes: each documented example is the
// mapping of Twitch's own example payload, so the docs show real output.
func TestSpecExamplesAreWhatTheMapperMakes(t *testing.T) {
	files := map[string]string{
		"twitch.chat.message": "channel.chat.message", "twitch.follow": "channel.follow",
		"twitch.subscription": "channel.subscribe", "twitch.gift": "channel.subscription.gift",
		"twitch.raid": "channel.raid", "twitch.cheer": "channel.cheer",
		"twitch.channel_points":      "channel.channel_points_custom_reward_redemption.add",
		"twitch.hype_train.begin":    "channel.hype_train.begin",
		"twitch.hype_train.progress": "channel.hype_train.progress",
		"twitch.hype_train.end":      "channel.hype_train.end",
		"twitch.stream.online":       "stream.online", "twitch.stream.offline": "stream.offline",
	}
	for _, s := range subscriptions { // the others: each type's example is the file of its name
		typ, _, ok, _ := mapNotification(s.Type, json.RawMessage(`{}`))
		if !ok {
			t.Fatalf("%s maps to nothing", s.Type)
		}
		if _, set := files[typ]; !set {
			files[typ] = s.Type
		}
	}
	for _, s := range EventSpecs {
		if err := s.Check(s.Example); err != nil {
			t.Errorf("example: %v", err)
		}
		f, ok := files[s.Type]
		if !ok {
			continue
		}
		m := readEnvelope(t, f)
		_, data, _, _ := mapNotification(m.Metadata.SubscriptionType, m.Payload.Event)
		if s.Type == "twitch.chat.message" {
			data["from_bot"] = false
		}
		if !reflect.DeepEqual(data, s.Example) {
			got, _ := json.Marshal(data)
			want, _ := json.Marshal(s.Example)
			t.Errorf("%s example differs from the mapping of testdata/%s.json\n got %s\nspec %s", s.Type, f, got, want)
		}
	}
}

func TestSpecCheckFindsDifferences(t *testing.T) {
	var spec engine.EventSpec
	for _, s := range EventSpecs {
		if s.Type == "twitch.follow" {
			spec = s
		}
	}
	for _, tc := range []struct {
		name string
		data map[string]any
		want string
	}{
		{"undocumented field", map[string]any{"user": exampleUser("1", "a", "A"), "followed_at": "x", "extra": 1}, "extra is not in the spec"},
		{"missing field", map[string]any{"user": exampleUser("1", "a", "A")}, "followed_at is missing"},
		{"missing nested field", map[string]any{"user": map[string]any{"id": "1", "username": "a"}, "followed_at": "x"}, "user.display_name is missing"},
		{"wrong type", map[string]any{"user": exampleUser("1", "a", "A"), "followed_at": int64(3)}, "followed_at is int64, the spec says string"},
	} {
		err := spec.Check(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// EventSpecs are the specs of this client's events (kept in engine).
var EventSpecs = engine.TwitchEventSpecs

// exampleUser is a user as the specs' examples write it.
func exampleUser(id, login, name string) map[string]any {
	return map[string]any{"id": id, "username": login, "display_name": name}
}
