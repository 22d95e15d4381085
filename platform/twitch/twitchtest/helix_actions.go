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
