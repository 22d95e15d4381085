package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
)

// WSMessage is one message of the live feed (GET /api/ws).
//
//   - kind "hello": sent first; Pattern is the client's filter.
//   - kind "event": an event that matches the client's filter; Unhandled
//     when no module listens to its type (engine.* events are never marked).
//   - kind "module": a module changed (loaded, reloaded, failed, unloaded,
//     installed, hot reload included); Module is its state now, nil when it is
//     gone. Sent to every client whatever its filter.
//   - kind "connections": the Twitch or OBS connection changed; Connections
//     is their state now (as GET /api/connections). Sent to every client.
type WSMessage struct {
	Kind    string              `json:"kind"`
	Event   *engine.Event       `json:"event,omitempty"`
	Change  string              `json:"change,omitempty"`
	Name    string              `json:"name,omitempty"`
	Module  *engine.ModuleState `json:"module,omitempty"`
	Totals  *Totals             `json:"totals,omitempty"`
	Pattern string              `json:"pattern,omitempty"`

	Unhandled bool `json:"unhandled,omitempty"`

	Connections *connections.Status `json:"connections,omitempty"`
}

// wsControl is what a client may send: a new filter.
type wsControl struct {
	Pattern *string `json:"pattern"`
}

const (
	wsSendBuffer = 512
	wsHubBuffer  = 8192
	wsWriteWait  = 5 * time.Second
	wsPing       = 30 * time.Second
	wsMaxRead    = 4 << 10
)

// hub fans bus events out to WebSocket clients. The bus runs the hub's handler
// on a goroutine per event; the handler only queues, and one goroutine builds
// messages in order, so a module's state is always read after the change that
// announced it.
type hub struct {
	bus  *engine.Bus
	reg  *engine.Registry
	log  *slog.Logger
	sub  *engine.Subscription
	in   chan *engine.Event
	quit chan struct{}
	once sync.Once
	done chan struct{}

	mu  sync.Mutex
	cls map[*wsClient]struct{}

	dropped atomic.Uint64
}

func newHub(bus *engine.Bus, reg *engine.Registry, log *slog.Logger) (*hub, error) {
	h := &hub{bus: bus, reg: reg, log: log, in: make(chan *engine.Event, wsHubBuffer),
		quit: make(chan struct{}), done: make(chan struct{}), cls: map[*wsClient]struct{}{}}
	sub, err := bus.Subscribe(&engine.Subscription{Patterns: []string{"*"}, Priority: -1000, Where: "web: live feed",
		Handler: func(e *engine.Event) error {
			select {
			case h.in <- e:
			default:
				h.dropped.Add(1)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	h.sub = sub
	go h.run()
	return h, nil
}

func (h *hub) run() {
	defer close(h.done)
	for {
		select {
		case <-h.quit:
			return
		case e := <-h.in:
			h.dispatch(e)
		}
	}
}

func (h *hub) dispatch(e *engine.Event) {
	var evMsg, modMsg []byte
	if strings.HasPrefix(e.Type, "engine.module.") {
		name, _ := e.Data["module"].(string)
		m := WSMessage{Kind: "module", Change: e.Type, Name: name}
		if st, ok := h.reg.Module(name); ok {
			m.Module = &st
		}
		t := totals(h.reg.Modules())
		m.Totals = &t
		modMsg, _ = json.Marshal(m)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.cls {
		if modMsg != nil {
			c.queue(modMsg, h)
		}
		if c.matches(e.Type) {
			if evMsg == nil {
				var err error
				unhandled := !strings.HasPrefix(e.Type, "engine.") && !h.bus.HasTarget(e.Type)
				if evMsg, err = json.Marshal(WSMessage{Kind: "event", Event: e, Unhandled: unhandled}); err != nil {
					h.log.Warn("live feed: event cannot be encoded", "type", e.Type, "err", err)
					return
				}
			}
			c.queue(evMsg, h)
		}
	}
}

func (h *hub) add(c *wsClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.quit:
		return false
	default:
	}
	h.cls[c] = struct{}{}
	return true
}

func (h *hub) remove(c *wsClient) {
	h.mu.Lock()
	delete(h.cls, c)
	h.mu.Unlock()
}

func (h *hub) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.cls)
}

func (h *hub) close() {
	h.once.Do(func() {
		h.bus.Unsubscribe(h.sub)
		h.mu.Lock()
		close(h.quit)
		for c := range h.cls {
			c.close()
		}
		h.mu.Unlock()
		<-h.done
	})
}

type wsClient struct {
	conn     *websocket.Conn
	send     chan []byte
	stop     chan struct{}
	stopOnce sync.Once

	mu       sync.RWMutex
	patterns []engine.Glob
}

func (c *wsClient) close() { c.stopOnce.Do(func() { close(c.stop) }) }

// queue hands msg to the client's writer; a client too slow to keep up loses
// messages (counted) rather than slowing the feed for everyone.
func (c *wsClient) queue(msg []byte, h *hub) {
	select {
	case c.send <- msg:
	default:
		h.dropped.Add(1)
	}
}

func (c *wsClient) setPattern(p string) error {
	ps, err := parsePatterns(p)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.patterns = ps
	c.mu.Unlock()
	return nil
}

func (c *wsClient) matches(typ string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.patterns) == 0 {
		return true
	}
	for i := range c.patterns {
		if c.patterns[i].Match(typ) {
			return true
		}
	}
	return false
}

// parsePatterns splits a comma-separated filter ("twitch.*,obs.*"); empty means
// every event.
func parsePatterns(s string) ([]engine.Glob, error) {
	var out []engine.Glob
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := engine.ValidatePattern(p); err != nil {
			return nil, err
		}
		out = append(out, engine.CompileGlob(p))
	}
	if len(out) > 32 {
		return nil, errTooManyPatterns
	}
	return out, nil
}

