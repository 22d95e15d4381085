package bindings

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// actionRecorder is a Twitch whose actions are recorded; chat goes to the
// chat sink as offline.
type actionRecorder struct {
	OfflineTwitch
	mu  sync.Mutex
	got []TwitchAction
}

func (r *actionRecorder) TwitchAction(_ context.Context, a TwitchAction) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
	return map[string]any{"id": "x"}, nil
}

func (r *actionRecorder) last() (TwitchAction, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return TwitchAction{}, 0
	}
	return r.got[len(r.got)-1], len(r.got)
}

func TestTwitchActionBindingsReadTheirArguments(t *testing.T) {
	tests := []struct {
		name string
		lua  string // the call
		want TwitchAction
		err  string // instead: the error raised, naming what is wrong
	}{
		{"timeout with a login", `twitch.timeout("@alice", 60, "caps")`,
			TwitchAction{Kind: "twitch.timeout", User: TwitchUserRef{Login: "@alice"}, Seconds: 60, Text: "caps"}, ""},
		{"timeout with the user table of an event", `twitch.timeout(ev.data.user, 5)`,
			TwitchAction{Kind: "twitch.timeout", User: TwitchUserRef{ID: "1001", Login: "viewer"}, Seconds: 5}, ""},
		{"ban with the event itself", `twitch.ban(ev, "bye")`,
			TwitchAction{Kind: "twitch.ban", User: TwitchUserRef{ID: "1001", Login: "viewer"}, Text: "bye"}, ""},
		{"unban with a numeric id", `twitch.unban(12345)`,
			TwitchAction{Kind: "twitch.unban", User: TwitchUserRef{ID: "12345"}}, ""},
		{"delete the event's message", `twitch.delete_message(ev)`,
			TwitchAction{Kind: "twitch.delete_message", ID: "m-case 4"}, ""},
		{"chat settings", `twitch.chat_settings{ slow = 30, followers_only = false, unique = true }`,
			TwitchAction{Kind: "twitch.chat_settings", Fields: map[string]any{"slow": int64(30), "followers_only": false, "unique": true}}, ""},
		{"announce", `twitch.announce("hi", "blue")`, TwitchAction{Kind: "twitch.announce", Text: "hi", Color: "blue"}, ""},
		{"update channel", `twitch.update_channel{ title = "T", game = "Chess", tags = { "a", "b" } }`,
			TwitchAction{Kind: "twitch.update_channel", Fields: map[string]any{"title": "T", "game": "Chess", "tags": []any{"a", "b"}}}, ""},
		{"create poll", `twitch.create_poll{ title = "Q", choices = { "x", "y" }, seconds = 30 }`,
			TwitchAction{Kind: "twitch.create_poll", Text: "Q", Choices: []string{"x", "y"}, Seconds: 30}, ""},
		{"end poll archived", `twitch.end_poll("p1", true)`, TwitchAction{Kind: "twitch.end_poll", ID: "p1", Archive: true}, ""},
		{"resolve prediction", `twitch.resolve_prediction("p1", "Yes")`,
			TwitchAction{Kind: "twitch.resolve_prediction", ID: "p1", Text: "Yes"}, ""},
		{"rewards.create", `twitch.rewards.create{ title = "R", cost = 10, enabled = false }`,
			TwitchAction{Kind: "twitch.rewards.create", Fields: map[string]any{"title": "R", "cost": int64(10), "enabled": false}}, ""},
		{"fulfill a channel_points event", `twitch.fulfill({ data = { reward = { id = "rw" }, redemption_id = "rd" } })`,
			TwitchAction{Kind: "twitch.fulfill", ID: "rw", RedemptionID: "rd"}, ""},
		{"followers without arguments", `twitch.followers()`, TwitchAction{Kind: "twitch.followers"}, ""},
		{"followers first", `twitch.followers{ first = 3 }`, TwitchAction{Kind: "twitch.followers", Seconds: 3}, ""},
		{"unknown settings key is named", `twitch.chat_settings{ slowmode = 3 }`, TwitchAction{}, "unknown key slowmode"},
		{"wrong settings type is named", `twitch.chat_settings{ slow = "fast" }`, TwitchAction{}, "slow must be a number or boolean"},
		{"user table without id or username", `twitch.ban({ nick = "x" })`, TwitchAction{}, "user table without id or username"},
		{"not a redemption", `twitch.refund({ data = {} })`, TwitchAction{}, "a twitch.channel_points event expected"},
		{"timeout of zero seconds", `twitch.timeout("a", 0)`, TwitchAction{}, "use twitch.ban"},
		{"missing permission is named", `twitch.whisper("a", "x")`, TwitchAction{}, `twitch.whisper needs the "twitch.whisper" permission`},
	}
	var cases strings.Builder
	for i, tt := range tests {
		fmt.Fprintf(&cases, "  [\"case %d\"] = function(ev) return %s end,\n", i, tt.lua)
	}
	script := `module { name = "acts", permissions = { "twitch.chat", "twitch.moderate", "twitch.channel" } }
local cases = {
` + cases.String() + `}
on_event("twitch.chat.message", function(ev)
  local ok, err = pcall(cases[ev.data.message], ev)
  twitch.send_message(ev.data.message .. " -> " .. tostring(ok) .. " " .. tostring(err))
end)
`
	rec := &actionRecorder{}
	te := newTestEngine(t, map[string]string{"acts.lua": script}, func(c *Config) {
		rec.OfflineTwitch = OfflineTwitch{Sink: c.Chat}
		c.Twitch = rec
	})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := rec.last()
			line := fmt.Sprintf("case %d", i)
			te.chatLine(line)
			msg := te.waitChat(line + " -> ").Text
			got, after := rec.last()
			if tt.err != "" {
				if !strings.Contains(msg, tt.err) || after != before {
					t.Errorf("%s: %q (actions %d -> %d), want an error with %q and no action", tt.lua, msg, before, after, tt.err)
				}
				return
			}
			if !strings.Contains(msg, " -> true ") {
				t.Errorf("%s: %q, want it to succeed", tt.lua, msg)
			}
			if after != before+1 || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tt.lua, got, tt.want)
			}
		})
	}
}

func TestEveryActionBindingIsDocumentedWithItsPermission(t *testing.T) {
	perms := map[string]string{"twitch.whisper": "twitch.whisper"}
	for _, s := range twitchActionSpecs {
		d := s.doc
		if d.Permission != "" && !slices.Contains(permissionNames(), d.Permission) {
			t.Errorf("%s: permission %q is not a known permission", d.Name, d.Permission)
		}
		if !d.Yields || d.Context != "handler" || !strings.Contains(d.Syntax, "nil, err") {
			t.Errorf("%s: every action yields in handlers and returns result or nil, err: %+v", d.Name, d)
		}
		if want, ok := perms[d.Name]; ok && d.Permission != want {
			t.Errorf("%s: permission %q, want %q", d.Name, d.Permission, want)
		}
	}
}
