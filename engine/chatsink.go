package engine

import (
	"sync"
	"time"
	"unicode/utf8"
)

// ChatMessage is one message the bot sent (or would have sent, when offline).
type ChatMessage struct {
	At      time.Time `json:"at"`
	Module  string    `json:"module"`
	Text    string    `json:"text"`
	ReplyTo string    `json:"reply_to,omitempty"` // message id replied to
	Online  bool      `json:"online"`             // false: Twitch was not connected, nothing left the machine
}

// ChatSink keeps the last messages the bot sent, for the panel's chat console
// and GET /api/chat, and emits each as an "engine.chat.sent" event. What it
// keeps is bounded: a message's text keeps its first MaxChatText bytes (its
// module and reply id their first 128), and the oldest messages go once the
// kept texts pass MaxChatBytes. (20 messages of 64 MiB once held 0.94 GB,
// and one GET /api/chat returned all of it.)
type ChatSink struct {
	mu    sync.Mutex
	buf   []ChatMessage // oldest first
	size  int           // most messages kept
	bytes int           // text bytes kept
	bus   *Bus
}

// Bounds of what a ChatSink keeps.
const (
	MaxChatText  = 4 << 10
	MaxChatBytes = 256 << 10
)

// NewChatSink keeps the last size messages; bus may be nil.
func NewChatSink(size int, bus *Bus) *ChatSink {
	if size <= 0 {
		size = 200
	}
	return &ChatSink{size: size, bus: bus}
}

// Add records m.
func (c *ChatSink) Add(m ChatMessage) {
	if m.At.IsZero() {
		m.At = time.Now()
	}
	m.Text = clip(m.Text, MaxChatText)
	m.Module = clip(m.Module, 128)
	m.ReplyTo = clip(m.ReplyTo, 128)
	c.mu.Lock()
	c.buf = append(c.buf, m)
	c.bytes += len(m.Text)
	drop := 0
	for len(c.buf)-drop > c.size || (c.bytes > MaxChatBytes && len(c.buf)-drop > 1) {
		c.bytes -= len(c.buf[drop].Text)
		drop++
	}
	if drop > 0 {
		n := copy(c.buf, c.buf[drop:])
		clear(c.buf[n:])
		c.buf = c.buf[:n]
	}
	c.mu.Unlock()
	if c.bus != nil {
		_ = c.bus.Emit(&Event{Type: "engine.chat.sent", Source: "engine", Data: map[string]any{
			"module": m.Module, "text": m.Text, "reply_to": m.ReplyTo, "online": m.Online,
		}})
	}
}

// Recent returns the kept messages, oldest first.
func (c *ChatSink) Recent() []ChatMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ChatMessage(nil), c.buf...)
}

// clip keeps the first max bytes of s, not splitting a UTF-8 sequence, and
// marks the cut with "…".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && cut > max-8 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
