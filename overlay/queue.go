package overlay

import (
	"encoding/json"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// board is one overlay's live state: its open pages and its alert queue.
// Every field is guarded by Manager.mu.
//
// The queue is a small state machine. An alert is sent to the pages only when
// nothing is on screen, the queue is not paused, the pause after the previous
// alert is over and at least one browser source (not a panel preview) is open.
// It is "shown" when a page says it is on screen (or after AckWait, so a page
// that never answers cannot stall the queue), and done Duration seconds later
// or when skipped. If the last browser source closes before the alert was
// shown, it goes back to the head of the queue.
type board struct {
	name     string
	clients  map[*client]struct{}
	queue    []*Alert
	cur      *showing
	history  []*Alert
	paused   bool
	gap      bool
	gapTimer *time.Timer
	data     map[string][]byte // last overlay.send message per data id
	dataKeys []string          // in the order first sent
}

type showing struct {
	a     *Alert
	shown bool
	timer *time.Timer
}

func (s *showing) stop() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// maxDataKeys bounds the overlay.send values a board keeps for new pages.
const maxDataKeys = 32

func (m *Manager) boardLocked(name string) *board {
	b := m.boards[name]
	if b == nil {
		b = &board{name: name, clients: map[*client]struct{}{}, data: map[string][]byte{}}
		m.boards[name] = b
	}
	return b
}

// sources counts the open pages that are browser sources, not previews.
func (b *board) sources() int {
	n := 0
	for c := range b.clients {
		if !c.preview {
			n++
		}
	}
	return n
}

func (b *board) broadcast(msg []byte, previews bool) {
	for c := range b.clients {
		if previews || !c.preview {
			c.send(msg)
		}
	}
}

func (b *board) remember(key string, msg []byte) {
	if _, ok := b.data[key]; !ok {
		if len(b.dataKeys) >= maxDataKeys {
			delete(b.data, b.dataKeys[0])
			b.dataKeys = b.dataKeys[1:]
		}
		b.dataKeys = append(b.dataKeys, key)
	}
	b.data[key] = msg
}

func alertMessage(a *Alert) []byte {
	msg, _ := json.Marshal(map[string]any{"type": "alert", "alert": a})
	return msg
}

// advanceLocked sends the next alert when the overlay is free for it.
func (m *Manager) advanceLocked(b *board) {
	if m.closed || b.cur != nil || b.gap || b.paused || len(b.queue) == 0 || b.sources() == 0 {
		return
	}
	a := b.queue[0]
	b.queue[0] = nil
	b.queue = b.queue[1:]
	s := &showing{a: a}
	b.cur = s
	b.broadcast(alertMessage(a), true)
	s.timer = time.AfterFunc(m.cfg.AckWait, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if b.cur == s && !s.shown {
			m.log.Debug("no page confirmed the alert on screen; counting it as shown", "overlay", b.name, "id", a.ID)
			m.shownLocked(b, s)
		}
	})
}

// shownLocked marks the alert on screen and starts its duration.
func (m *Manager) shownLocked(b *board, s *showing) {
	s.stop()
	s.shown = true
	m.emit(EventShown, s.a, nil)
	s.timer = time.AfterFunc(time.Duration(s.a.Duration*float64(time.Second)), func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if b.cur == s {
			m.finishLocked(b, s, false)
		}
	})
}

// finishLocked ends the alert on screen and, after the gap, sends the next.
func (m *Manager) finishLocked(b *board, s *showing, skipped bool) {
	s.stop()
	b.cur = nil
	end, _ := json.Marshal(map[string]any{"type": "end", "id": s.a.ID})
	b.broadcast(end, true)
	b.history = append(b.history, s.a)
	if over := len(b.history) - m.cfg.History; over > 0 {
		b.history = append([]*Alert(nil), b.history[over:]...)
	}
	m.emit(EventDone, s.a, map[string]any{"skipped": skipped, "shown": s.shown})
	b.gap = true
	b.gapTimer = time.AfterFunc(m.cfg.Gap, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		b.gap = false
		m.advanceLocked(b)
	})
}

// pageAck handles a page saying that an alert is on screen.
func (m *Manager) pageAck(b *board, c *client, id string) {
	if c.preview {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.cur != nil && b.cur.a.ID == id && !b.cur.shown {
		m.shownLocked(b, b.cur)
	}
}

// join adds an open page and sends it the greeting and the kept data.
func (m *Manager) join(b *board, c *client, hello []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	b.clients[c] = struct{}{}
	c.send(hello)
	for _, k := range b.dataKeys {
		c.send(b.data[k])
	}
	if b.cur != nil && c.preview {
		c.send(alertMessage(b.cur.a))
	}
	m.advanceLocked(b)
	return true
}

// leave removes a page. When no browser source is left and the alert sent
// was not on screen yet, it goes back to the head of the queue.
func (m *Manager) leave(b *board, c *client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := b.clients[c]; !ok {
		return
	}
	delete(b.clients, c)
	if s := b.cur; s != nil && !s.shown && b.sources() == 0 {
		s.stop()
		b.cur = nil
		b.queue = append([]*Alert{s.a}, b.queue...)
		end, _ := json.Marshal(map[string]any{"type": "end", "id": s.a.ID})
		b.broadcast(end, true)
	}
}

func (m *Manager) emit(typ string, a *Alert, extra map[string]any) {
	data := map[string]any{
		"id": a.ID, "overlay": a.Overlay, "kind": a.Kind, "title": a.Title, "text": a.Text,
		"module": a.Module, "duration": a.Duration,
	}
	for k, v := range extra {
		data[k] = v
	}
	if err := m.cfg.Bus.Emit(&engine.Event{Type: typ, Data: data, Source: engine.SourceOverlay}); err != nil {
		m.log.Warn("overlay event refused", "type", typ, "err", err)
	}
}
