package twitchtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// ---- EventSub subscriptions ----

func subJSON(sub Subscription) map[string]any {
	return map[string]any{"id": sub.ID, "status": sub.Status, "type": sub.Type, "version": sub.Version,
		"condition": sub.Condition, "created_at": sub.CreatedAt.UTC().Format(time.RFC3339Nano),
		"transport": map[string]any{"method": "websocket", "session_id": sub.SessionID,
			"connected_at": sub.CreatedAt.UTC().Format(time.RFC3339Nano)}, "cost": 0}
}

func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Client-Id") == "" {
		writeError(w, http.StatusUnauthorized, "Client-Id header required")
		return
	}
	if _, ok := s.bearer(r); !ok {
		writeError(w, http.StatusUnauthorized, "Invalid OAuth token")
		return
	}
	switch r.Method {
	case http.MethodGet:
		data := []any{}
		for _, sub := range s.Subscriptions() {
			data = append(data, subJSON(sub))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data), "total_cost": 0,
			"max_total_cost": 10, "pagination": map[string]any{}})
	case http.MethodDelete:
		id := r.URL.Query().Get("id")
		s.mu.Lock()
		found := false
		for i, sub := range s.subs {
			if sub.ID == id {
				s.subs = append(s.subs[:i:i], s.subs[i+1:]...)
				found = true
				break
			}
		}
		s.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, "subscription not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		s.createSubscription(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method    string `json:"method"`
			SessionID string `json:"session_id"`
		} `json:"transport"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "error validating json")
		return
	}
	if body.Type == "" || body.Version == "" {
		writeError(w, http.StatusBadRequest, "The combination of values in the type and version fields is not valid")
		return
	}
	if body.Transport.Method != "websocket" {
		writeError(w, http.StatusBadRequest, "The value specified in the 'method' field is not valid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[body.Transport.SessionID]
	if ss == nil || ss.isClosed() {
		writeError(w, http.StatusBadRequest, "session does not exist or has already disconnected")
		return
	}
	if ref, ok := s.refused[body.Type]; ok {
		writeError(w, ref.status, ref.message)
		return
	}
	for _, sub := range s.subs {
		if sub.SessionID == body.Transport.SessionID && sub.Type == body.Type && sub.Version == body.Version &&
			fmt.Sprint(sub.Condition) == fmt.Sprint(body.Condition) {
			writeError(w, http.StatusConflict, "subscription already exists")
			return
		}
	}
	sub := Subscription{ID: newID(), Type: body.Type, Version: body.Version, Status: "enabled",
		SessionID: body.Transport.SessionID, Condition: body.Condition, CreatedAt: time.Now()}
	s.subs = append(s.subs, sub)
	n := 0
	for _, x := range s.subs {
		if x.SessionID == sub.SessionID {
			n++
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{subJSON(sub)}, "total": n,
		"total_cost": 0, "max_total_cost": 10})
}

func (s *Server) sessionSubs(id string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.subs {
		if sub.SessionID == id {
			out = append(out, sub)
		}
	}
	return out
}
