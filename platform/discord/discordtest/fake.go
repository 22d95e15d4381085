// Package discordtest is an in-process stand-in for Discord, enough for the
// discordgo library as platform/discord uses it: the gateway websocket (Hello,
// Identify -> READY and GUILD_CREATE, heartbeats and their ACKs, dispatched
// MESSAGE_CREATE and GUILD_MEMBER_ADD) and the REST endpoints GET /gateway,
// GET /gateway/bot, POST /channels/{id}/messages and
// PUT /channels/{id}/messages/{mid}/reactions/{emoji}/@me. Payloads follow
// Discord's API reference (gateway API v9/v10 JSON encoding). Every REST call
// and every Identify is recorded.
//
// The fake checks the bot token (the Authorization header "Bot <token>" and
// the Identify token): a wrong one gets 401 on REST and close code 4004 on
// the gateway, as Discord answers.
package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Fixed identities of the fake.
const (
	BotID     = "100000000000000001"
	BotName   = "starbot"
	GuildName = "Star Guild"
)

// Role is a guild role the fake announces in GUILD_CREATE.
type Role struct{ ID, Name string }

// Call is one REST request the fake received.
type Call struct {
	Method, Path string
	Body         map[string]any // the JSON body, nil when none
	Auth         string         // the Authorization header
}

// Server is the fake. Create it with New; Close it when done.
type Server struct {
	Token, Guild, Owner string
	Roles               []Role

	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu         sync.Mutex
	conns      map[*websocket.Conn]*sync.Mutex // live, identified connections and their write locks
	calls      []Call
	identifies []map[string]any
	heartbeats int
	seq        atomic.Int64
	nextID     atomic.Int64
	refuse     bool
	silent     bool
}

// New starts a fake serving token's bot in guild (owned by owner), with the
// given roles.
func New(token, guild, owner string, roles ...Role) *Server {
	s := &Server{Token: token, Guild: guild, Owner: owner, Roles: roles, conns: map[*websocket.Conn]*sync.Mutex{}}
	s.nextID.Store(900000000000000000)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gateway-ws", s.gateway)
	mux.HandleFunc("GET /gateway-ws/", s.gateway) // discordgo adds a slash before ?v=9
	mux.HandleFunc("GET /api/{v}/gateway", s.gatewayURL)
	mux.HandleFunc("GET /api/{v}/gateway/bot", s.gatewayURL)
	mux.HandleFunc("POST /api/{v}/channels/{channel}/messages", s.postMessage)
	mux.HandleFunc("PUT /api/{v}/channels/{channel}/messages/{mid}/reactions/{emoji}/@me", s.putReaction)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r, nil)
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": 0})
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// APIURL is the REST base to configure (like https://discord.com/api/v9).
func (s *Server) APIURL() string { return s.srv.URL + "/api/v9" }

// GatewayURL is the gateway websocket address.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway-ws"
}

// Close stops the fake and drops every connection.
func (s *Server) Close() {
	s.Drop()
	s.srv.Close()
}

// Refuse makes the gateway refuse new connections (true) or accept them again.
func (s *Server) Refuse(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}

// Silent makes the gateway accept new connections and then say nothing
// (no Hello), as a stuck server would; false restores it.
func (s *Server) Silent(on bool) {
	s.mu.Lock()
	s.silent = on
	s.mu.Unlock()
}

// Drop closes every gateway connection, as a network loss would.
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

// Connections is how many identified gateway connections are live.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Calls returns the REST calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Identifies returns the Identify payloads (op 2 "d") received so far.
func (s *Server) Identifies() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.identifies...)
}

// Heartbeats is how many heartbeats (op 1) the fake has acknowledged.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats
}

// User is a Discord user as the fake sends it.
type User struct {
	ID, Username, GlobalName, Nick string
	RoleIDs                        []string
	Bot                            bool
}

func (u User) user() map[string]any {
	m := map[string]any{"id": u.ID, "username": u.Username, "discriminator": "0", "avatar": nil, "bot": u.Bot}
	if u.GlobalName != "" {
		m["global_name"] = u.GlobalName
	} else {
		m["global_name"] = nil
	}
	return m
}

