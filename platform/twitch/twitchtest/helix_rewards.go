package twitchtest

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// ---- channel points ----

func rewardJSON(r *Reward, users map[string]User) map[string]any {
	var b User
	for _, u := range users {
		if u.ID == r.BroadcasterID {
			b = u
		}
	}
	return map[string]any{"broadcaster_id": r.BroadcasterID, "broadcaster_login": b.Login, "broadcaster_name": b.DisplayName,
		"id": r.ID, "title": r.Title, "prompt": r.Prompt, "cost": r.Cost, "image": nil,
		"default_image": map[string]any{}, "background_color": "#9147FF", "is_enabled": r.Enabled,
		"is_user_input_required":          r.InputRequired,
		"max_per_stream_setting":          map[string]any{"is_enabled": r.MaxPerStream > 0, "max_per_stream": r.MaxPerStream},
		"max_per_user_per_stream_setting": map[string]any{"is_enabled": false, "max_per_user_per_stream": 0},
		"global_cooldown_setting":         map[string]any{"is_enabled": r.CooldownSeconds > 0, "global_cooldown_seconds": r.CooldownSeconds},
		"is_paused":                       false, "is_in_stock": true, "should_redemptions_skip_request_queue": false,
		"redemptions_redeemed_current_stream": nil, "cooldown_expires_at": nil}
}

type rewardBody struct {
	Title                   *string `json:"title"`
	Cost                    *int    `json:"cost"`
	Prompt                  *string `json:"prompt"`
	IsEnabled               *bool   `json:"is_enabled"`
	IsUserInputRequired     *bool   `json:"is_user_input_required"`
	IsMaxPerStreamEnabled   *bool   `json:"is_max_per_stream_enabled"`
	MaxPerStream            *int    `json:"max_per_stream"`
	IsGlobalCooldownEnabled *bool   `json:"is_global_cooldown_enabled"`
	GlobalCooldownSeconds   *int    `json:"global_cooldown_seconds"`
}

func (b rewardBody) apply(r *Reward) string {
	if b.Title != nil {
		if *b.Title == "" || utf8.RuneCountInString(*b.Title) > 45 {
			return "The title must contain 1 through 45 characters."
		}
		r.Title = *b.Title
	}
	if b.Cost != nil {
		if *b.Cost < 1 {
			return "The cost must be at least 1."
		}
		r.Cost = *b.Cost
	}
	if b.Prompt != nil {
		if utf8.RuneCountInString(*b.Prompt) > 200 {
			return "The prompt may contain at most 200 characters."
		}
		r.Prompt = *b.Prompt
	}
	if b.IsEnabled != nil {
		r.Enabled = *b.IsEnabled
	}
	if b.IsUserInputRequired != nil {
		r.InputRequired = *b.IsUserInputRequired
	}
	if b.IsMaxPerStreamEnabled != nil {
		r.MaxPerStream = 0
		if *b.IsMaxPerStreamEnabled {
			if b.MaxPerStream == nil || *b.MaxPerStream < 1 {
				return "max_per_stream must be at least 1 when is_max_per_stream_enabled is true."
			}
			r.MaxPerStream = *b.MaxPerStream
		}
	}
	if b.IsGlobalCooldownEnabled != nil {
		r.CooldownSeconds = 0
		if *b.IsGlobalCooldownEnabled {
			if b.GlobalCooldownSeconds == nil || *b.GlobalCooldownSeconds < 1 || *b.GlobalCooldownSeconds > 604800 {
				return "global_cooldown_seconds must be in the range 1 through 604800 when the cooldown is enabled."
			}
			r.CooldownSeconds = *b.GlobalCooldownSeconds
		}
	}
	return ""
}

const notCreatedByClient = "The ID in the Client-Id header must match the client ID used to create the custom reward."

