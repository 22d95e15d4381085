package discord

import (
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
