package twitchtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ---- HTTP plumbing ----

func (s *Server) record(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Body: string(body), Header: r.Header.Clone(), At: time.Now()})
		var fail *failure
		for i, f := range s.failures {
			if f.method == r.Method && f.path == r.URL.Path {
				fail = &f
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
				break
			}
		}
		var limited bool
		if fail == nil && strings.HasPrefix(r.URL.Path, "/helix/") {
			var h http.Header
			h, limited = s.bucketLocked(time.Now())
			for k, v := range h {
				w.Header()[k] = v
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
		if limited {
			writeError(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		if fail != nil {
			for k, v := range fail.resp.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fail.resp.Status)
			_, _ = io.WriteString(w, fail.resp.Body)
			return
		}
		h(w, r)
		s.notify()
	}
}

// authed checks the Helix headers: a valid bearer token and a Client-Id.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, Token)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.bearer(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "Invalid OAuth token")
			return
		}
		if r.Header.Get("Client-Id") == "" {
			writeError(w, http.StatusUnauthorized, "Client-Id header required")
			return
		}
		h(w, r, tok)
	}
}

func (s *Server) bearer(r *http.Request) (Token, bool) {
	const p = "Bearer "
	a := r.Header.Get("Authorization")
	if !strings.HasPrefix(a, p) {
		return Token{}, false
	}
	return s.lookup(strings.TrimPrefix(a, p))
}

func (s *Server) lookup(access string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[access]
	if t == nil || t.revoked || time.Now().After(t.expiresAt) {
		return Token{}, false
	}
	return t.Token, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	setDefaultRateHeaders(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// setDefaultRateHeaders gives an answer Ratelimit-* headers unless the
// bucket (SetBucket) already set them.
func setDefaultRateHeaders(w http.ResponseWriter) {
	if w.Header().Get("Ratelimit-Remaining") != "" {
		return
	}
	w.Header().Set("Ratelimit-Limit", "800")
	w.Header().Set("Ratelimit-Remaining", "799")
	w.Header().Set("Ratelimit-Reset", strconv.FormatInt(time.Now().Unix()+1, 10))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": http.StatusText(status), "status": status, "message": msg})
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func nowStamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }
