package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andreykaipov/goobs"
	"github.com/andreykaipov/goobs/api"
	"github.com/andreykaipov/goobs/api/events"
	"github.com/andreykaipov/goobs/api/events/subscriptions"
	"github.com/andreykaipov/goobs/api/opcodes"
	"github.com/gorilla/websocket"
)

// session is one live goobs connection. It ends (lost closes) on the first of:
// a read error on the socket, goobs closing its event channel, a request
// timing out (goobs cannot match later answers after that), OBS announcing
// its exit, or Run's context ending. A new connection is a new session.
type session struct {
	gc      *goobs.Client
	api     *api.Client
	timeout time.Duration
	log     *slog.Logger

	sem      chan struct{} // one request at a time, as goobs requires
	pressure bool          // hold goobs' reader back (see waitForRoom)

	netMu sync.Mutex
	nc    net.Conn

	lost     chan struct{}
	lostOnce sync.Once
	reason   string // why lost closed; written before close(lost)

	drained chan struct{} // closed when drain has pushed its last item

	// Events are drained from the moment the connection is up, but held
	// in pending until the session goes live (after obs.connected is queued).
	gateMu  sync.Mutex
	q       *queue // nil until live
	pending []item

	// events is goobs' event channel, once goobs.New has returned; room is
	// poked by drain whenever it took an event (see watchedConn.Read).
	events     atomic.Pointer[chan any]
	room       chan struct{}
	identified atomic.Bool   // goobs logged Identified: events may follow
	hello      atomic.Bool   // goobs logged Hello: the server speaks obs-websocket 5
	closeCode  atomic.Int64  // the close code goobs saw while connecting (0: none)
	draining   chan struct{} // closed when drain has started

	readerOnce sync.Once
	readerDone chan struct{} // closed when goobs' socket reader has returned
}

// dial opens a session: TCP, websocket, obs-websocket identification.
// With pressure, goobs' reader is held back until drain runs and whenever
// goobs' event channel fills up (see waitForRoom); without it (tests that
// read goobs' channel themselves) the goobs client behaves as it would alone.
func dial(ctx context.Context, cfg *Config, log *slog.Logger, pressure bool) (*session, error) {
	s := &session{
		pressure:   pressure,
		timeout:    cfg.RequestTimeout,
		log:        log,
		sem:        make(chan struct{}, 1),
		lost:       make(chan struct{}),
		drained:    make(chan struct{}),
		readerDone: make(chan struct{}),
		room:       make(chan struct{}, 1),
		draining:   make(chan struct{}),
	}
	dialer := &websocket.Dialer{
		HandshakeTimeout: cfg.RequestTimeout,
		ReadBufferSize:   readBufferSize,
		NetDialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
			dctx, cancel := context.WithCancel(dctx)
			defer cancel()
			stop := context.AfterFunc(ctx, cancel)
			defer stop()
			var d net.Dialer
			nc, err := d.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := &watchedConn{Conn: nc, s: s}
			s.netMu.Lock()
			s.nc = tc
			s.netMu.Unlock()
			return tc, nil
		},
	}

	type result struct {
		gc  *goobs.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		gc, err := goobs.New(cfg.Addr,
			goobs.WithPassword(cfg.Password),
			goobs.WithDialer(dialer),
			goobs.WithLogger(goobsLogger{l: log, s: s}),
			// goobs multiplies this by time.Millisecond.
			goobs.WithResponseTimeout(time.Duration(cfg.RequestTimeout.Milliseconds())),
			goobs.WithEventSubscriptions(subscriptions.General|subscriptions.Config|
				subscriptions.Scenes|subscriptions.Inputs|subscriptions.Outputs|subscriptions.SceneItems),
		)
		done <- result{gc, err}
	}()

	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// goobs.New has no context: cut the socket and let it return.
		s.end("shutdown")
		s.closeNet()
		go func() {
			if r := <-done; r.gc != nil {
				s.gc = r.gc
				s.api, _ = apiClientOf(r.gc)
				s.teardown()
			}
		}()
		return nil, ctx.Err()
	}
	if r.err != nil {
		// goobs leaves the socket open when identification times out.
		s.end("connection failed")
		s.closeNet()
		silent := !s.hello.Load() && strings.Contains(r.err.Error(), "timeout waiting for authentication")
		return nil, dialError(cfg.Addr, r.err, silent, int(s.closeCode.Load()))
	}
	s.gc = r.gc
	a, err := apiClientOf(r.gc)
	if err != nil {
		s.close()
		return nil, err
	}
	s.api = a
	return s, nil
}

// end marks the session lost with reason; later calls do nothing.
func (s *session) end(reason string) {
	s.lostOnce.Do(func() {
		s.reason = reason
		close(s.lost)
	})
}

