package discord

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEmbedFromMapChecksEveryField(t *testing.T) {
	long := strings.Repeat("x", maxEmbedTitle+1)
	tests := []struct {
		name string
		in   map[string]any
		want string // "" for success
	}{
		{"title, color and fields", map[string]any{"title": "Live", "color": int64(0x9146FF), "fields": []any{map[string]any{"name": "Game", "value": "Chess", "inline": true}}}, ""},
		{"a float color from Lua", map[string]any{"description": "d", "color": float64(255)}, ""},
		{"unknown key", map[string]any{"title": "t", "colour": int64(1)}, "embed.colour is not an embed field"},
		{"title too long", map[string]any{"title": long}, "embed.title is 257 characters"},
		{"title not text", map[string]any{"title": int64(3)}, "embed.title must be a text"},
		{"color out of range", map[string]any{"title": "t", "color": int64(0x1000000)}, "embed.color must be between"},
		{"field without value", map[string]any{"fields": []any{map[string]any{"name": "n"}}}, "embed.fields[1] needs a name and a value"},
		{"fields not a list", map[string]any{"fields": "x"}, "embed.fields must be a list"},
		{"empty", map[string]any{"footer": "f"}, "embed needs a title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := EmbedFromMap(tt.in)
			if tt.want == "" {
				if err != nil || e == nil {
					t.Fatalf("EmbedFromMap = %v, %v", e, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzEmbedFromMap: whatever table a script builds (here from JSON, as Lua
// tables arrive: strings, float64, bool, lists, maps), EmbedFromMap returns
// an embed within Discord's limits or an error, and never panics.
func FuzzEmbedFromMap(f *testing.F) {
	f.Add(`{"title":"Live","color":255,"fields":[{"name":"a","value":"b","inline":true}]}`)
	f.Add(`{"description":"x","color":1e300}`)
	f.Add(`{"fields":[1,"x",{"name":{}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		e, err := EmbedFromMap(m)
		if err != nil {
			return
		}
		if len([]rune(e.Title)) > maxEmbedTitle || len(e.Fields) > maxEmbedFields || e.Color < 0 || e.Color > 0xFFFFFF {
			t.Fatalf("accepted an embed over Discord's limits: %+v", e)
		}
	})
}
