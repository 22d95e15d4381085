package twitchtest

import (
	"net/http"
	"strings"
	"time"
)

// ---- OAuth ----

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	s.mu.Lock()
	if s.device == nil {
		s.device = &deviceState{}
	}
	d := s.device
	d.code = newID()
	d.userCode = "ABCDEFGH"
	d.polls = 0
	d.issued = false
	d.scopes = r.PostForm.Get("scopes")
	life := d.flow.ExpiresIn
	if life <= 0 {
		life = 1800
	}
	d.expiresAt = time.Now().Add(time.Duration(life) * time.Second)
	code, userCode := d.code, d.userCode
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"device_code": code, "expires_in": life,
		"interval": s.opts.DeviceInterval, "user_code": userCode,
		"verification_uri": "https://www.twitch.tv/activate?public=true&device-code=" + userCode})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid form")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	switch f.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.mu.Lock()
		d := s.device
		deviceErr := func(msg string) {
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": msg})
		}
		switch {
		case d == nil || d.code != f.Get("device_code") || d.flow.Expire || d.issued || time.Now().After(d.expiresAt):
			deviceErr("invalid device code")
			return
		case d.flow.Deny:
			deviceErr("authorization_denied")
			return
		}
		d.polls++
		switch {
		case d.polls <= d.flow.SlowDownPolls:
			deviceErr("slow_down")
			return
		case d.polls <= d.flow.SlowDownPolls+d.flow.PendingPolls, d.flow.Manual && !d.approved:
			deviceErr("authorization_pending")
			return
		}
		d.issued = true
		t := d.flow.Token
		s.addTokenLocked(t)
		s.notifyLocked()
		s.mu.Unlock()
		s.writeToken(w, t)
	case "refresh_token":
		s.mu.Lock()
		old, ok := s.refreshes[f.Get("refresh_token")]
		if !ok {
			s.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid refresh token"})
			return
		}
		delete(s.refreshes, f.Get("refresh_token")) // public clients: single use
		prev := s.tokens[old].Token
		t := Token{Access: "access-" + newID(), Refresh: "refresh-" + newID(), UserID: prev.UserID,
			Login: prev.Login, Scopes: prev.Scopes, ExpiresIn: prev.ExpiresIn}
		s.addTokenLocked(t)
		s.mu.Unlock()
		s.writeToken(w, t)
	default:
		writeError(w, http.StatusBadRequest, "unsupported grant_type")
	}
}

func (s *Server) writeToken(w http.ResponseWriter, t Token) {
	exp := t.ExpiresIn
	if exp == 0 {
		exp = 14400
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": t.Access, "refresh_token": t.Refresh,
		"expires_in": exp, "scope": t.Scopes, "token_type": "bearer"})
}

// handleRevoke is POST /oauth2/revoke (client_id, token): the access token
// and its refresh token stop working. An unknown token is a 400 "Invalid
// token", as on Twitch.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" {
		writeError(w, http.StatusBadRequest, "missing client_id")
		return
	}
	access := r.PostForm.Get("token")
	s.mu.Lock()
	t := s.tokens[access]
	if t == nil || t.revoked {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid token"})
		return
	}
	t.revoked = true
	for ref, acc := range s.refreshes {
		if acc == access {
			delete(s.refreshes, ref)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	a := r.Header.Get("Authorization")
	tok, ok := Token{}, false
	if strings.HasPrefix(a, "OAuth ") {
		tok, ok = s.lookup(strings.TrimPrefix(a, "OAuth "))
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": 401, "message": "invalid access token"})
		return
	}
	s.mu.Lock()
	left := int(time.Until(s.tokens[tok.Access].expiresAt).Seconds())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"client_id": "fake-client-id", "login": tok.Login,
		"scopes": tok.Scopes, "user_id": tok.UserID, "expires_in": left})
}