func (s *session) isLost() bool {
	select {
	case <-s.lost:
		return true
	default:
		return false
	}
}

func (s *session) closeNet() {
	s.netMu.Lock()
	nc := s.nc
	s.netMu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
}

// close releases the connection in the background (see teardown).
func (s *session) close() {
	s.end("closed")
	go s.teardown()
}

// teardown releases the goobs client without tripping goobs v1.6.0's
// shutdown races. Its Disconnect closes the channels that its socket reader
// (Opcodes) and its opcode handler (IncomingEvents) send on, which panics
// ("send on closed channel") if a message is in flight at that moment. So:
//
//  1. the socket is closed, so the reader stops reading;
//  2. goobs' answer channel is drained, so the handler cannot stay blocked;
//  3. once the reader has returned, a no-op opcode is handed to the handler:
//     when it takes it, it has finished the message before;
//  4. only then Disconnect closes goobs' channels.
//
// If a step does not finish within the request timeout, goobs' goroutines
// are left behind rather than risk the panic.
func (s *session) teardown() {
	s.closeNet()
	if s.gc == nil || s.api == nil {
		return
	}
	go func() {
		// Until goobs closes it, in Disconnect.
		for range s.api.IncomingResponses {
		}
	}()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case <-s.readerDone:
	case <-t.C:
		s.log.Debug("goobs' socket reader did not stop; leaving its goroutines")
		return
	}
	select {
	case <-s.api.Disconnected:
		return // goobs shut itself down (the server sent a close frame)
	default:
	}
	// Only Disconnect (below) can close Opcodes now that the reader is gone.
	select {
	case s.api.Opcodes <- &opcodes.Reidentify{}:
	case <-t.C:
		s.log.Debug("goobs' opcode handler did not stop; leaving its goroutines")
		return
	}
	_ = s.gc.Disconnect()
}

// goLive queues the events drained so far, after whatever q holds now (the
// obs.connected marker), and sends later ones straight to q.
func (s *session) goLive(q *queue) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	for _, it := range s.pending {
		q.push(it)
	}
	s.pending = nil
	s.q = q
}

// deliver queues it, or holds it until the session is live. Only drain
// calls it, so items keep their order.
func (s *session) deliver(it item) bool {
	s.gateMu.Lock()
	q := s.q
	if q == nil {
		defer s.gateMu.Unlock()
		if it.kind == kindEvent && len(s.pending) >= maxQueue {
			return false
		}
		s.pending = append(s.pending, it)
		return true
	}
	s.gateMu.Unlock()
	return q.push(it)
}

// drain moves goobs' events to the queue as fast as they come. goobs'
// channel holds 100 events and drops the oldest when full, so this loop does
// nothing else, and starts as soon as the connection is up. It queues the
// kindDisconnected marker last, after the session is lost; a session that
// never went live queues nothing.
func (s *session) drain(onDrop func()) {
	defer close(s.drained)
	in := s.gc.IncomingEvents
	s.events.Store(&s.gc.IncomingEvents)
	close(s.draining)
	push := func(ev any) {
		if ev == nil { // an event type goobs does not know
			return
		}
		if _, ok := ev.(*events.ExitStarted); ok {
			s.end("OBS is exiting")
		}
		if !s.deliver(item{kind: kindEvent, event: ev}) {
			onDrop()
		}
		select {
		case s.room <- struct{}{}:
		default:
		}
	}
loop:
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				s.end("connection closed")
				break loop
			}
			push(ev)
		case <-s.lost:
			// Keep what already arrived, then stop.
			for {
				select {
				case ev, ok := <-in:
					if !ok {
						break loop
					}
					push(ev)
				default:
					break loop
				}
			}
		}
	}
	<-s.lost
	s.deliver(item{kind: kindDisconnected, reason: s.reason})
}

// request sends one request and returns the raw response data.
func (s *session) request(ctx context.Context, name string, body json.RawMessage) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	select {
	case s.sem <- struct{}{}:
	case <-s.lost:
		return nil, fmt.Errorf("obs: %s: %w (%s)", name, ErrNotConnected, s.reason)
	case <-ctx.Done():
		return nil, fmt.Errorf("obs: %s: waiting for an earlier request: %w", name, ctx.Err())
	}

	type result struct {
		data json.RawMessage
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s.sem }()
		resp := &rawResponse{}
		err := s.api.SendRequest(&rawRequest{name: name, body: body}, resp)
		if err != nil {
			done <- result{err: s.requestError(name, err)}
			return
		}
		done <- result{data: resp.GetRaw()}
	}()

	select {
	case r := <-done:
		return r.data, r.err
	case <-s.lost:
		select {
		case r := <-done: // the answer (or the timeout that ended s) came first
			return r.data, r.err
		default:
		}
		return nil, fmt.Errorf("obs: %s: %w (%s)", name, ErrNotConnected, s.reason)
	case <-ctx.Done():
		return nil, fmt.Errorf("obs: %s: no answer: %w", name, ctx.Err())
	}
}

