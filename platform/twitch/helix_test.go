package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

func TestActionsBeforeRunAreNotConnected(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ctx := context.Background()
	_, errClip := e.client.CreateClip(ctx)
	_, errStream := e.client.Stream(ctx)
	_, errUser := e.client.User(ctx, "x")
	for name, err := range map[string]error{
		"SendMessage": e.client.SendMessage(ctx, "hi"), "Reply": e.client.Reply(ctx, "p", "hi"),
		"CreateClip": errClip, "Stream": errStream, "User": errUser,
	} {
		if !errors.Is(err, ErrNotConnected) {
			t.Errorf("%s = %v, want ErrNotConnected", name, err)
		}
	}
	if e.client.Connected() {
		t.Error("Connected() before Run")
	}
}

func TestSendMessagePostsAsTheBotToTheChannel(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	if err := e.client.SendMessage(context.Background(), "  hello chat  "); err != nil {
		t.Fatal(err)
	}
	got := e.srv.ChatMessages()
	if len(got) != 1 || got[0].Message != "hello chat" || got[0].BroadcasterID != broadcaster.ID ||
		got[0].SenderID != bot.ID || got[0].ReplyParentMessageID != "" {
		t.Fatalf("chat = %+v", got)
	}
	call := e.srv.CallsTo("POST", "/helix/chat/messages")[0]
	if call.Header.Get("Client-Id") != "cid" || call.Header.Get("Authorization") != "Bearer tok-bot" {
		t.Errorf("headers %v", call.Header)
	}
}

func TestReplyCarriesTheParentMessageID(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	if err := e.client.Reply(context.Background(), "parent-1", "pong"); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.ChatMessages(); len(got) != 1 || got[0].ReplyParentMessageID != "parent-1" || got[0].Message != "pong" {
		t.Fatalf("chat = %+v", got)
	}
}

func TestLongMessageIsSplitAtWordsInOrder(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	var words []string
	for i := 0; i < 300; i++ {
		words = append(words, "w"+strings.Repeat("x", i%7))
	}
	text := strings.Join(words, " ")
	if err := e.client.SendMessage(context.Background(), text); err != nil {
		t.Fatal(err)
	}
	got := e.srv.ChatMessages()
	if len(got) < 3 {
		t.Fatalf("%d parts for %d characters", len(got), len(text))
	}
	var joined []string
	for _, m := range got {
		if utf8.RuneCountInString(m.Message) > 500 {
			t.Errorf("part of %d characters", utf8.RuneCountInString(m.Message))
		}
		joined = append(joined, m.Message)
	}
	if strings.Join(joined, " ") != text {
		t.Error("parts do not rebuild the message (order or word boundaries)")
	}
}

func TestDroppedMessageReturnsTheDropReason(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	e.srv.DropNextChat("msg_duplicate", "Your message is identical to the one you sent within the last 30 seconds.")
	err := e.client.SendMessage(context.Background(), "again")
	var de *DropError
	if !errors.Is(err, ErrMessageDropped) || !errors.As(err, &de) || de.Code != "msg_duplicate" ||
		!strings.Contains(err.Error(), "identical") {
		t.Fatalf("err = %v, want a DropError with the drop reason", err)
	}
}

func TestRateLimited429IsRetriedAfterReset(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	e.srv.RateLimitNext("POST", "/helix/chat/messages", time.Now().Add(-time.Second)) // reset already passed
	if err := e.client.SendMessage(context.Background(), "after 429"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.CallsTo("POST", "/helix/chat/messages")); n != 2 {
		t.Errorf("%d calls, want 2 (429 then retry)", n)
	}
	if len(e.srv.ChatMessages()) != 1 {
		t.Error("message not sent after the retry")
	}
}

func TestRateLimitResetTooFarIsAnError(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) { e.cfg.MaxRateLimitWait = time.Second })
	e.connected(t)
	e.srv.RateLimitNext("GET", "/helix/streams", time.Now().Add(time.Hour))
	if _, err := e.client.Stream(context.Background()); err == nil || !strings.Contains(err.Error(), "rate limited") {
		t.Fatalf("err = %v, want a rate-limit error", err)
	}
}

// TestChatQueueWaitsForTheWindowAndRefusesWhenFull: at the limit messages
// wait (never dropped); a full queue is an error at once; the bot's own
// moderator badge raises the limit and the waiting messages go out in order.
func TestChatQueueWaitsForTheWindowAndRefusesWhenFull(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.cfg.ChatLimit, e.cfg.ChatModLimit, e.cfg.ChatWindow, e.cfg.QueueSize = 2, 100, time.Hour, 1
	})
	ss := e.connected(t)
	ctx := context.Background()
	for _, m := range []string{"one", "two"} {
		if err := e.client.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	results := make(chan error, 2)
	go func() { results <- e.client.SendMessage(ctx, "three") }()
	eventually(t, e.client.queue.waiting.Load) // "three" is held back by the window
	go func() { results <- e.client.SendMessage(ctx, "four") }()
	eventually(t, func() bool { return len(e.client.queue.items) == 1 }) // "four" fills the queue
	if err := e.client.SendMessage(ctx, "five"); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("full queue: err = %v, want ErrQueueFull", err)
	}
	if n := len(e.srv.ChatMessages()); n != 2 {
		t.Fatalf("%d messages sent past the limit of 2", n)
	}
	// The bot's own message shows a moderator badge: 100 per window.
	chat := resendable(t, "channel.chat.message", "own-message")
	var env map[string]any
	json.Unmarshal(chat, &env)
	ev := env["payload"].(map[string]any)["event"].(map[string]any)
	ev["chatter_user_id"], ev["chatter_user_login"], ev["broadcaster_user_id"] = bot.ID, bot.Login, broadcaster.ID
	chat, _ = json.Marshal(env)
	if _, err := ss.SendEnvelope(chat, false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, m := range e.srv.ChatMessages() {
		got = append(got, m.Message)
	}
	if strings.Join(got, ",") != "one,two,three,four" {
		t.Errorf("sent %v", got)
	}
}

