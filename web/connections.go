package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/starstreamer/starstreamer/connections"
)

// Connections is the engine's connection manager (package connections) as
// the panel drives it: the Twitch and OBS connections' state and changes.
type Connections interface {
	Status() connections.Status
	SetTwitch(ctx context.Context, clientID, channel string) error
	StartTwitchLogin(ctx context.Context) (connections.LoginCode, error)
	LogoutTwitch(ctx context.Context) error
	SetOBS(ctx context.Context, addr string, password *string) (connections.OBSStatus, error)
	DisconnectOBS() error
	// OnChange registers a function called after any state change; it
	// returns its removal.
	OnChange(fn func()) (remove func())
}

// TwitchSettingsRequest is the body of PUT /api/connections/twitch.
type TwitchSettingsRequest struct {
	ClientID string `json:"client_id"`
	Channel  string `json:"channel"`
}

// OBSSettingsRequest is the body of PUT /api/connections/obs. A missing
// password keeps the stored one; "" clears it.
type OBSSettingsRequest struct {
	Addr     string  `json:"addr"`
	Password *string `json:"password"`
}

// OBSConnectResponse answers PUT /api/connections/obs when OBS could not be
// reached: Error says why, OBS is the connection's state.
type OBSConnectResponse struct {
	Error string                `json:"error"`
	OBS   connections.OBSStatus `json:"obs"`
}

const maxConnectionsBody = 4 << 10

func (s *Server) conns() (Connections, error) {
	if s.cfg.Connections == nil {
		return nil, fail(http.StatusNotFound, "this engine does not manage its connections from the panel")
	}
	return s.cfg.Connections, nil
}

// connError turns a refusal of the manager into an HTTP error.
func connError(err error) error {
	var ce *connections.ConflictError
	var ie *connections.InputError
	switch {
	case errors.As(err, &ce), errors.Is(err, connections.ErrNotConfigured):
		return fail(http.StatusConflict, "%s", err.Error())
	case errors.As(err, &ie):
		return fail(http.StatusBadRequest, "%s", err.Error())
	default:
		return fail(http.StatusBadGateway, "%s", err.Error())
	}
}

func (s *Server) getConnections(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m.Status())
}

func (s *Server) putTwitch(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	var req TwitchSettingsRequest
	if err := decodeJSON(c, maxConnectionsBody, &req); err != nil {
		return err
	}
	if err := m.SetTwitch(c.Request().Context(), req.ClientID, req.Channel); err != nil {
		return connError(err)
	}
	return c.JSON(http.StatusOK, m.Status().Twitch)
}

func (s *Server) twitchLogin(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	code, err := m.StartTwitchLogin(c.Request().Context())
	if err != nil {
		return connError(err)
	}
	return c.JSON(http.StatusOK, code)
}

func (s *Server) deleteTwitch(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	if err := m.LogoutTwitch(c.Request().Context()); err != nil {
		return connError(err)
	}
	return c.JSON(http.StatusOK, m.Status().Twitch)
}

// putOBS connects to OBS with the given address and password. It answers
// 200 once connected, 202 while the first attempt is still going, and 502
// with the reason when OBS could not be reached (the engine keeps trying).
func (s *Server) putOBS(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	var req OBSSettingsRequest
	if err := decodeJSON(c, maxConnectionsBody, &req); err != nil {
		return err
	}
	st, err := m.SetOBS(c.Request().Context(), req.Addr, req.Password)
	if err != nil {
		return connError(err)
	}
	switch st.State {
	case connections.StateConnected:
		return c.JSON(http.StatusOK, st)
	case connections.StateError:
		return c.JSON(http.StatusBadGateway, OBSConnectResponse{Error: st.LastError, OBS: st})
	default:
		return c.JSON(http.StatusAccepted, st)
	}
}

func (s *Server) deleteOBS(c echo.Context) error {
	m, err := s.conns()
	if err != nil {
		return err
	}
	if err := m.DisconnectOBS(); err != nil {
		return connError(err)
	}
	return c.JSON(http.StatusOK, m.Status().OBS)
}

// connectionsFeed sends the connections' state to every WebSocket client
// whenever it changes (coalescing bursts), until the hub closes.
func (h *hub) connectionsFeed(m Connections) {
	wake := make(chan struct{}, 1)
	remove := m.OnChange(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	go func() {
		defer remove()
		var last []byte
		for {
			select {
			case <-h.quit:
				return
			case <-wake:
			}
			st := m.Status()
			msg, err := json.Marshal(WSMessage{Kind: "connections", Connections: &st})
			if err != nil || string(msg) == string(last) {
				continue
			}
			last = msg
			h.broadcast(msg)
		}
	}()
}

// broadcast queues msg for every client, whatever its filter.
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.cls {
		c.queue(msg, h)
	}
}
