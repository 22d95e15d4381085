package twitch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// SendMessage sends text to the channel's chat through the rate-limited
// queue. Text longer than MaxMessage characters is split at word
// boundaries into several messages. It blocks until every part is sent
// (or failed), ctx is done, or Run ends; when the queue has no room it
// returns ErrQueueFull at once. Nothing is dropped silently.
func (c *Client) SendMessage(ctx context.Context, text string) error {
	return c.enqueue(ctx, text, "")
}

// Reply sends text as a reply to the chat message parentMessageID (an
// event's message_id), through the same queue as SendMessage.
func (c *Client) Reply(ctx context.Context, parentMessageID, text string) error {
	if parentMessageID == "" {
		return errors.New("twitch: reply: no parent message id")
	}
	return c.enqueue(ctx, text, parentMessageID)
}

// chatMsg is one SendMessage call: its parts share the failure flag, so a
// failed part stops the rest.
type chatMsg struct {
	ctx    context.Context
	failed atomic.Bool
}

type chatItem struct {
	msg     *chatMsg
	text    string
	replyTo string
	done    chan error // buffered, 1
}

type chatQueue struct {
	c     *Client
	mu    sync.Mutex // producers: makes "room for all parts" + enqueue atomic
	items chan *chatItem
	win   window
	wake  chan struct{} // the limit changed: re-check the window now
	// waiting is true while the sender holds a message back for the limit.
	waiting atomic.Bool
}

func newChatQueue(c *Client) *chatQueue {
	return &chatQueue{c: c, items: make(chan *chatItem, c.cfg.QueueSize), win: window{span: c.cfg.ChatWindow},
		wake: make(chan struct{}, 1)}
}

// limitChanged wakes a sender that waits for the window.
func (q *chatQueue) limitChanged() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (c *Client) enqueue(ctx context.Context, text, replyTo string) error {
	if _, err := c.requireReady(); err != nil {
		return err
	}
	parts := splitMessage(text, c.cfg.MaxMessage)
	if len(parts) == 0 {
		return errors.New("twitch: empty chat message")
	}
	q := c.queue
	msg := &chatMsg{ctx: ctx}
	items := make([]*chatItem, len(parts))
	for i, p := range parts {
		items[i] = &chatItem{msg: msg, text: p, replyTo: replyTo, done: make(chan error, 1)}
	}
	q.mu.Lock()
	if len(q.items)+len(items) > cap(q.items) {
		q.mu.Unlock()
		return fmt.Errorf("%w (%d waiting, %d parts)", ErrQueueFull, len(q.items), len(items))
	}
	for _, it := range items {
		q.items <- it
	}
	q.mu.Unlock()
	for _, it := range items {
		select {
		case err := <-it.done:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			msg.failed.Store(true)
			return ctx.Err()
		case <-c.done:
			return ErrNotConnected
		}
	}
	return nil
}

// run is the queue's single sender: it keeps Twitch's window limit and
// sends parts in order.
func (q *chatQueue) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			q.drain()
			return
		case it := <-q.items:
			q.send(ctx, it)
		}
	}
}

func (q *chatQueue) drain() {
	for {
		select {
		case it := <-q.items:
			it.done <- ErrNotConnected
		default:
			return
		}
	}
}

func (q *chatQueue) send(ctx context.Context, it *chatItem) {
	if it.msg.failed.Load() {
		it.done <- errors.New("twitch: earlier part of the message failed")
		return
	}
	if err := it.msg.ctx.Err(); err != nil {
		it.done <- err
		return
	}
	for {
		limit := q.c.cfg.ChatLimit
		if q.c.botIsMod.Load() {
			limit = q.c.cfg.ChatModLimit
		}
		wait := q.win.wait(q.c.cfg.Now(), limit)
		if wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		q.waiting.Store(true)
		select {
		case <-ctx.Done():
			t.Stop()
			q.waiting.Store(false)
			it.done <- ErrNotConnected
			return
		case <-it.msg.ctx.Done():
			t.Stop()
			q.waiting.Store(false)
			it.done <- it.msg.ctx.Err()
			return
		case <-q.wake:
			t.Stop()
		case <-t.C:
		}
		q.waiting.Store(false)
	}
	q.win.record(q.c.cfg.Now())
	q.c.sent.add(it.text, q.c.cfg.Now())
	err := q.c.postChat(it.msg.ctx, it.text, it.replyTo)
	if err != nil {
		it.msg.failed.Store(true)
		q.c.log.Warn("twitch chat message failed", "err", err)
	}
	it.done <- err
}

// window is a sliding-window rate limit: at most limit sends in any span.
// It is used by the queue's single goroutine only.
type window struct {
	span time.Duration
	sent []time.Time // send times within the last span, oldest first
}

// wait says how long from now until one more send fits under limit.
func (w *window) wait(now time.Time, limit int) time.Duration {
	cut := now.Add(-w.span)
	i := 0
	for i < len(w.sent) && !w.sent[i].After(cut) {
		i++
	}
	w.sent = w.sent[i:]
	if len(w.sent) < limit {
		return 0
	}
	return w.sent[len(w.sent)-limit].Add(w.span).Sub(now)
}

func (w *window) record(now time.Time) {
	w.sent = append(w.sent, now)
	if len(w.sent) > 1000 { // never more than any limit we use
		w.sent = append([]time.Time(nil), w.sent[len(w.sent)-1000:]...)
	}
}

// splitMessage trims text and cuts it into parts of at most max
// characters (runes), at the last whitespace before the limit; a word
// longer than max is cut hard. No part is empty or starts/ends with space.
func splitMessage(text string, max int) []string {
	text = strings.TrimSpace(text)
	var parts []string
	for text != "" {
		if utf8.RuneCountInString(text) <= max {
			parts = append(parts, text)
			break
		}
		cut, n, lastSpace := 0, 0, -1
		for i, r := range text {
			if n == max {
				cut = i
				if unicode.IsSpace(r) {
					lastSpace = i
				}
				break
			}
			if unicode.IsSpace(r) {
				lastSpace = i
			}
			n++
		}
		if lastSpace > 0 {
			cut = lastSpace
		}
		parts = append(parts, strings.TrimRightFunc(text[:cut], unicode.IsSpace))
		text = strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
	}
	return parts
}