func TestCancelledSendIsNotSent(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.cfg.ChatLimit, e.cfg.ChatWindow = 1, time.Hour
	})
	e.connected(t)
	if err := e.client.SendMessage(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.client.SendMessage(ctx, "never") }()
	eventually(t, e.client.queue.waiting.Load)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	eventually(t, func() bool { return !e.client.queue.waiting.Load() })
	if n := len(e.srv.ChatMessages()); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}
}

func TestCreateClipPollsUntilTheClipExists(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	e.srv.SetClipDelay(3)
	clip, err := e.client.CreateClip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if clip.ID == "" || clip.URL != "https://clips.twitch.tv/"+clip.ID || clip.EditURL != clip.URL+"/edit" {
		t.Errorf("clip = %+v", clip)
	}
	if post := e.srv.CallsTo("POST", "/helix/clips"); len(post) != 1 || post[0].Query.Get("broadcaster_id") != broadcaster.ID {
		t.Errorf("create clip calls %v", post)
	}
	if n := len(e.srv.CallsTo("GET", "/helix/clips")); n != 4 {
		t.Errorf("%d polls, want 4 (3 not yet + found)", n)
	}
}

func TestCreateClipGivesUpAfterTheTimeout(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) { e.cfg.ClipTimeout = 50 * time.Millisecond })
	e.connected(t)
	e.srv.SetClipDelay(-1)
	if _, err := e.client.CreateClip(context.Background()); err == nil || !strings.Contains(err.Error(), "did not appear") {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestStreamLiveAndOffline(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	e.connected(t)
	ctx := context.Background()
	st, err := e.client.Stream(ctx)
	if err != nil || st.Live {
		t.Fatalf("offline: %+v, %v", st, err)
	}
	started := time.Date(2024, 5, 1, 18, 0, 0, 0, time.UTC)
	e.srv.SetStream(twitchtest.Stream{UserID: broadcaster.ID, UserLogin: broadcaster.Login, Title: "Speedrun",
		GameName: "Celeste", ViewerCount: 42, StartedAt: started})
	st, err = e.client.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stream{Live: true, StartedAt: started, Title: "Speedrun", Game: "Celeste", Viewers: 42}
	if st != want {
		t.Errorf("stream = %+v, want %+v", st, want)
	}
}

func TestUserLookup(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.AddUser(twitchtest.User{ID: "77", Login: "someone", DisplayName: "SomeOne"})
	})
	e.connected(t)
	ctx := context.Background()
	tests := []struct {
		login   string
		want    User
		wantErr error
	}{
		{"someone", User{ID: "77", Login: "someone", DisplayName: "SomeOne"}, nil},
		{"@SomeOne", User{ID: "77", Login: "someone", DisplayName: "SomeOne"}, nil},
		{"nobody", User{}, ErrUserNotFound},
		{"@", User{}, ErrUserNotFound},
	}
	for _, tt := range tests {
		got, err := e.client.User(ctx, tt.login)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("User(%q) = %+v, %v; want %+v, %v", tt.login, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBroadcasterAsBotStartsWithTheModeratorLimit(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, func(e *env) {
		e.srv.AddToken(twitchtest.Token{Access: "tok-b", Refresh: "ref-b", UserID: broadcaster.ID, Login: broadcaster.Login, Scopes: Scopes})
		e.store.tok = Tokens{AccessToken: "tok-b", RefreshToken: "ref-b"}
	})
	e.connected(t)
	if !e.client.botIsMod.Load() {
		t.Error("the broadcaster's own token should get the 100-message limit")
	}
	if n := len(e.srv.CallsTo("GET", "/helix/users")); n != 0 {
		t.Errorf("%d Get Users calls; the validated token already names the broadcaster", n)
	}
}

// TestChatInReplyOut is the Go half of the end-to-end path: a viewer's
// chat message arrives as an event, the handler replies, and the reply
// reaches Helix naming the viewer's message as its parent.
func TestChatInReplyOut(t *testing.T) {
	e := newEnv(t, twitchtest.Options{}, nil)
	ss := e.connected(t)
	viewer := twitchtest.User{ID: "555", Login: "viewer", DisplayName: "Viewer"}
	msgID, err := ss.SendChatMessage(viewer, "!ping", twitchtest.Badge{SetID: "subscriber", ID: "6", Info: "6"})
	if err != nil {
		t.Fatal(err)
	}
	ev := e.rec.waitN(t, "twitch.chat.message", 1)[0]
	u := ev.data["user"].(map[string]any)
	if ev.data["message"] != "!ping" || ev.data["message_id"] != msgID || u["username"] != "viewer" ||
		u["subscriber"] != true || u["moderator"] != false {
		t.Fatalf("event %v", ev.data)
	}
	if err := e.client.Reply(context.Background(), ev.data["message_id"].(string), "pong"); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.ChatMessages(); len(got) != 1 || got[0].ReplyParentMessageID != msgID || got[0].Message != "pong" {
		t.Fatalf("chat = %+v", got)
	}
}