// requestError turns a goobs request error into ours.
func (s *session) requestError(name string, err error) error {
	msg := err.Error()
	if code, comment, ok := parseStatus(msg); ok {
		return &RequestError{RequestType: name, Code: code, Comment: comment}
	}
	switch {
	case strings.Contains(msg, "timeout waiting for response"):
		// goobs would hand this late answer to the next request: start over.
		s.end("request " + name + " timed out")
		return fmt.Errorf("obs: %s: no answer within %v: %w", name, s.timeout, context.DeadlineExceeded)
	case strings.Contains(msg, "already disconnected"):
		s.end("connection closed")
		return fmt.Errorf("obs: %s: %w", name, ErrNotConnected)
	}
	return fmt.Errorf("obs: %s: %w", name, err)
}

// watchedConn ends its session on the first read error, so that a dead OBS
// is noticed at once (goobs itself misses some socket errors).
type watchedConn struct {
	net.Conn
	s *session
}

func (c *watchedConn) Read(p []byte) (int, error) {
	c.s.waitForRoom()
	n, err := c.Conn.Read(p)
	if n > 0 {
		quickAck(c.Conn)
	}
	if err != nil {
		reason := "connection lost: " + err.Error()
		switch {
		case errors.Is(err, net.ErrClosed):
			reason = "connection closed"
		case err == io.EOF:
			// gorilla turns io.EOF into a close error, on which goobs
			// shuts itself down from its reader, racing its own handler
			// (see teardown). Any other error leaves that to teardown.
			reason = "OBS closed the connection"
			err = errPeerClosed
		}
		c.s.end(reason)
	}
	return n, err
}

var errPeerClosed = errors.New("obs: OBS closed the connection")

// Back-pressure on goobs' event channel. goobs drops the oldest of its 100
// buffered events when the channel is full, however briefly drain is not
// scheduled. So goobs' socket reader is given no more bytes between
// identification and the start of drain, nor while the channel holds more
// than eventHighWater events: one read of at most
// readBufferSize bytes holds at most readBufferSize/59 events (the smallest
// event message is about 59 bytes on the wire; a larger read is one frame,
// so one event), and 64 + 1024/59 + the two in goobs' hands < 100. OBS then
// waits on TCP flow control instead of losing events.
const (
	readBufferSize = 1024
	eventHighWater = 64
)

// waitForRoom blocks while goobs' event channel is fuller than
// eventHighWater, until drain has made room or the session is lost.
func (s *session) waitForRoom() {
	if !s.pressure {
		return
	}
	ch := s.events.Load()
	if ch == nil {
		if !s.identified.Load() {
			return // handshake: no events yet
		}
		// Events may come now, but nothing drains them yet.
		select {
		case <-s.draining:
			ch = s.events.Load()
		case <-s.lost:
			return
		}
	}
	for len(*ch) > eventHighWater {
		select {
		case <-s.room:
		case <-s.lost:
			return
		}
	}
}

// goobsLogger sends goobs' log lines to slog at debug level; TRACE lines
// (every raw message) are dropped before formatting.
type goobsLogger struct {
	l *slog.Logger
	s *session
}

// Lines goobs v1.6.0 logs that the session acts on: its socket reader
// returned; identification succeeded (events may follow); the server's Hello
// came; the server closed the connection (with its close error).
const (
	readerExit   = "[TRACE] Finished handling raw server messages"
	identifiedAs = "[INFO] Identified;"
	helloFrom    = "[INFO] Hello;"
	terminated   = "[DEBUG] Connection terminated:"
)

func (g goobsLogger) Printf(format string, args ...any) {
	switch {
	case format == readerExit:
		g.s.readerOnce.Do(func() { close(g.s.readerDone) })
		return
	case strings.HasPrefix(format, identifiedAs):
		g.s.identified.Store(true)
	case strings.HasPrefix(format, helloFrom):
		g.s.hello.Store(true)
	case strings.HasPrefix(format, terminated) && len(args) > 0:
		if ce, ok := args[0].(*websocket.CloseError); ok {
			g.s.closeCode.CompareAndSwap(0, int64(ce.Code))
		}
	}
	if strings.HasPrefix(format, "[TRACE]") || !g.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	g.l.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "from", "goobs")
}
