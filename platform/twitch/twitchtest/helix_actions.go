package twitchtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the fake's Helix actions: moderation, channel control,
// polls, predictions, custom rewards, raids, markers, commercials, roles,
// followers and subscriptions. Each endpoint checks what Twitch's API
// reference documents for it: the scope of the token (401 "Missing scope:
// …"), the ids against the token's user (403), the required parameters and
// value ranges (400), and answers in the documented shape. Every request is
// recorded (Calls) and answers carry Ratelimit-* headers; SetBucket makes
// those headers count down a real bucket.

// Ban is an active ban or timeout (EndTime zero for a ban).
type Ban struct {
	UserID, ModeratorID, Reason string
	CreatedAt, EndTime          time.Time
}

// Reward is a custom channel-points reward. ClientID is the application
// that created it: only that client id may update it or its redemptions.
type Reward struct {
	ID, BroadcasterID, ClientID string
	Title, Prompt               string
	Cost                        int
	Enabled, InputRequired      bool
	CooldownSeconds             int // 0: no global cooldown
	MaxPerStream                int // 0: no limit
}

// Redemption is one redemption of a reward; Status is UNFULFILLED,
// FULFILLED or CANCELED.
type Redemption struct {
	ID, RewardID, BroadcasterID, UserID string
	Status                              string
}

// Follower follows the channel since At.
type Follower struct {
	UserID string
	At     time.Time
}

// Subscriber is a user subscribed to the channel.
type Subscriber struct {
	UserID, Tier   string
	IsGift         bool
	GifterID       string
	BroadcasterID  string
	BroadcasterLog string
}

// Game is a category known to Get Games and Search Categories.
type Game struct{ ID, Name string }

// ChannelInfo is what Modify Channel Information changed.
type ChannelInfo struct {
	Title, GameID string
	Tags          []string
}

type pollState struct {
	obj    map[string]any
	status string
}

type actions struct {
	bans          map[string]Ban // by user id
	vips, mods    map[string]bool
	chatSettings  map[string]any
	announcements []map[string]any
	whispers      []map[string]any
	shoutouts     []shoutout
	games         []Game
	channel       ChannelInfo
	polls         map[string]map[string]any
	predictions   map[string]map[string]any
	rewards       map[string]*Reward
	redemptions   map[string]*Redemption
	raid          map[string]any // the pending raid, nil when none
	markers       []map[string]any
	commercials   []int
	followers     []Follower
	subscribers   []Subscriber
	deletedMsgs   []string // "" is a clear
	bucket        *fakeBucket
}

type shoutout struct {
	to string
	at time.Time
}

type fakeBucket struct {
	limit     int
	window    time.Duration
	remaining int
	reset     time.Time
}

func newActions() *actions {
	return &actions{bans: map[string]Ban{}, vips: map[string]bool{}, mods: map[string]bool{},
		chatSettings: map[string]any{"emote_mode": false, "follower_mode": false, "follower_mode_duration": nil,
			"slow_mode": false, "slow_mode_wait_time": nil, "subscriber_mode": false, "unique_chat_mode": false,
			"non_moderator_chat_delay": false, "non_moderator_chat_delay_duration": nil},
		polls: map[string]map[string]any{}, predictions: map[string]map[string]any{},
		rewards: map[string]*Reward{}, redemptions: map[string]*Redemption{}}
}

func (s *Server) registerActions(mux *http.ServeMux) {
	h := func(path string, scopes []string, fn func(http.ResponseWriter, *http.Request, Token)) {
		mux.HandleFunc("/helix"+path, s.record(s.authed(s.scoped(scopes, fn))))
	}
	h("/moderation/bans", []string{"moderator:manage:banned_users"}, s.handleBans)
	h("/moderation/chat", []string{"moderator:manage:chat_messages"}, s.handleDeleteChat)
	h("/chat/settings", []string{"moderator:manage:chat_settings"}, s.handleChatSettings)
	h("/chat/announcements", []string{"moderator:manage:announcements"}, s.handleAnnouncement)
	h("/chat/shoutouts", []string{"moderator:manage:shoutouts"}, s.handleShoutout)
	h("/whispers", []string{"user:manage:whispers"}, s.handleWhisper)
	h("/channels", []string{"channel:manage:broadcast"}, s.handleChannel)
	h("/games", nil, s.handleGames)
	h("/search/categories", nil, s.handleSearchCategories)
	h("/polls", []string{"channel:manage:polls"}, s.handlePolls)
	h("/predictions", []string{"channel:manage:predictions"}, s.handlePredictions)
	h("/channel_points/custom_rewards", []string{"channel:manage:redemptions"}, s.handleRewards)
	h("/channel_points/custom_rewards/redemptions", []string{"channel:manage:redemptions"}, s.handleRedemptions)
	h("/raids", []string{"channel:manage:raids"}, s.handleRaids)
	h("/streams/markers", []string{"channel:manage:broadcast"}, s.handleMarkers)
	h("/channels/commercial", []string{"channel:edit:commercial"}, s.handleCommercial)
	h("/channels/vips", []string{"channel:manage:vips"}, s.roleHandler(func(a *actions) map[string]bool { return a.vips }, "VIP"))
	h("/moderation/moderators", []string{"channel:manage:moderators"}, s.roleHandler(func(a *actions) map[string]bool { return a.mods }, "moderator"))
	h("/channels/followers", []string{"moderator:read:followers"}, s.handleFollowers)
	h("/subscriptions", []string{"channel:read:subscriptions"}, s.handleSubscriptionsList)
}

