package twitchtest

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// ---- raids, markers, commercials, roles ----

func (s *Server) handleRaids(w http.ResponseWriter, r *http.Request, tok Token) {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		if !need(w, r, "from_broadcaster_id", "to_broadcaster_id") || !asBroadcaster(w, q.Get("from_broadcaster_id"), tok) {
			return
		}
		if q.Get("from_broadcaster_id") == q.Get("to_broadcaster_id") {
			writeError(w, http.StatusBadRequest, "The broadcaster may not raid themselves.")
			return
		}
		if !s.knownUser(w, "to_broadcaster_id", q.Get("to_broadcaster_id")) {
			return
		}
		s.mu.Lock()
		if s.act.raid != nil {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, "The broadcaster is already in the process of raiding another channel.")
			return
		}
		s.act.raid = map[string]any{"created_at": stamp(time.Now()), "is_mature": false}
		raid := s.act.raid
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{raid}})
	case http.MethodDelete:
		if !asBroadcaster(w, q.Get("broadcaster_id"), tok) {
			return
		}
		s.mu.Lock()
		pending := s.act.raid != nil
		s.act.raid = nil
		s.mu.Unlock()
		if !pending {
			writeError(w, http.StatusNotFound, "The broadcaster doesn't have a pending raid to cancel.")
			return
		}
		writeNoContent(w)
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) handleMarkers(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	var body struct {
		UserID      string `json:"user_id"`
		Description string `json:"description"`
	}
	if !decode(w, r, &body) || !asBroadcaster(w, body.UserID, tok) {
		return
	}
	if utf8.RuneCountInString(body.Description) > 140 {
		writeError(w, http.StatusBadRequest, "The description may contain at most 140 characters.")
		return
	}
	s.mu.Lock()
	st, live := s.streams[body.UserID]
	if !live {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "The user in the user_id query parameter is not streaming live.")
		return
	}
	m := map[string]any{"id": newID(), "created_at": stamp(time.Now()), "description": body.Description,
		"position_seconds": int(time.Since(st.StartedAt).Seconds())}
	s.act.markers = append(s.act.markers, m)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{m}})
}

func (s *Server) handleCommercial(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	var body struct {
		BroadcasterID string `json:"broadcaster_id"`
		Length        int    `json:"length"`
	}
	if !decode(w, r, &body) || !asBroadcaster(w, body.BroadcasterID, tok) {
		return
	}
	if body.Length < 1 || body.Length > 180 {
		writeError(w, http.StatusBadRequest, "The length must be in the range 1 through 180 seconds.")
		return
	}
	s.mu.Lock()
	_, live := s.streams[body.BroadcasterID]
	if live {
		s.act.commercials = append(s.act.commercials, body.Length)
	}
	s.mu.Unlock()
	if !live {
		writeError(w, http.StatusBadRequest, "The broadcaster is not streaming live.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"length": body.Length,
		"message": "", "retry_after": 480}}})
}