var errTooManyPatterns = errors.New("at most 32 patterns in one filter")

func (s *Server) upgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize: 1024, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			if o == "" {
				return true
			}
			u, err := url.Parse(o)
			return err == nil && s.hostAllowed(u.Host)
		},
	}
}

func (s *Server) websocket(c echo.Context) error {
	r := c.Request()
	if !isWebSocket(r) {
		return fail(http.StatusBadRequest, "this is the WebSocket feed: connect with a WebSocket client")
	}
	cl := &wsClient{send: make(chan []byte, wsSendBuffer), stop: make(chan struct{})}
	pattern := r.URL.Query().Get("pattern")
	if err := cl.setPattern(pattern); err != nil {
		return fail(http.StatusBadRequest, "query \"pattern\": %v", err)
	}
	conn, err := s.upgrader().Upgrade(c.Response(), r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	cl.conn = conn
	conn.SetReadLimit(wsMaxRead)
	hello, _ := json.Marshal(WSMessage{Kind: "hello", Pattern: pattern})
	cl.send <- hello
	if !s.hub.add(cl) {
		conn.Close()
		return nil
	}
	go s.wsReader(cl)
	s.wsWriter(cl)
	return nil
}

func (s *Server) wsReader(cl *wsClient) {
	defer cl.close()
	for {
		_, data, err := cl.conn.ReadMessage()
		if err != nil {
			return
		}
		var ctl wsControl
		if err := json.Unmarshal(data, &ctl); err != nil || ctl.Pattern == nil {
			continue
		}
		if err := cl.setPattern(*ctl.Pattern); err == nil {
			msg, _ := json.Marshal(WSMessage{Kind: "hello", Pattern: *ctl.Pattern})
			cl.queue(msg, s.hub)
		}
	}
}

func (s *Server) wsWriter(cl *wsClient) {
	ping := time.NewTicker(wsPing)
	defer func() {
		ping.Stop()
		s.hub.remove(cl)
		cl.close()
		cl.conn.Close()
	}()
	for {
		select {
		case <-cl.stop:
			_ = cl.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closing"), time.Now().Add(time.Second))
			return
		case msg := <-cl.send:
			_ = cl.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := cl.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ping.C:
			if err := cl.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				return
			}
		}
	}
}
