package twitchtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ---- moderation ----

func (s *Server) handleBans(w http.ResponseWriter, r *http.Request, tok Token) {
	if !asModerator(w, r, tok) {
		return
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		var body struct {
			Data *struct {
				UserID   string `json:"user_id"`
				Duration *int   `json:"duration"`
				Reason   string `json:"reason"`
			} `json:"data"`
		}
		if !decode(w, r, &body) {
			return
		}
		if body.Data == nil || body.Data.UserID == "" {
			writeError(w, http.StatusBadRequest, "Missing required field \"data.user_id\"")
			return
		}
		d := body.Data
		if d.Duration != nil && (*d.Duration < 1 || *d.Duration > 1209600) {
			writeError(w, http.StatusBadRequest, "The value in the duration field is not valid. The duration must be in the range 1 through 1209600.")
			return
		}
		if utf8.RuneCountInString(d.Reason) > 500 {
			writeError(w, http.StatusBadRequest, "The text in the reason field is too long.")
			return
		}
		if !s.knownUser(w, "user_id", d.UserID) {
			return
		}
		s.mu.Lock()
		prev, banned := s.act.bans[d.UserID]
		if banned && prev.EndTime.IsZero() && d.Duration != nil {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "The user specified in the user_id field is already banned.")
			return
		}
		now := time.Now()
		b := Ban{UserID: d.UserID, ModeratorID: tok.UserID, Reason: d.Reason, CreatedAt: now}
		var end any
		if d.Duration != nil {
			b.EndTime = now.Add(time.Duration(*d.Duration) * time.Second)
			end = stamp(b.EndTime)
		}
		s.act.bans[d.UserID] = b
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"broadcaster_id": q.Get("broadcaster_id"),
			"moderator_id": tok.UserID, "user_id": d.UserID, "created_at": stamp(now), "end_time": end}}})
	case http.MethodDelete:
		if !need(w, r, "user_id") {
			return
		}
		s.mu.Lock()
		_, banned := s.act.bans[q.Get("user_id")]
		delete(s.act.bans, q.Get("user_id"))
		s.mu.Unlock()
		if !banned {
			writeError(w, http.StatusBadRequest, "The user specified in the user_id field is not banned.")
			return
		}
		writeNoContent(w)
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) handleDeleteChat(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodDelete {
		methodNotAllowed(w)
		return
	}
	if !asModerator(w, r, tok) {
		return
	}
	s.mu.Lock()
	s.act.deletedMsgs = append(s.act.deletedMsgs, r.URL.Query().Get("message_id"))
	s.mu.Unlock()
	writeNoContent(w)
}

func (s *Server) handleChatSettings(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPatch {
		methodNotAllowed(w)
		return
	}
	if !asModerator(w, r, tok) {
		return
	}
	var body map[string]any
	if !decode(w, r, &body) {
		return
	}
	known := []string{"emote_mode", "follower_mode", "follower_mode_duration", "non_moderator_chat_delay",
		"non_moderator_chat_delay_duration", "slow_mode", "slow_mode_wait_time", "subscriber_mode", "unique_chat_mode"}
	for k := range body {
		if !slices.Contains(known, k) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Unknown field %q", k))
			return
		}
	}
	if v, ok := body["slow_mode_wait_time"].(float64); ok && (v < 3 || v > 120) {
		writeError(w, http.StatusBadRequest, "The value in slow_mode_wait_time must be in the range 3 through 120.")
		return
	}
	if v, ok := body["follower_mode_duration"].(float64); ok && (v < 0 || v > 129600) {
		writeError(w, http.StatusBadRequest, "The value in follower_mode_duration must be in the range 0 through 129600.")
		return
	}
	s.mu.Lock()
	for k, v := range body {
		s.act.chatSettings[k] = v
	}
	out := map[string]any{"broadcaster_id": r.URL.Query().Get("broadcaster_id"), "moderator_id": tok.UserID}
	for k, v := range s.act.chatSettings {
		out[k] = v
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{out}})
}

func (s *Server) handleAnnouncement(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	if !asModerator(w, r, tok) {
		return
	}
	var body struct {
		Message string `json:"message"`
		Color   string `json:"color"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Message == "" || utf8.RuneCountInString(body.Message) > 500 {
		writeError(w, http.StatusBadRequest, "The message field is required and may contain at most 500 characters.")
		return
	}
	if body.Color != "" && !slices.Contains([]string{"blue", "green", "orange", "purple", "primary"}, body.Color) {
		writeError(w, http.StatusBadRequest, "The value in the color field is not valid.")
		return
	}
	s.mu.Lock()
	s.act.announcements = append(s.act.announcements, map[string]any{"message": body.Message, "color": body.Color})
	s.mu.Unlock()
	writeNoContent(w)
}

// Twitch's shoutout cooldowns.
const (
	shoutoutEvery     = 2 * time.Minute
	shoutoutSameEvery = 60 * time.Minute
)

func (s *Server) handleShoutout(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	if !need(w, r, "from_broadcaster_id", "to_broadcaster_id", "moderator_id") {
		return
	}
	q := r.URL.Query()
	if q.Get("moderator_id") != tok.UserID {
		writeError(w, http.StatusForbidden, "The ID in moderator_id must match the user ID found in the request's OAuth token.")
		return
	}
	from, to := q.Get("from_broadcaster_id"), q.Get("to_broadcaster_id")
	if from == to {
		writeError(w, http.StatusBadRequest, "The broadcaster may not give themselves a Shoutout.")
		return
	}
	if !s.knownUser(w, "to_broadcaster_id", to) {
		return
	}
	s.mu.Lock()
	_, live := s.streams[from]
	now := time.Now()
	var limited string
	for _, so := range s.act.shoutouts {
		switch {
		case now.Sub(so.at) < shoutoutEvery:
			limited = "The broadcaster may not send a Shoutout more than once every 2 minutes."
		case so.to == to && now.Sub(so.at) < shoutoutSameEvery:
			limited = "The broadcaster may not send a Shoutout to the same broadcaster more than once every 60 minutes."
		}
	}
	if live && limited == "" {
		s.act.shoutouts = append(s.act.shoutouts, shoutout{to: to, at: now})
	}
	s.mu.Unlock()
	switch {
	case !live:
		writeError(w, http.StatusBadRequest, "The broadcaster is not streaming live or does not have one or more viewers.")
	case limited != "":
		// An endpoint limit, not the bucket: points are left.
		w.Header().Set("Ratelimit-Limit", "800")
		w.Header().Set("Ratelimit-Remaining", "799")
		w.Header().Set("Ratelimit-Reset", strconv.FormatInt(now.Unix()+1, 10))
		writeError(w, http.StatusTooManyRequests, limited)
	default:
		writeNoContent(w)
	}
}

func (s *Server) handleWhisper(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	if !need(w, r, "from_user_id", "to_user_id") {
		return
	}
	q := r.URL.Query()
	if q.Get("from_user_id") != tok.UserID {
		writeError(w, http.StatusForbidden, "The ID in from_user_id must match the user ID found in the request's OAuth token.")
		return
	}
	if !s.knownUser(w, "to_user_id", q.Get("to_user_id")) {
		return
	}
	var body struct {
		Message string `json:"message"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Message == "" {
		writeError(w, http.StatusBadRequest, "The message field must not contain an empty string.")
		return
	}
	s.mu.Lock()
	s.act.whispers = append(s.act.whispers, map[string]any{"to": q.Get("to_user_id"), "message": body.Message})
	s.mu.Unlock()
	writeNoContent(w)
}
