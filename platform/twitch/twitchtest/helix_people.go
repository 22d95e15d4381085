package twitchtest

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
)

func (s *Server) roleHandler(set func(*actions) map[string]bool, role string) func(http.ResponseWriter, *http.Request, Token) {
	return func(w http.ResponseWriter, r *http.Request, tok Token) {
		q := r.URL.Query()
		if r.Method != http.MethodPost && r.Method != http.MethodDelete {
			methodNotAllowed(w)
			return
		}
		if !asBroadcaster(w, q.Get("broadcaster_id"), tok) || !need(w, r, "user_id") || !s.knownUser(w, "user_id", q.Get("user_id")) {
			return
		}
		s.mu.Lock()
		m := set(s.act)
		has := m[q.Get("user_id")]
		if r.Method == http.MethodPost {
			m[q.Get("user_id")] = true
		} else {
			delete(m, q.Get("user_id"))
		}
		s.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && has:
			writeError(w, http.StatusUnprocessableEntity, "The user in the user_id query parameter is already a "+role+".")
		case r.Method == http.MethodDelete && !has:
			writeError(w, http.StatusUnprocessableEntity, "The user in the user_id query parameter is not a "+role+".")
		default:
			writeNoContent(w)
		}
	}
}

// ---- reading ----

func (s *Server) handleFollowers(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	if !need(w, r, "broadcaster_id") {
		return
	}
	n := 20
	if v := q.Get("first"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "The value in first must be in the range 1 through 100.")
			return
		}
	}
	s.mu.Lock()
	list := append([]Follower(nil), s.act.followers...)
	sort.Slice(list, func(i, j int) bool { return list[i].At.After(list[j].At) })
	data := []any{}
	for _, f := range list {
		if (q.Get("user_id") != "" && f.UserID != q.Get("user_id")) || len(data) >= n {
			continue
		}
		u, _ := s.userByID(f.UserID)
		data = append(data, map[string]any{"user_id": u.ID, "user_login": u.Login, "user_name": u.DisplayName,
			"followed_at": stamp(f.At)})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total": len(list), "data": data, "pagination": map[string]any{}})
}

func (s *Server) handleSubscriptionsList(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	if !asBroadcaster(w, q.Get("broadcaster_id"), tok) {
		return
	}
	s.mu.Lock()
	b, _ := s.userByID(q.Get("broadcaster_id"))
	data := []any{}
	for _, sub := range s.act.subscribers {
		if len(q["user_id"]) > 0 && !slices.Contains(q["user_id"], sub.UserID) {
			continue
		}
		u, _ := s.userByID(sub.UserID)
		g, _ := s.userByID(sub.GifterID)
		data = append(data, map[string]any{"broadcaster_id": b.ID, "broadcaster_login": b.Login, "broadcaster_name": b.DisplayName,
			"gifter_id": g.ID, "gifter_login": g.Login, "gifter_name": g.DisplayName, "is_gift": sub.IsGift,
			"plan_name": "Channel Subscription", "tier": sub.Tier, "user_id": u.ID, "user_name": u.DisplayName, "user_login": u.Login})
	}
	n := len(s.act.subscribers)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}, "points": n, "total": n})
}
