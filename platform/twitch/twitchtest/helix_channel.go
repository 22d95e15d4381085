package twitchtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ---- channel ----

func (s *Server) handleChannel(w http.ResponseWriter, r *http.Request, tok Token) {
	if r.Method != http.MethodPatch {
		methodNotAllowed(w)
		return
	}
	if !asBroadcaster(w, r.URL.Query().Get("broadcaster_id"), tok) {
		return
	}
	var body struct {
		Title  *string   `json:"title"`
		GameID *string   `json:"game_id"`
		Tags   *[]string `json:"tags"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Title == nil && body.GameID == nil && body.Tags == nil {
		writeError(w, http.StatusBadRequest, "The request must update at least one field.")
		return
	}
	if body.Title != nil && *body.Title == "" {
		writeError(w, http.StatusBadRequest, "The title field may not contain an empty string.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if body.GameID != nil && *body.GameID != "" && *body.GameID != "0" &&
		!slices.ContainsFunc(s.act.games, func(g Game) bool { return g.ID == *body.GameID }) {
		writeError(w, http.StatusBadRequest, "The ID in game_id is not valid.")
		return
	}
	if body.Tags != nil && len(*body.Tags) > 10 {
		writeError(w, http.StatusBadRequest, "The tags field may contain at most 10 tags.")
		return
	}
	if body.Title != nil {
		s.act.channel.Title = *body.Title
	}
	if body.GameID != nil {
		s.act.channel.GameID = *body.GameID
	}
	if body.Tags != nil {
		s.act.channel.Tags = *body.Tags
	}
	writeNoContent(w)
}

func gameJSON(g Game) map[string]any {
	return map[string]any{"id": g.ID, "name": g.Name, "box_art_url": "", "igdb_id": ""}
}

func (s *Server) handleGames(w http.ResponseWriter, r *http.Request, _ Token) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	q := r.URL.Query()
	if len(q["name"]) == 0 && len(q["id"]) == 0 && len(q["igdb_id"]) == 0 {
		writeError(w, http.StatusBadRequest, "Missing required parameter: id, name or igdb_id")
		return
	}
	s.mu.Lock()
	data := []any{}
	for _, g := range s.act.games {
		if slices.Contains(q["name"], g.Name) || slices.Contains(q["id"], g.ID) { // name: exact match, as Twitch
			data = append(data, gameJSON(g))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
}

func (s *Server) handleSearchCategories(w http.ResponseWriter, r *http.Request, _ Token) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	if !need(w, r, "query") {
		return
	}
	query := strings.ToLower(r.URL.Query().Get("query"))
	n, _ := strconv.Atoi(r.URL.Query().Get("first"))
	if n <= 0 {
		n = 20
	}
	s.mu.Lock()
	data := []any{}
	for _, g := range s.act.games {
		if strings.Contains(strings.ToLower(g.Name), query) && len(data) < n {
			data = append(data, map[string]any{"id": g.ID, "name": g.Name, "box_art_url": ""})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
}

func choiceList(in []struct {
	Title string `json:"title"`
}, min, max, each int, extra func(id string) map[string]any) ([]any, string) {
	if len(in) < min || len(in) > max {
		return nil, fmt.Sprintf("The request must contain %d through %d choices.", min, max)
	}
	out := make([]any, 0, len(in))
	for _, c := range in {
		if c.Title == "" || utf8.RuneCountInString(c.Title) > each {
			return nil, fmt.Sprintf("A choice title must contain 1 through %d characters.", each)
		}
		id := newID()
		m := extra(id)
		m["id"], m["title"] = id, c.Title
		out = append(out, m)
	}
	return out, ""
}

func (s *Server) handlePolls(w http.ResponseWriter, r *http.Request, tok Token) {
	switch r.Method {
	case http.MethodPost:
		var body struct {
			BroadcasterID string `json:"broadcaster_id"`
			Title         string `json:"title"`
			Choices       []struct {
				Title string `json:"title"`
			} `json:"choices"`
			Duration int `json:"duration"`
		}
		if !decode(w, r, &body) || !asBroadcaster(w, body.BroadcasterID, tok) {
			return
		}
		if body.Title == "" || utf8.RuneCountInString(body.Title) > 60 {
			writeError(w, http.StatusBadRequest, "The title must contain 1 through 60 characters.")
			return
		}
		if body.Duration < 15 || body.Duration > 1800 {
			writeError(w, http.StatusBadRequest, "The duration must be in the range 15 through 1800 seconds.")
			return
		}
		choices, bad := choiceList(body.Choices, 2, 5, 25, func(string) map[string]any {
			return map[string]any{"votes": 0, "channel_points_votes": 0, "bits_votes": 0}
		})
		if bad != "" {
			writeError(w, http.StatusBadRequest, bad)
			return
		}
		s.mu.Lock()
		u, _ := s.userByID(body.BroadcasterID)
		poll := map[string]any{"id": newID(), "broadcaster_id": u.ID, "broadcaster_name": u.DisplayName,
			"broadcaster_login": u.Login, "title": body.Title, "choices": choices, "bits_voting_enabled": false,
			"bits_per_vote": 0, "channel_points_voting_enabled": false, "channel_points_per_vote": 0,
			"status": "ACTIVE", "duration": body.Duration, "started_at": stamp(time.Now()), "ended_at": nil}
		for _, p := range s.act.polls {
			if p["status"] == "ACTIVE" {
				s.mu.Unlock()
				writeError(w, http.StatusBadRequest, "The broadcaster already has an active poll.")
				return
			}
		}
		s.act.polls[poll["id"].(string)] = poll
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{poll}})
	case http.MethodPatch:
		var body struct {
			BroadcasterID string `json:"broadcaster_id"`
			ID            string `json:"id"`
			Status        string `json:"status"`
		}
		if !decode(w, r, &body) || !asBroadcaster(w, body.BroadcasterID, tok) {
			return
		}
		if body.Status != "TERMINATED" && body.Status != "ARCHIVED" {
			writeError(w, http.StatusBadRequest, "The value in the status field is not valid.")
			return
		}
		s.mu.Lock()
		p := s.act.polls[body.ID]
		if p == nil || p["status"] != "ACTIVE" {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "The poll must be active to end it.")
			return
		}
		p["status"], p["ended_at"] = body.Status, stamp(time.Now())
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{p}})
	default:
		methodNotAllowed(w)
	}
}

func (s *Server) handlePredictions(w http.ResponseWriter, r *http.Request, tok Token) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		if !asBroadcaster(w, q.Get("broadcaster_id"), tok) {
			return
		}
		s.mu.Lock()
		data := []any{}
		for id, p := range s.act.predictions {
			if len(q["id"]) == 0 || slices.Contains(q["id"], id) {
				data = append(data, p)
			}
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
	case http.MethodPost:
		var body struct {
			BroadcasterID string `json:"broadcaster_id"`
			Title         string `json:"title"`
			Outcomes      []struct {
				Title string `json:"title"`
			} `json:"outcomes"`
			PredictionWindow int `json:"prediction_window"`
		}
		if !decode(w, r, &body) || !asBroadcaster(w, body.BroadcasterID, tok) {
			return
		}
		if body.Title == "" || utf8.RuneCountInString(body.Title) > 45 {
			writeError(w, http.StatusBadRequest, "The title must contain 1 through 45 characters.")
			return
		}
		if body.PredictionWindow < 30 || body.PredictionWindow > 1800 {
			writeError(w, http.StatusBadRequest, "The prediction_window must be in the range 30 through 1800 seconds.")
			return
		}
		colors := []string{"BLUE", "PINK"}
		i := 0
		outcomes, bad := choiceList(body.Outcomes, 2, 10, 25, func(string) map[string]any {
			c := colors[min(i, 1)]
			i++
			return map[string]any{"users": 0, "channel_points": 0, "top_predictors": nil, "color": c}
		})
		if bad != "" {
			writeError(w, http.StatusBadRequest, bad)
			return
		}
		s.mu.Lock()
		u, _ := s.userByID(body.BroadcasterID)
		p := map[string]any{"id": newID(), "broadcaster_id": u.ID, "broadcaster_name": u.DisplayName,
			"broadcaster_login": u.Login, "title": body.Title, "winning_outcome_id": nil, "outcomes": outcomes,
			"prediction_window": body.PredictionWindow, "status": "ACTIVE", "created_at": stamp(time.Now()),
			"ended_at": nil, "locked_at": nil}
		s.act.predictions[p["id"].(string)] = p
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{p}})
	case http.MethodPatch:
		var body struct {
			BroadcasterID    string `json:"broadcaster_id"`
			ID               string `json:"id"`
			Status           string `json:"status"`
			WinningOutcomeID string `json:"winning_outcome_id"`
		}
		if !decode(w, r, &body) || !asBroadcaster(w, body.BroadcasterID, tok) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.act.predictions[body.ID]
		if p == nil {
			writeError(w, http.StatusNotFound, "The prediction in the id field was not found.")
			return
		}
		st := p["status"]
		switch body.Status {
		case "LOCKED":
			if st != "ACTIVE" {
				writeError(w, http.StatusBadRequest, "The prediction must be active to lock it.")
				return
			}
			p["locked_at"] = stamp(time.Now())
		case "CANCELED":
			if st != "ACTIVE" && st != "LOCKED" {
				writeError(w, http.StatusBadRequest, "The prediction has already ended.")
				return
			}
			p["ended_at"] = stamp(time.Now())
		case "RESOLVED":
			if st != "ACTIVE" && st != "LOCKED" {
				writeError(w, http.StatusBadRequest, "The prediction has already ended.")
				return
			}
			ok := false
			for _, o := range p["outcomes"].([]any) {
				ok = ok || o.(map[string]any)["id"] == body.WinningOutcomeID
			}
			if !ok {
				writeError(w, http.StatusBadRequest, "The winning_outcome_id field is required to resolve a prediction and must be one of its outcomes.")
				return
			}
			p["winning_outcome_id"], p["ended_at"] = body.WinningOutcomeID, stamp(time.Now())
		default:
			writeError(w, http.StatusBadRequest, "The value in the status field is not valid.")
			return
		}
		p["status"] = body.Status
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{p}})
	default:
		methodNotAllowed(w)
	}
}
