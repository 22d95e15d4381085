package twitchtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// ---- Helix ----

func userJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "login": u.Login, "display_name": u.DisplayName, "type": "",
		"broadcaster_type": "", "description": "", "profile_image_url": "", "offline_image_url": "",
		"view_count": 0, "created_at": "2016-12-14T20:32:28Z"}
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	data := []any{}
	if len(q["login"]) == 0 && len(q["id"]) == 0 {
		if u, ok := s.users[tok.Login]; ok {
			data = append(data, userJSON(u))
		} else {
			data = append(data, userJSON(User{ID: tok.UserID, Login: tok.Login, DisplayName: tok.Login}))
		}
	}
	for _, l := range q["login"] {
		if u, ok := s.users[strings.ToLower(l)]; ok {
			data = append(data, userJSON(u))
		}
	}
	for _, id := range q["id"] {
		for _, u := range s.users {
			if u.ID == id {
				data = append(data, userJSON(u))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (s *Server) handleStreams(w http.ResponseWriter, r *http.Request, _ Token) {
	q := r.URL.Query()
	s.mu.Lock()
	data := []any{}
	for _, st := range s.streams {
		match := false
		for _, id := range q["user_id"] {
			match = match || id == st.UserID
		}
		for _, l := range q["user_login"] {
			match = match || strings.EqualFold(l, st.UserLogin)
		}
		if !match {
			continue
		}
		data = append(data, map[string]any{"id": "40952121085", "user_id": st.UserID, "user_login": st.UserLogin,
			"user_name": st.UserName, "game_id": "509658", "game_name": st.GameName, "type": "live",
			"title": st.Title, "tags": []string{}, "viewer_count": st.ViewerCount,
			"started_at": st.StartedAt.UTC().Format(time.RFC3339), "language": "en",
			"thumbnail_url": "", "tag_ids": []string{}, "is_mature": false})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	var body struct {
		BroadcasterID        string `json:"broadcaster_id"`
		SenderID             string `json:"sender_id"`
		Message              string `json:"message"`
		ReplyParentMessageID string `json:"reply_parent_message_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	switch {
	case body.BroadcasterID == "" || body.SenderID == "":
		writeError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\" or \"sender_id\"")
		return
	case body.SenderID != tok.UserID:
		writeError(w, http.StatusForbidden, "The sender must be the user in the token")
		return
	case body.Message == "" || utf8.RuneCountInString(body.Message) > 500:
		writeError(w, http.StatusBadRequest, "The message is empty or longer than 500 characters")
		return
	}
	s.mu.Lock()
	var drop *dropReason
	if len(s.chatDrops) > 0 {
		drop = &s.chatDrops[0]
		s.chatDrops = s.chatDrops[1:]
	}
	id := newID()
	if drop == nil {
		s.chat = append(s.chat, ChatMessage{ID: id, BroadcasterID: body.BroadcasterID, SenderID: body.SenderID,
			Message: body.Message, ReplyParentMessageID: body.ReplyParentMessageID})
	}
	s.mu.Unlock()
	if drop != nil {
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"message_id": "", "is_sent": false,
			"drop_reason": map[string]any{"code": drop.code, "message": drop.message}}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"message_id": id, "is_sent": true,
		"drop_reason": nil}}})
}

func (s *Server) handleClips(w http.ResponseWriter, r *http.Request, _ Token) {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		b := q.Get("broadcaster_id")
		if b == "" {
			writeError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
			return
		}
		id := "FiveWordsForClipSlug" + strings.ReplaceAll(newID()[:8], "-", "")
		s.mu.Lock()
		s.clips[id] = &clip{id: id, broadcasterID: b, pollsLeft: s.clipDelay}
		s.mu.Unlock()
		writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{map[string]any{
			"id": id, "edit_url": "https://clips.twitch.tv/" + id + "/edit"}}})
	case http.MethodGet:
		data := []any{}
		s.mu.Lock()
		for _, id := range q["id"] {
			c := s.clips[id]
			if c == nil {
				continue
			}
			if c.pollsLeft != 0 {
				if c.pollsLeft > 0 {
					c.pollsLeft--
				}
				continue
			}
			data = append(data, map[string]any{"id": c.id, "url": "https://clips.twitch.tv/" + c.id,
				"embed_url": "https://clips.twitch.tv/embed?clip=" + c.id, "broadcaster_id": c.broadcasterID,
				"title": "clip", "view_count": 0, "created_at": nowStamp(), "duration": 30})
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}