func (u User) member() map[string]any {
	roles := u.RoleIDs
	if roles == nil {
		roles = []string{}
	}
	m := map[string]any{"roles": roles, "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0}
	if u.Nick != "" {
		m["nick"] = u.Nick
	}
	return m
}

// Message dispatches MESSAGE_CREATE from author in channel to every
// connection and returns the message id.
func (s *Server) Message(channel string, author User, content string) string {
	id := fmt.Sprint(s.nextID.Add(1))
	s.dispatch("MESSAGE_CREATE", map[string]any{
		"id": id, "type": 0, "channel_id": channel, "guild_id": s.Guild,
		"author": author.user(), "member": author.member(), "content": content,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "edited_timestamp": nil,
		"tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"attachments": []any{}, "embeds": []any{}, "pinned": false,
	})
	return id
}

// MemberJoin dispatches GUILD_MEMBER_ADD for u.
func (s *Server) MemberJoin(u User) {
	m := u.member()
	m["user"] = u.user()
	m["guild_id"] = s.Guild
	s.dispatch("GUILD_MEMBER_ADD", m)
}

// Dispatch sends any dispatch event (op 0, type t, data d) to every
// connection, for payloads the other methods do not build.
func (s *Server) Dispatch(t string, d any) { s.dispatch(t, d) }

func (s *Server) dispatch(t string, d any) {
	s.mu.Lock()
	conns := make(map[*websocket.Conn]*sync.Mutex, len(s.conns))
	for c, l := range s.conns {
		conns[c] = l
	}
	s.mu.Unlock()
	for c, l := range conns {
		l.Lock()
		_ = c.WriteJSON(map[string]any{"op": 0, "t": t, "s": s.seq.Add(1), "d": d})
		l.Unlock()
	}
}

func (s *Server) gatewayURL(w http.ResponseWriter, r *http.Request) {
	s.record(r, nil)
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": s.GatewayURL(), "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
}

func (s *Server) gateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	refuse := s.refuse
	s.mu.Unlock()
	if refuse {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	c, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	s.mu.Lock()
	silent := s.silent
	s.mu.Unlock()
	if silent {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}
	var wmu sync.Mutex
	write := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return c.WriteJSON(v)
	}
	if write(map[string]any{"op": 10, "s": nil, "t": nil, "d": map[string]any{"heartbeat_interval": 41250}}) != nil {
		return
	}
	identified := false
	for {
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := c.ReadJSON(&p); err != nil {
			break
		}
		switch p.Op {
		case 1: // heartbeat
			s.mu.Lock()
			s.heartbeats++
			s.mu.Unlock()
			_ = write(map[string]any{"op": 11, "s": nil, "t": nil, "d": nil})
		case 2: // identify
			var d map[string]any
			_ = json.Unmarshal(p.D, &d)
			s.mu.Lock()
			s.identifies = append(s.identifies, d)
			s.mu.Unlock()
			if tok, _ := d["token"].(string); strings.TrimPrefix(tok, "Bot ") != s.Token {
				wmu.Lock()
				_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
				wmu.Unlock()
				return
			}
			if identified {
				wmu.Lock()
				_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4005, "Already authenticated."))
				wmu.Unlock()
				return
			}
			identified = true
			// Registered before READY, so a test that saw the client connect can Drop it.
			s.mu.Lock()
			s.conns[c] = &wmu
			s.mu.Unlock()
			_ = write(map[string]any{"op": 0, "t": "READY", "s": s.seq.Add(1), "d": map[string]any{
				"v": 9, "session_id": fmt.Sprintf("fake-session-%d", s.seq.Load()),
				"resume_gateway_url": s.GatewayURL(),
				"user":               User{ID: BotID, Username: BotName, Bot: true}.user(),
				"guilds":             []any{map[string]any{"id": s.Guild, "unavailable": true}},
				"private_channels":   []any{},
				"application":        map[string]any{"id": BotID, "flags": 0},
			}})
			roles := []any{map[string]any{"id": s.Guild, "name": "@everyone", "permissions": "0", "position": 0}}
			for i, r := range s.Roles {
				roles = append(roles, map[string]any{"id": r.ID, "name": r.Name, "permissions": "0", "position": i + 1})
			}
			s.dispatch("GUILD_CREATE", map[string]any{
				"id": s.Guild, "name": GuildName, "owner_id": s.Owner, "roles": roles,
				"channels": []any{}, "members": []any{}, "emojis": []any{}, "unavailable": false,
				"joined_at": "2026-01-01T00:00:00.000000+00:00", "member_count": 2,
			})
		case 6: // resume: this fake keeps no sessions
			_ = write(map[string]any{"op": 9, "s": nil, "t": nil, "d": false})
		}
	}
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	body := s.record(r, readBody(r))
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	content, _ := body["content"].(string)
	embeds, _ := body["embeds"].([]any)
	if content == "" && len(embeds) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Cannot send an empty message", "code": 50006})
		return
	}
	if embeds == nil {
		embeds = []any{}
	}
	msg := map[string]any{
		"id": fmt.Sprint(s.nextID.Add(1)), "type": 0, "channel_id": r.PathValue("channel"),
		"author": User{ID: BotID, Username: BotName, Bot: true}.user(), "content": content, "embeds": embeds,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "tts": false, "mention_everyone": false,
		"mentions": []any{}, "mention_roles": []any{}, "attachments": []any{}, "pinned": false,
	}
	if ref, ok := body["message_reference"].(map[string]any); ok {
		msg["type"] = 19
		msg["message_reference"] = ref
	}
	writeJSON(w, http.StatusOK, msg)
}

func (s *Server) putReaction(w http.ResponseWriter, r *http.Request) {
	s.record(r, nil)
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bot "+s.Token
}

func readBody(r *http.Request) map[string]any {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var m map[string]any
	if len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

func (s *Server) record(r *http.Request, body map[string]any) map[string]any {
	path := r.URL.EscapedPath()
	if p, err := decodePath(path); err == nil {
		path = p
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: path, Body: body, Auth: r.Header.Get("Authorization")})
	s.mu.Unlock()
	return body
}

func decodePath(p string) (string, error) {
	r, err := http.NewRequest("GET", "http://x"+p, nil)
	if err != nil {
		return "", err
	}
	return r.URL.Path, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