func (s *Server) handleRewards(w http.ResponseWriter, r *http.Request, tok Token) {
	q := r.URL.Query()
	if !asBroadcaster(w, q.Get("broadcaster_id"), tok) {
		return
	}
	clientID := r.Header.Get("Client-Id")
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		data := []any{}
		ids := make([]string, 0, len(s.act.rewards))
		for id := range s.act.rewards {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			rw := s.act.rewards[id]
			if rw.BroadcasterID != q.Get("broadcaster_id") || (len(q["id"]) > 0 && !slices.Contains(q["id"], id)) {
				continue
			}
			if q.Get("only_manageable_rewards") == "true" && rw.ClientID != clientID {
				continue
			}
			data = append(data, rewardJSON(rw, s.users))
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
	case http.MethodPost:
		var body rewardBody
		if !decode(w, r, &body) {
			return
		}
		if body.Title == nil || body.Cost == nil {
			writeError(w, http.StatusBadRequest, "The title and cost fields are required.")
			return
		}
		rw := &Reward{ID: newID(), BroadcasterID: q.Get("broadcaster_id"), ClientID: clientID, Enabled: true}
		if bad := body.apply(rw); bad != "" {
			writeError(w, http.StatusBadRequest, bad)
			return
		}
		s.mu.Lock()
		for _, x := range s.act.rewards {
			if x.BroadcasterID == rw.BroadcasterID && strings.EqualFold(x.Title, rw.Title) {
				s.mu.Unlock()
				writeError(w, http.StatusBadRequest, "CREATE_CUSTOM_REWARD_DUPLICATE_REWARD")
				return
			}
		}
		s.act.rewards[rw.ID] = rw
		out := rewardJSON(rw, s.users)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{out}})
	case http.MethodPatch, http.MethodDelete:
		if !need(w, r, "id") {
			return
		}
		var body rewardBody
		if r.Method == http.MethodPatch && !decode(w, r, &body) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		rw := s.act.rewards[q.Get("id")]
		switch {
		case rw == nil || rw.BroadcasterID != q.Get("broadcaster_id"):
			writeError(w, http.StatusNotFound, "The custom reward specified in the id field was not found.")
			return
		case rw.ClientID != clientID:
			writeError(w, http.StatusForbidden, notCreatedByClient)
			return
		}
		if r.Method == http.MethodDelete {
			delete(s.act.rewards, rw.ID)
			writeNoContent(w)
			return
		}
		upd := *rw
		if bad := body.apply(&upd); bad != "" {
			writeError(w, http.StatusBadRequest, bad)
			return
		}
		*rw = upd
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{rewardJSON(rw, s.users)}})
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) handleRedemptions(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPatch {
		methodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	if !asBroadcaster(w, q.Get("broadcaster_id"), tok) || !need(w, r, "reward_id", "id") {
		return
	}
	var body struct {
		Status string `json:"status"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Status != "FULFILLED" && body.Status != "CANCELED" {
		writeError(w, http.StatusBadRequest, "The value in the status field is not valid.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rw := s.act.rewards[q.Get("reward_id")]
	if rw == nil {
		writeError(w, http.StatusNotFound, "The custom reward specified in reward_id was not found.")
		return
	}
	if rw.ClientID != r.Header.Get("Client-Id") {
		writeError(w, http.StatusForbidden, notCreatedByClient)
		return
	}
	red := s.act.redemptions[q.Get("id")]
	if red == nil || red.RewardID != rw.ID || red.Status != "UNFULFILLED" {
		writeError(w, http.StatusNotFound, "No UNFULFILLED redemption with that id was found for the reward.")
		return
	}
	red.Status = body.Status
	u, _ := s.userByID(red.UserID)
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"broadcaster_id": rw.BroadcasterID,
		"id": red.ID, "user_id": u.ID, "user_login": u.Login, "user_name": u.DisplayName, "user_input": "",
		"status": red.Status, "redeemed_at": stamp(time.Now()),
		"reward": map[string]any{"id": rw.ID, "title": rw.Title, "prompt": rw.Prompt, "cost": rw.Cost}}}})
}
