package engine

import (
	"sync"
	"time"
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
// and GET /api/chat, and emits each as an "engine.chat.sent" event.
type ChatSink struct {
	mu   sync.Mutex
	buf  []ChatMessage
	next int
	full bool
	bus  *Bus
}

// NewChatSink keeps the last size messages; bus may be nil.
func NewChatSink(size int, bus *Bus) *ChatSink {
	if size <= 0 {
		size = 200
	}
	return &ChatSink{buf: make([]ChatMessage, size), bus: bus}
}

// Add records m.
func (c *ChatSink) Add(m ChatMessage) {
	if m.At.IsZero() {
		m.At = time.Now()
	}
	c.mu.Lock()
	c.buf[c.next] = m
	c.next = (c.next + 1) % len(c.buf)
	if c.next == 0 {
		c.full = true
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
	var out []ChatMessage
	if c.full {
		out = append(out, c.buf[c.next:]...)
	}
	out = append(out, c.buf[:c.next]...)
	return out
}
