package e2e

// End-to-end tests of Twitch through the whole engine, as `starstreamer run`
// wires it: twitchtest (a fake EventSub WebSocket + Helix + OAuth server) →
// platform/twitch → the bus → a Lua module → bindings → platform/twitch →
// the fake Helix. The modules are written into the engine's temporary
// scripts folder; what they saw comes back as chat messages the fake Helix
// records, so every assertion is on what left the engine.

import (
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

const (
	e2eClientID = "e2e-client"
	e2eToken    = "e2e-access-token-not-for-logs"
	e2eWait     = 10 * time.Second // upper bound of any single wait; tests take far less
)

// The broadcaster of testdata/channel.chat.message.json; the token is the
// broadcaster's own, so the bot is the broadcaster (chat limit 100/30 s).
var (
	e2eBroadcaster = twitchtest.User{ID: "1971641", Login: "streamer", DisplayName: "Streamer"}
	e2eViewer      = twitchtest.User{ID: "4145994", Login: "viewer32", DisplayName: "viewer32"}
	e2eShoutout    = twitchtest.User{ID: "5550001", Login: "cool_streamer", DisplayName: "Cool_Streamer"}
)

// e2eSubscriptionTypes is every subscription issues 3 and 15 ask the engine
// to create on a fresh EventSub session (the token has every scope).
var e2eSubscriptionTypes = []string{
	"channel.chat.message", "channel.follow", "channel.subscribe", "channel.subscription.gift",
	"channel.subscription.message", "channel.raid", "channel.cheer",
	"channel.channel_points_custom_reward_redemption.add",
	"channel.hype_train.begin", "channel.hype_train.progress", "channel.hype_train.end",
	"stream.online", "stream.offline",
	"channel.update", "channel.ban", "channel.unban", "channel.moderator.add", "channel.moderator.remove",
	"channel.poll.begin", "channel.poll.progress", "channel.poll.end",
	"channel.prediction.begin", "channel.prediction.progress", "channel.prediction.lock", "channel.prediction.end",
	"channel.shoutout.create", "channel.shoutout.receive", "channel.ad_break.begin",
	"channel.chat.notification", "channel.chat.message_delete", "channel.chat.clear",
	"channel.channel_points_custom_reward_redemption.update",
}

// twitchEngine is the whole engine connected to a fake Twitch.
type twitchEngine struct {
	tb   testing.TB
	srv  *twitchtest.Server
	ss   *twitchtest.Session // the first EventSub session, subscribed
	base string              // the web API
	data string              // the store file (the API token is written beside it)
	tok  string
	logs *lockedLog
}

// startTwitchEngine runs the engine on temporary folders and a free port
// with every Twitch URL pointing at a fresh fake server, and returns once
// the first EventSub session has all its subscriptions and every module
// runs. Stopping the engine, checking that the token never reached the log
// (debug level included), and closing the fake are registered as cleanups.
// Each extraFlags adds command-line flags; later flags win.
func startTwitchEngine(tb testing.TB, scripts map[string]string, fo twitchtest.Options,
	extraFlags ...func(*twitchtest.Server) []string) *twitchEngine {
	tb.Helper()
	srv := twitchtest.New(fo)
	tb.Cleanup(srv.Close) // runs last: the engine stops first
	for _, u := range []twitchtest.User{e2eBroadcaster, e2eViewer, e2eShoutout} {
		srv.AddUser(u)
	}
	srv.AddToken(twitchtest.Token{Access: e2eToken, UserID: e2eBroadcaster.ID, Login: e2eBroadcaster.Login, Scopes: twitch.Scopes})

	dir := tb.TempDir()
	sdir := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, code := range scripts {
		if err := os.WriteFile(filepath.Join(sdir, name), []byte(code), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	args := []string{"--log-level", "debug", "--scripts", sdir, "--data", filepath.Join(dir, "data", "ss.db"), "--addr", addr, "--obs-addr", "",
		"--twitch-client-id", e2eClientID, "--twitch-channel", e2eBroadcaster.Login, "--twitch-token", e2eToken,
		"--twitch-auth-url", srv.AuthURL(), "--twitch-api-url", srv.HelixURL(),
		"--twitch-eventsub-url", srv.EventSubURL(), "--twitch-subscriptions-url", srv.SubscriptionsURL()}
	for _, f := range extraFlags {
		args = append(args, f(srv)...)
	}
	te := &twitchEngine{tb: tb, srv: srv, base: "http://" + addr, data: filepath.Join(dir, "data", "ss.db"), logs: &lockedLog{}}
	tb.Cleanup(func() {
		logs := te.logs.String()
		if strings.Contains(logs, e2eToken) {
			tb.Error("the Twitch access token appears in the engine's log")
		}
		if tb.Failed() {
			tb.Logf("engine log:\n%s", logs)
		}
	})
	p := startProcess(tb, te.logs, args...)
	tb.Cleanup(func() { p.stop(tb, e2eWait) })

	if te.ss, err = srv.NextSession(e2eWait); err != nil {
		tb.Fatal(err)
	}
	te.waitSubscribed(te.ss)
	te.waitModulesRunning(len(scripts))
	return te
}

// waitSubscribed waits until ss has a subscription of every type of
// e2eSubscriptionTypes.
func (te *twitchEngine) waitSubscribed(ss *twitchtest.Session) {
	te.tb.Helper()
	missing := func() []string {
		have := map[string]bool{}
		for _, s := range ss.Subscriptions() {
			have[s.Type] = true
		}
		var out []string
		for _, t := range e2eSubscriptionTypes {
			if !have[t] {
				out = append(out, t)
			}
		}
		return out
	}
	if !te.srv.WaitFor(e2eWait, func() bool { return len(missing()) == 0 }) {
		te.tb.Fatalf("session %s lacks subscriptions %v", ss.ID(), missing())
	}
}

type e2eModule struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	LastError string `json:"last_error"`
	Errors    uint64 `json:"errors"`
}

func (te *twitchEngine) modules() []e2eModule {
	var out struct{ Modules []e2eModule }
	if te.tok == "" {
		te.tok = readToken(te.tb, te.data, e2eWait)
	}
	req, _ := http.NewRequest(http.MethodGet, te.base+"/api/modules", nil)
	req.Header.Set("Authorization", "Bearer "+te.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Modules
}

func (te *twitchEngine) waitModulesRunning(n int) {
	te.tb.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		mods := te.modules()
		running := 0
		for _, m := range mods {
			if m.Status == "running" {
				running++
			}
		}
		if running == n && len(mods) == n {
			return
		}
		if time.Now().After(deadline) {
			te.tb.Fatalf("modules not all running: %+v", mods)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoHandlerErrors fails when a Lua handler raised an error (a shape
// check in a module that failed, for example).
func (te *twitchEngine) checkNoHandlerErrors() {
	te.tb.Helper()
	for _, m := range te.modules() {
		if m.Errors > 0 || m.LastError != "" {
			te.tb.Errorf("module %s: %d handler errors, last: %s", m.Name, m.Errors, m.LastError)
		}
	}
}

// waitChat waits until the fake Helix accepted a chat message with exactly
// this text and returns it.
func (te *twitchEngine) waitChat(text string) twitchtest.ChatMessage {
	te.tb.Helper()
	return te.waitChatFunc(fmt.Sprintf("%q", text), func(m string) bool { return m == text })
}

// waitChatFunc waits until the fake Helix accepted a chat message that
// match accepts and returns it.
func (te *twitchEngine) waitChatFunc(what string, match func(string) bool) twitchtest.ChatMessage {
	te.tb.Helper()
	var got twitchtest.ChatMessage
	ok := te.srv.WaitFor(e2eWait, func() bool {
		for _, m := range te.srv.ChatMessages() {
			if match(m.Message) {
				got = m
				return true
			}
		}
		return false
	})
	if !ok {
		te.tb.Fatalf("no chat message %s reached Helix; it has:\n%s", what, te.chatLog())
	}
	return got
}

func (te *twitchEngine) chatLog() string {
	var b strings.Builder
	for _, m := range te.srv.ChatMessages() {
		fmt.Fprintf(&b, "  %q (reply to %q)\n", m.Message, m.ReplyParentMessageID)
	}
	for _, m := range te.modules() {
		fmt.Fprintf(&b, "  module %s: %s, %d errors %s\n", m.Name, m.Status, m.Errors, m.LastError)
	}
	return b.String()
}

func (te *twitchEngine) send(ss *twitchtest.Session, frame []byte) {
	te.tb.Helper()
	if _, err := ss.SendEnvelope(frame, true); err != nil {
		te.tb.Fatal(err)
	}
}

func (te *twitchEngine) sendFile(ss *twitchtest.Session, name string) {
	te.tb.Helper()
	if _, err := ss.SendFile(twitchTestdata(name)); err != nil {
		te.tb.Fatal(err)
	}
}

func twitchTestdata(name string) string {
	return filepath.Join("..", "platform", "twitch", "testdata", name+".json")
}

// twitchChatFrame is testdata/channel.chat.message.json (viewer32, moderator and
// subscriber badges) with this EventSub message id, chat message id and text.
func twitchChatFrame(tb testing.TB, id, text string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(twitchTestdata("channel.chat.message"))
	if err != nil {
		tb.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		tb.Fatal(err)
	}
	env["metadata"].(map[string]any)["message_id"] = id
	ev := env["payload"].(map[string]any)["event"].(map[string]any)
	ev["message_id"] = id
	ev["message"] = map[string]any{"text": text, "fragments": []any{map[string]any{
		"type": "text", "text": text, "cheermote": nil, "emote": nil, "mention": nil}}}
	b, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// luaWho is shared by the modules below: DESIGN.md's one user shape
// {id, username, display_name}, or "anonymous" for nil, or BAD-USER.
const luaWho = `
local function who(u)
  if u == nil then return "anonymous" end
  if type(u) ~= "table" or type(u.id) ~= "string" or type(u.username) ~= "string"
      or type(u.display_name) ~= "string" then
    return "BAD-USER"
  end
  return u.username .. "#" .. u.id .. "(" .. u.display_name .. ")"
end
local function num(n)
  if type(n) ~= "number" then return "BAD-NUMBER(" .. type(n) .. ")" end
  return string.format("%d", n)
end
local function str(s)
  if type(s) ~= "string" then return "BAD-STRING(" .. type(s) .. ")" end
  return s
end
local function bool(b)
  if type(b) ~= "boolean" then return "BAD-BOOL(" .. type(b) .. ")" end
  return tostring(b)
end
`

// chatEchoModule answers every chat message with what it saw of it.
const chatEchoModule = `module { name = "echo", permissions = { "twitch.chat" } }
` + luaWho + `
local function badges(list)
  if type(list) ~= "table" then return "BAD-BADGES" end
  local out = {}
  for _, b in ipairs(list) do out[#out + 1] = str(b.set_id) .. "/" .. str(b.id) end
  return table.concat(out, ",")
end

on_event("twitch.chat.message", function(event)
  local d, u = event.data, event.data.user
  local fresh = type(event.timestamp) == "number" and math.abs(os.time() - event.timestamp) < 60
  local reply = "none"
  if d.reply ~= nil then reply = str(d.reply.parent_message_id) .. "@" .. who(d.reply.parent_user) end
  local ok, err = twitch.reply(event, event.type .. " from " .. event.source .. " id=" .. type(event.id)
    .. " fresh=" .. tostring(fresh) .. " | " .. who(u) .. " b=" .. bool(u.broadcaster) .. " m=" .. bool(u.moderator)
    .. " v=" .. bool(u.vip) .. " s=" .. bool(u.subscriber) .. " ub=" .. badges(u.badges)
    .. " | msg=[" .. str(d.message) .. "] id=" .. str(d.message_id) .. " badges=" .. badges(d.badges)
    .. " reply=" .. reply)
  if not ok then error("reply failed: " .. err) end
end)
`

func TestTwitchChatMessageReachesLuaAndItsReplyReachesHelix(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"echo.lua": chatEchoModule}, twitchtest.Options{})
	const prefix = "twitch.chat.message from twitch id=string fresh=true | "
	tests := []struct {
		name   string
		send   func() (chatID string) // sends the frame, returns the chat message id
		reply  string                 // what the module answers, after prefix
		parent string                 // reply_parent_message_id expected at Helix
	}{
		{
			name: "testdata message from a moderator subscriber",
			send: func() string {
				te.send(te.ss, twitchChatFrame(t, "e2e-chat-1", "Hi chat"))
				return "e2e-chat-1"
			},
			reply: "viewer32#4145994(viewer32) b=false m=true v=false s=true ub=moderator/1,subscriber/12,sub-gifter/1" +
				" | msg=[Hi chat] id=e2e-chat-1 badges=moderator/1,subscriber/12,sub-gifter/1 reply=none",
		},
		{
			name: "testdata reply from a vip founder",
			send: func() string {
				te.sendFile(te.ss, "channel.chat.message.reply")
				return "9d0bcb5e-ee31-4b09-b72f-66eb94ce061e"
			},
			reply: "nerixyz#129546453(nerixyz) b=false m=false v=true s=true ub=vip/1,founder/0" +
				" | msg=[@TwitchDev Hello, World! DinoDance] id=9d0bcb5e-ee31-4b09-b72f-66eb94ce061e badges=vip/1,founder/0" +
				" reply=c8b1e9a4-2e57-4a6f-9c3d-1b0a7e6f5d4c@twitchdev#141981764(TwitchDev)",
		},
		{
			name: "the broadcaster chatting",
			send: func() string {
				id, err := te.ss.SendChatMessage(e2eBroadcaster, "hello from the broadcaster", twitchtest.Badge{SetID: "broadcaster", ID: "1"})
				if err != nil {
					t.Fatal(err)
				}
				return id
			},
			reply: "streamer#1971641(Streamer) b=true m=false v=false s=false ub=broadcaster/1" +
				" | msg=[hello from the broadcaster] id={id} badges=broadcaster/1 reply=none",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.send()
			want := prefix + strings.ReplaceAll(tc.reply, "{id}", id)
			m := te.waitChat(want)
			if m.ReplyParentMessageID != id || m.BroadcasterID != e2eBroadcaster.ID || m.SenderID != e2eBroadcaster.ID {
				t.Fatalf("Helix got reply to %q from %s in %s, want reply to %q from and in %s",
					m.ReplyParentMessageID, m.SenderID, m.BroadcasterID, id, e2eBroadcaster.ID)
			}
			var call *twitchtest.Call
			for _, c := range te.srv.CallsTo(http.MethodPost, "/helix/chat/messages") {
				if strings.Contains(c.Body, `"reply_parent_message_id":"`+id+`"`) {
					call = &c
				}
			}
			if call == nil {
				t.Fatalf("no POST /helix/chat/messages carries reply_parent_message_id %q", id)
			}
			if call.Header.Get("Authorization") != "Bearer "+e2eToken || call.Header.Get("Client-Id") != e2eClientID {
				t.Fatalf("Send Chat Message sent without the token and client id (Client-Id %q)", call.Header.Get("Client-Id"))
			}
		})
	}

	// The panel's chat console shows what the bot said on Twitch (it is
	// added once Send Chat Message has answered, so it may lag Helix).
	type sinkMessage struct {
		Text    string `json:"text"`
		ReplyTo string `json:"reply_to"`
		Online  bool   `json:"online"`
	}
	var sink []sinkMessage
	for deadline := time.Now().Add(e2eWait); len(sink) < len(tests) && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		sink = nil
		req, _ := http.NewRequest(http.MethodGet, te.base+"/api/chat", nil)
		req.Header.Set("Authorization", "Bearer "+te.tok) // read by waitModulesRunning
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&sink)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(sink) != len(tests) || !sink[0].Online || sink[0].ReplyTo != "e2e-chat-1" {
		t.Fatalf("GET /api/chat = %+v, want the %d replies, online, the first replying to e2e-chat-1", sink, len(tests))
	}

	// --twitch-auth-url reached the client: the token was validated there.
	validated := false
	for _, c := range te.srv.CallsTo(http.MethodGet, "/oauth2/validate") {
		validated = validated || c.Header.Get("Authorization") == "OAuth "+e2eToken
	}
	if !validated {
		t.Fatal("the token was not validated at --twitch-auth-url")
	}
	te.checkNoHandlerErrors()
}

// alertsModule announces follows, raids, cheers, subs and gifts with every
// field DESIGN.md gives them, type-checked.
const alertsModule = `module { name = "alerts_e2e", permissions = { "twitch.chat" } }
` + luaWho + `
local function say(event, text)
  local ok, err = twitch.send_message("[" .. event.source .. "] " .. text)
  if not ok then error("send failed: " .. err) end
end

on_event("twitch.follow", function(e)
  say(e, "follow " .. who(e.data.user) .. " at " .. str(e.data.followed_at))
end)
on_event("twitch.raid", function(e)
  say(e, "raid from " .. who(e.data.from_broadcaster) .. " with " .. num(e.data.viewers) .. " viewers")
end)
on_event("twitch.cheer", function(e)
  say(e, "cheer " .. who(e.data.user) .. " " .. num(e.data.bits) .. " bits: " .. str(e.data.message))
end)
on_event("twitch.subscription", function(e)
  local d = e.data
  local text = "sub " .. who(d.user) .. " tier " .. str(d.tier) .. " gift " .. bool(d.is_gift)
  if d.months ~= nil then text = text .. " months " .. num(d.months) .. " message " .. str(d.message) end
  say(e, text)
end)
on_event("twitch.gift", function(e)
  local d = e.data
  say(e, "gift " .. who(d.user) .. " tier " .. str(d.tier) .. " total " .. num(d.total) .. " cumulative " .. num(d.cumulative))
end)
`

func TestTwitchNotificationsReachLuaInTheDesignShapes(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{"alerts_e2e.lua": alertsModule}, twitchtest.Options{})
	for _, tc := range []struct {
		file string // in platform/twitch/testdata
		want string // the module's chat message
	}{
		{"channel.follow", "[twitch] follow awesome_user#1337(Awesome_User) at 2023-07-15T18:16:11.17106713Z"},
		{"channel.raid", "[twitch] raid from cool_user#1234(Cool_User) with 9001 viewers"},
		{"channel.cheer", "[twitch] cheer cool_user#1234(Cool_User) 1000 bits: pogchamp"},
		{"channel.cheer.anonymous", "[twitch] cheer anonymous 100 bits: Cheer100 anonymous"},
		{"channel.subscribe", "[twitch] sub cool_user#1234(Cool_User) tier 1000 gift false"},
		{"channel.subscription.message", "[twitch] sub cool_user#1234(Cool_User) tier 1000 gift false months 15 message Love the stream! FevziGG"},
		{"channel.subscription.gift", "[twitch] gift cool_user#1234(Cool_User) tier 1000 total 2 cumulative 284"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			te.sendFile(te.ss, tc.file)
			te.waitChat(tc.want)
		})
	}
	te.checkNoHandlerErrors()
}

// onceModule counts every chat message it handles, in total and per
// message id, and says so; it also reports connection changes. A duplicate
// handled anywhere shows up as seen=2 or as a total that skips ahead (events
// of one module start in order, and store.incr does not yield).
const onceModule = `module { name = "once", permissions = { "twitch.chat", "store" } }

on_event("twitch.chat.message", function(event)
  local handled = store.incr("handled", 1)
  local seen = store.incr("seen:" .. event.data.message_id, 1)
  twitch.reply(event, string.format("%s handled=%d seen=%d", event.data.message, handled, seen))
end)

-- A session_reconnect is invisible: only a lost session disconnects.
local disconnects = 0
on_event("twitch.disconnected", function(event)
  disconnects = disconnects + 1
  twitch.send_message(string.format("twitch.disconnected #%d: %s", disconnects, tostring(event.data.reason)))
end)
on_event("twitch.connected", function(event)
  twitch.send_message(string.format("twitch.connected after %d disconnects: %s", disconnects, tostring(event.data.reason)))
end)
`

func TestTwitchReconnectAndKeepaliveLossHandleEveryEventOnce(t *testing.T) {
	t.Parallel()
	// Keepalives every 200 ms against a 1 s timeout: a silent socket is
	// noticed after 1 s + the client's grace (5 s by default).
	te := startTwitchEngine(t, map[string]string{"once.lua": onceModule},
		twitchtest.Options{KeepaliveTimeoutSeconds: 1, KeepaliveInterval: 200 * time.Millisecond})
	subscribes := func() int { return len(te.srv.CallsTo(http.MethodPost, "/eventsub/subscriptions")) }
	if n := subscribes(); n != len(e2eSubscriptionTypes) {
		t.Fatalf("%d subscription requests on the first session, want %d", n, len(e2eSubscriptionTypes))
	}
	a, b, c := twitchChatFrame(t, "e2e-once-a", "a"), twitchChatFrame(t, "e2e-once-b", "b"), twitchChatFrame(t, "e2e-once-c", "c")

	first := te.ss
	te.send(first, a)
	te.waitChat("a handled=1 seen=1")

	// session_reconnect: the client moves to the new URL, closes the old
	// socket itself after the new welcome and does not resubscribe.
	if err := first.Reconnect(); err != nil {
		t.Fatal(err)
	}
	second, err := te.srv.NextSession(e2eWait)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Done():
	case <-time.After(e2eWait):
		t.Fatal("the client kept the old socket open after the new welcome")
	}
	if code := first.CloseCode(); code != 0 {
		t.Fatalf("the old socket was closed by the server with %d, not by the client", code)
	}
	te.send(second, a) // Twitch repeats a message id across the reconnect
	te.send(second, b)
	te.waitChat("b handled=2 seen=1")
	if n := subscribes(); n != len(e2eSubscriptionTypes) {
		t.Fatalf("%d subscription requests after session_reconnect, want still %d (no resubscribe)", n, len(e2eSubscriptionTypes))
	}

	// Keepalive loss: the client gives the silent session up, connects
	// afresh, subscribes again and Lua hears about both.
	second.StopKeepalives()
	third, err := te.srv.NextSession(2 * e2eWait) // ~6 s of silence + ~1 s backoff
	if err != nil {
		t.Fatal(err)
	}
	te.waitSubscribed(third)
	select {
	case <-second.Done():
	case <-time.After(e2eWait):
		t.Fatal("the silent session was not closed")
	}
	const lost = "twitch.disconnected #1: keepalive timeout"
	te.waitChatFunc(lost+"…", func(m string) bool { return strings.HasPrefix(m, lost) })
	te.waitChat("twitch.connected after 1 disconnects: welcome")
	te.send(third, b) // repeated again, on the new session
	te.send(third, c)
	te.waitChat("c handled=3 seen=1")

	var handled []string
	for _, m := range te.srv.ChatMessages() {
		if strings.Contains(m.Message, "handled=") {
			handled = append(handled, m.Message)
		}
		if strings.HasPrefix(m.Message, "twitch.disconnected #2") {
			t.Errorf("a second disconnect: %q", m.Message)
		}
	}
	want := []string{"a handled=1 seen=1", "b handled=2 seen=1", "c handled=3 seen=1"}
	if !slices.Equal(handled, want) {
		t.Fatalf("Lua handled %q, want each message once: %q", handled, want)
	}
	te.checkNoHandlerErrors()
}

// whoModule looks users up with twitch.user; chat.lua (the shipped module)
// covers !uptime with twitch.stream, channel.lua !so with twitch.user and
// twitch.shoutout.
const whoModule = `module { name = "who" , permissions = { "twitch.chat" } }
` + luaWho + `
command("!who", function(event, cmd)
  local u, err = twitch.user(cmd.args[1])
  if not u then
    twitch.reply(event, "who: " .. tostring(err))
    return
  end
  twitch.reply(event, "who: " .. who(u))
end)
`

func TestTwitchStreamAndUserFromLua(t *testing.T) {
	t.Parallel()
	chatLua, err := os.ReadFile(filepath.Join("..", "scripts", "chat.lua"))
	if err != nil {
		t.Fatal(err)
	}
	channelLua, err := os.ReadFile(filepath.Join("..", "scripts", "channel.lua"))
	if err != nil {
		t.Fatal(err)
	}
	te := startTwitchEngine(t, map[string]string{"chat.lua": string(chatLua), "channel.lua": string(channelLua),
		"who.lua": whoModule}, twitchtest.Options{})
	n := 0
	say := func(text string) string {
		n++
		id := fmt.Sprintf("e2e-cmd-%d", n)
		te.send(te.ss, twitchChatFrame(t, id, text)) // from viewer32, a moderator
		return id
	}
	streamCalls := func() []twitchtest.Call { return te.srv.CallsTo(http.MethodGet, "/helix/streams") }

	id := say("!uptime")
	if m := te.waitChat("The stream is offline."); m.ReplyParentMessageID != id {
		t.Fatalf("!uptime answered %q, not the command", m.ReplyParentMessageID)
	}
	calls := streamCalls()
	if len(calls) != 1 || calls[0].Query.Get("user_id") != e2eBroadcaster.ID {
		t.Fatalf("GET /helix/streams calls: %+v, want one for user_id %s", calls, e2eBroadcaster.ID)
	}

	te.srv.SetStream(twitchtest.Stream{UserID: e2eBroadcaster.ID, UserLogin: e2eBroadcaster.Login, UserName: e2eBroadcaster.DisplayName,
		Title: "Testing", GameName: "Software and Game Development", ViewerCount: 42,
		StartedAt: time.Now().Add(-(time.Hour + 2*time.Minute + 20*time.Second))})
	say("!uptime")
	te.waitChat("Live for 1h 2m.")

	say("!so @Cool_Streamer")
	te.waitChat("Go and follow Cool_Streamer at https://twitch.tv/cool_streamer !")
	if !te.srv.WaitFor(e2eWait, func() bool {
		for _, c := range te.srv.CallsTo(http.MethodPost, "/helix/chat/shoutouts") {
			if c.Query.Get("to_broadcaster_id") == e2eShoutout.ID && c.Query.Get("from_broadcaster_id") == e2eBroadcaster.ID {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no official shoutout of %s reached Helix: %+v", e2eShoutout.Login, te.srv.CallsTo(http.MethodPost, "/helix/chat/shoutouts"))
	}
	say("!who @viewer32")
	te.waitChat("who: viewer32#4145994(viewer32)")
	say("!who nobody_here")
	te.waitChat(`who: twitch: user not found: "nobody_here"`)

	var logins []string
	for _, c := range te.srv.CallsTo(http.MethodGet, "/helix/users") {
		if l := c.Query.Get("login"); l != "" && l != e2eBroadcaster.Login {
			logins = append(logins, l)
		}
	}
	if want := []string{"cool_streamer", "viewer32", "nobody_here"}; !slices.Equal(logins, want) {
		t.Fatalf("Get Users logins %q, want %q", logins, want)
	}
	te.checkNoHandlerErrors()
}

// benchModule's handler starts with a Helix call, so that call's arrival
// at the server marks (just after) the handler's start.
const benchModule = `module { name = "bench" }
on_event("twitch.chat.message", function(event)
  twitch.user(event.data.message)
end)
`

// usersArrival is a Get Users request seen by usersTap.
type usersArrival struct {
	login string
	at    time.Time
}

// usersTap stands in front of the fake Helix and reports when each Get
// Users request with a login arrives, before passing it on. It exists
// because polling the fake's recorded calls copies all of them each time,
// which grows with b.N and would weigh on the figures.
type usersTap struct {
	next http.Handler
	url  string
	seen chan usersArrival
}

func (u *usersTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if login := r.URL.Query().Get("login"); login != "" && strings.HasSuffix(r.URL.Path, "/users") {
		select {
		case u.seen <- usersArrival{login, time.Now()}:
		default:
		}
	}
	u.next.ServeHTTP(w, r)
}

// BenchmarkEventSubFrameToLuaHandler measures, through the whole engine,
// the time from just before the fake server writes a channel.chat.message
// frame on the EventSub WebSocket to the moment the Helix Get Users request
// that the Lua handler makes as its first statement arrives at the server
// (frame-* metrics). The path: WebSocket write and read, JSON parse, dedupe,
// mapping, bus match and delivery to the module's mailbox, the module
// goroutine starting a coroutine, the handler calling twitch.user, the
// binding's goroutine, and one loopback HTTP request up to the server's
// handler. One frame is in flight at a time.
//
// To isolate the parts: send-p50-µs is the fake server's own share (it
// re-encodes the envelope, then writes the frame), and each iteration also
// times a plain Go GET of the same endpoint from this process to the same
// usersArrival point (helix-*). est-handler-p50-µs is frame-p50 minus helix-p50:
// an estimate of frame → Lua handler start (the fake's send included).
func BenchmarkEventSubFrameToLuaHandler(b *testing.B) {
	tap := &usersTap{seen: make(chan usersArrival, 1)}
	te := startTwitchEngine(b, map[string]string{"bench.lua": benchModule}, twitchtest.Options{},
		func(srv *twitchtest.Server) []string {
			target, err := url.Parse(srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			rp := httputil.NewSingleHostReverseProxy(target)
			rp.ErrorLog = stdlog.New(io.Discard, "", 0) // requests cut short when the engine stops
			tap.next = rp
			proxy := httptest.NewServer(tap)
			b.Cleanup(proxy.Close)
			tap.url = proxy.URL
			return []string{"--twitch-api-url", proxy.URL + "/helix"}
		})

	frames := make([][]byte, b.N)
	for i := range frames {
		frames[i] = twitchChatFrame(b, fmt.Sprintf("bench-%d", i), fmt.Sprintf("bench%d", i))
	}
	direct := &http.Client{Timeout: e2eWait}
	arrivedAt := func(login string) time.Time {
		select {
		case a := <-tap.seen:
			if a.login != login {
				b.Fatalf("Get Users for %q, want %q", a.login, login)
			}
			return a.at
		case <-time.After(e2eWait):
			b.Fatalf("no Get Users for %q", login)
		}
		return time.Time{}
	}
	frameLat := make([]time.Duration, 0, b.N)
	sendLat := make([]time.Duration, 0, b.N)
	helixLat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := te.ss.SendEnvelope(frames[i], true); err != nil {
			b.Fatal(err)
		}
		sendLat = append(sendLat, time.Since(t0))
		frameLat = append(frameLat, arrivedAt(fmt.Sprintf("bench%d", i)).Sub(t0))

		login := fmt.Sprintf("direct%d", i)
		req, _ := http.NewRequest(http.MethodGet, tap.url+"/helix/users?login="+login, nil)
		req.Header.Set("Authorization", "Bearer "+e2eToken)
		req.Header.Set("Client-Id", e2eClientID)
		t1 := time.Now()
		resp, err := direct.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		helixLat = append(helixLat, arrivedAt(login).Sub(t1))
	}
	total := time.Since(start)
	b.StopTimer()
	pct := func(lat []time.Duration, q float64) float64 {
		s := slices.Clone(lat)
		slices.Sort(s)
		return float64(s[int(q*float64(len(s)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(frameLat, 0.50), "frame-p50-µs")
	b.ReportMetric(pct(frameLat, 0.99), "frame-p99-µs")
	b.ReportMetric(pct(sendLat, 0.50), "send-p50-µs")
	b.ReportMetric(pct(helixLat, 0.50), "helix-p50-µs")
	b.ReportMetric(pct(helixLat, 0.99), "helix-p99-µs")
	b.ReportMetric(pct(frameLat, 0.50)-pct(helixLat, 0.50), "est-handler-p50-µs")
	b.ReportMetric(float64(b.N)/total.Seconds(), "iterations/s")
	te.checkNoHandlerErrors()
}

// A module sees the very first events: twitch.connected comes while the
// modules are still loading (here a slow one loads first), and the engine
// holds it until they all have loaded. The answer must reach Helix once.
func TestModuleAnsweringTwitchConnectedSeesItAtStart(t *testing.T) {
	t.Parallel()
	te := startTwitchEngine(t, map[string]string{
		"a_slow.lua": `module { name = "a_slow" }
local t0 = os.clock()
while os.clock() - t0 < 0.3 do end -- a slow start, in front of the others`,
		"hello.lua": `module { name = "hello", permissions = { "twitch.chat" } }
on_event("twitch.connected", function(e)
  twitch.send_message("hello: saw " .. e.type .. " from " .. e.source)
end)`,
	}, twitchtest.Options{})
	te.waitChat("hello: saw twitch.connected from twitch")
	time.Sleep(100 * time.Millisecond) // a second answer would have come by now
	n := 0
	for _, m := range te.srv.ChatMessages() {
		if strings.HasPrefix(m.Message, "hello:") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d answers to twitch.connected, want 1:\n%s", n, te.chatLog())
	}
	te.checkNoHandlerErrors()
}