// scoped answers 401 "Missing scope: …" unless the token has one of scopes.
func (s *Server) scoped(scopes []string, h func(http.ResponseWriter, *http.Request, Token)) func(http.ResponseWriter, *http.Request, Token) {
	return func(w http.ResponseWriter, r *http.Request, tok Token) {
		if len(scopes) > 0 && !slices.ContainsFunc(scopes, func(sc string) bool { return slices.Contains(tok.Scopes, sc) }) {
			writeError(w, http.StatusUnauthorized, "Missing scope: "+strings.Join(scopes, " or "))
			return
		}
		h(w, r, tok)
	}
}

// ---- scripting and inspection ----

// SetBucket makes Helix answers count down a token bucket of limit points
// that refills every window: Ratelimit-Remaining goes down with each Helix
// request, and a request with the bucket empty answers 429 (Remaining 0,
// Reset the refill time). limit 0 turns it off.
func (s *Server) SetBucket(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit <= 0 {
		s.act.bucket = nil
		return
	}
	s.act.bucket = &fakeBucket{limit: limit, window: window, remaining: limit, reset: time.Now().Add(window)}
}

// bucketLocked takes a point for a Helix request: it returns the headers to
// send and whether the request is over the limit.
func (s *Server) bucketLocked(now time.Time) (http.Header, bool) {
	b := s.act.bucket
	if b == nil {
		return nil, false
	}
	if !now.Before(b.reset) {
		b.remaining = b.limit
		b.reset = now.Add(b.window)
	}
	h := http.Header{}
	h.Set("Ratelimit-Limit", strconv.Itoa(b.limit))
	// Reset is whole seconds on Twitch: round up so a client waiting for it
	// never comes back early.
	h.Set("Ratelimit-Reset", strconv.FormatInt((b.reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
	if b.remaining <= 0 {
		h.Set("Ratelimit-Remaining", "0")
		return h, true
	}
	b.remaining--
	h.Set("Ratelimit-Remaining", strconv.Itoa(b.remaining))
	return h, false
}

// AddGame makes a category known to Get Games and Search Categories.
func (s *Server) AddGame(g Game) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.act.games = append(s.act.games, g)
}

// AddReward adds a custom reward (set ClientID to another app's id to play
// a reward StarStreamer did not create) and returns its id.
func (s *Server) AddReward(r Reward) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == "" {
		r.ID = newID()
	}
	s.act.rewards[r.ID] = &r
	return r.ID
}

// AddRedemption adds an UNFULFILLED redemption of a reward by a user and
// returns its id (the id of the channel_points event).
func (s *Server) AddRedemption(rewardID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := newID()
	b := ""
	if r := s.act.rewards[rewardID]; r != nil {
		b = r.BroadcasterID
	}
	s.act.redemptions[id] = &Redemption{ID: id, RewardID: rewardID, BroadcasterID: b, UserID: userID, Status: "UNFULFILLED"}
	return id
}

// AddFollower makes a user follow the channel since at.
func (s *Server) AddFollower(userID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.act.followers = append(s.act.followers, Follower{UserID: userID, At: at})
}

// AddSubscriber makes a user a subscriber (Tier "1000", "2000" or "3000").
func (s *Server) AddSubscriber(sub Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.act.subscribers = append(s.act.subscribers, sub)
}

// Bans returns the active bans and timeouts by user id.
func (s *Server) Bans() map[string]Ban {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Ban{}
	for k, v := range s.act.bans {
		out[k] = v
	}
	return out
}

// Channel returns the channel information as last modified.
func (s *Server) Channel() ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.act.channel
	c.Tags = append([]string(nil), c.Tags...)
	return c
}

// RedemptionStatus returns a redemption's status ("" when unknown).
func (s *Server) RedemptionStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.act.redemptions[id]; r != nil {
		return r.Status
	}
	return ""
}

// Rewards returns the custom rewards, sorted by title.
func (s *Server) Rewards() []Reward {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Reward
	for _, r := range s.act.rewards {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out
}

// HasRole reports whether a user is a "vip" or a "moderator" of the channel.
func (s *Server) HasRole(role, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if role == "vip" {
		return s.act.vips[userID]
	}
	return s.act.mods[userID]
}

// ---- helpers ----

// writeNoContent answers 204 with the rate-limit headers.
func writeNoContent(w http.ResponseWriter) {
	setDefaultRateHeaders(w)
	w.WriteHeader(http.StatusNoContent)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
		return false
	}
	return true
}

func (s *Server) userByID(id string) (User, bool) {
	for _, u := range s.users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// need checks required query parameters; it answers 400 and reports false
// when one is missing.
func need(w http.ResponseWriter, r *http.Request, names ...string) bool {
	for _, n := range names {
		if r.URL.Query().Get(n) == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Missing required parameter %q", n))
			return false
		}
	}
	return true
}

// asModerator checks broadcaster_id and moderator_id: moderator_id must be
// the token's user.
func asModerator(w http.ResponseWriter, r *http.Request, tok Token) bool {
	if !need(w, r, "broadcaster_id", "moderator_id") {
		return false
	}
	if r.URL.Query().Get("moderator_id") != tok.UserID {
		writeError(w, http.StatusForbidden, "The ID in moderator_id must match the user ID found in the request's OAuth token.")
		return false
	}
	return true
}

// asBroadcaster checks that id is the token's user (broadcaster-only
// endpoints).
func asBroadcaster(w http.ResponseWriter, id string, tok Token) bool {
	if id == "" {
		writeError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
		return false
	}
	if id != tok.UserID {
		writeError(w, http.StatusForbidden, "The ID in broadcaster_id must match the user ID found in the request's OAuth token.")
		return false
	}
	return true
}

func (s *Server) knownUser(w http.ResponseWriter, param, id string) bool {
	s.mu.Lock()
	_, ok := s.userByID(id)
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The ID in %s is not valid.", param))
	}
	return ok
}

func methodNotAllowed(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
