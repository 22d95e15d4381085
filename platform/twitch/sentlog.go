package twitch

import (
	"sync"
	"time"
)

// sentLog remembers the chat lines the client sent recently, so that their
// echo from EventSub can be marked data.from_bot. It matters when the bot
// chats from the broadcaster's own account: the login cannot tell the
// streamer's lines from the bot's. Lines are recorded before they are posted,
// because the echo can arrive before Helix answers.
type sentLog struct {
	mu    sync.Mutex
	lines []sentLine
}

type sentLine struct {
	text string
	at   time.Time
}

const (
	sentLogSize = 64
	sentLogTTL  = 30 * time.Second
)

func (l *sentLog) add(text string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= sentLogSize {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, sentLine{text, now})
}

// take reports whether text was sent within the TTL and forgets that send, so
// the same words typed later by a person are not taken for the bot's.
func (l *sentLog) take(text string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.lines {
		if s.text == text && now.Sub(s.at) < sentLogTTL {
			l.lines = append(l.lines[:i], l.lines[i+1:]...)
			return true
		}
	}
	return false
}
