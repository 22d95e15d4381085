package engine_test

import (
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// What the chat sink keeps is bounded per message and in total, whatever is
// added: the panel's GET /api/chat returns at most that.
func TestChatSinkIsBounded(t *testing.T) {
	c := engine.NewChatSink(200, nil)
	huge := strings.Repeat("é", 1<<20) // 2 MiB of two-byte runes
	for i := 0; i < 20; i++ {
		c.Add(engine.ChatMessage{Module: "m", Text: huge, ReplyTo: huge})
	}
	msgs := c.Recent()
	total := 0
	for _, m := range msgs {
		if len(m.Text) > engine.MaxChatText || len(m.ReplyTo) > 128 {
			t.Fatalf("kept a message of %d bytes (reply id %d)", len(m.Text), len(m.ReplyTo))
		}
		if !strings.HasSuffix(m.Text, "…") || !strings.HasPrefix(m.Text, "éé") || strings.ContainsRune(m.Text, '\uFFFD') {
			t.Fatalf("a cut text is not marked or splits a rune: %q", m.Text[len(m.Text)-8:])
		}
		total += len(m.Text)
	}
	if len(msgs) != 20 || total > engine.MaxChatBytes {
		t.Fatalf("kept %d messages, %d bytes", len(msgs), total)
	}
	for i := 0; i < 100; i++ {
		c.Add(engine.ChatMessage{Module: "m", Text: huge})
	}
	total = 0
	for _, m := range c.Recent() {
		total += len(m.Text)
	}
	if total > engine.MaxChatBytes {
		t.Fatalf("kept %d bytes, over %d", total, engine.MaxChatBytes)
	}
	// small messages: the newest size of them, oldest first
	c = engine.NewChatSink(3, nil)
	for _, s := range []string{"a", "b", "c", "d"} {
		c.Add(engine.ChatMessage{Text: s})
	}
	var got []string
	for _, m := range c.Recent() {
		got = append(got, m.Text)
	}
	if strings.Join(got, "") != "bcd" {
		t.Fatalf("kept %v", got)
	}
}
