package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/discord/discordtest"
)

const (
	token   = "test-bot-token"
	guild   = "1000000000000000001"
	owner   = "1200000000000000009"
	channel = "1100000000000000002"
	modRole = "1400000000000000005"
)

type event struct {
	Type string
	Data map[string]any
}

type recorder struct {
	mu     sync.Mutex
	events []event
	ch     chan event
}

func newRecorder() *recorder { return &recorder{ch: make(chan event, 100)} }

func (r *recorder) emit(typ string, data map[string]any) {
	r.mu.Lock()
	r.events = append(r.events, event{typ, data})
	r.mu.Unlock()
	r.ch <- event{typ, data}
}

func (r *recorder) wait(t *testing.T, typ string) event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-r.ch:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event within 10s", typ)
		}
	}
}

func checkSpec(t *testing.T, e event) {
	t.Helper()
	for _, s := range engine.DiscordEventSpecs {
		if s.Type == e.Type {
			if err := s.Check(e.Data); err != nil {
				t.Errorf("%s: %v", e.Type, err)
			}
			return
		}
	}
	t.Errorf("%s has no DiscordEventSpecs entry", e.Type)
}

// start runs a client against a fresh fake and waits for discord.connected.
func start(t *testing.T, cfg Config) (*Client, *discordtest.Server, *recorder) {
	t.Helper()
	fake := discordtest.New(token, guild, owner, discordtest.Role{ID: modRole, Name: "Moderator"})
	t.Cleanup(fake.Close)
	if cfg.Token == "" {
		cfg.Token = token
	}
	cfg.Guild = guild
	cfg.APIURL = fake.APIURL()
	if cfg.GatewayURL == "-" {
		cfg.GatewayURL = ""
	} else {
		cfg.GatewayURL = fake.GatewayURL()
	}
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	rec := newRecorder()
	c := New(cfg, rec.emit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of its context ending")
		}
	})
	return c, fake, rec
}

func TestIdentifiesAndReportsConnected(t *testing.T) {
	c, fake, rec := start(t, Config{})
	e := rec.wait(t, "discord.connected")
	checkSpec(t, e)
	if e.Data["reason"] != "connected" {
		t.Errorf("reason = %v, want connected", e.Data["reason"])
	}
	ids := fake.Identifies()
	if len(ids) != 1 {
		t.Fatalf("%d identifies, want 1", len(ids))
	}
	intents, _ := ids[0]["intents"].(float64)
	for _, want := range []int{1 << 0, 1 << 1, 1 << 9, 1 << 15} { // GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT
		if int(intents)&want == 0 {
			t.Errorf("intents %d lack %d", int(intents), want)
		}
	}
	if !c.Connected() || c.Status().BotUser != discordtest.BotName {
		t.Errorf("status = %+v, want connected as %s", c.Status(), discordtest.BotName)
	}
}

func TestGatewayURLIsAskedOfTheAPIWhenNotConfigured(t *testing.T) {
	_, fake, rec := start(t, Config{GatewayURL: "-"})
	rec.wait(t, "discord.connected")
	asked := false
	for _, call := range fake.Calls() {
		if call.Method == "GET" && (call.Path == "/api/v9/gateway" || call.Path == "/api/v9/gateway/bot") {
			asked = true
		}
	}
	if !asked {
		t.Errorf("the gateway was not asked for: calls %+v", fake.Calls())
	}
}

func TestMessageCreateIsMappedAsSpecified(t *testing.T) {
	_, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	// GUILD_CREATE (with the roles) follows READY; wait for the state to hold it.
	time.Sleep(50 * time.Millisecond)
	tests := []struct {
		name    string
		author  discordtest.User
		display string
		roles   []any
		owner   bool
	}{
		{"nickname wins and roles are named", discordtest.User{ID: "7", Username: "ada", GlobalName: "Ada L", Nick: "Ada", RoleIDs: []string{modRole}}, "Ada", []any{"Moderator"}, false},
		{"global name without a nickname", discordtest.User{ID: "8", Username: "bob", GlobalName: "Bobby"}, "Bobby", []any{}, false},
		{"username when nothing else", discordtest.User{ID: owner, Username: "boss"}, "boss", []any{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fake.Message(channel, tt.author, "!hello there")
			e := rec.wait(t, "discord.message")
			checkSpec(t, e)
			a := e.Data["author"].(map[string]any)
			if e.Data["message_id"] != id || e.Data["channel"] != channel || e.Data["guild"] != guild || e.Data["content"] != "!hello there" {
				t.Errorf("data = %v", e.Data)
			}
			if a["id"] != tt.author.ID || a["username"] != tt.author.Username || a["display_name"] != tt.display || a["owner"] != tt.owner {
				t.Errorf("author = %v", a)
			}
			if a["broadcaster"] != tt.owner || a["moderator"] != (len(tt.roles) > 0) {
				t.Errorf("levels: broadcaster %v moderator %v", a["broadcaster"], a["moderator"])
			}
			if fmt.Sprint(a["roles"]) != fmt.Sprint(tt.roles) {
				t.Errorf("roles = %v, want %v", a["roles"], tt.roles)
			}
		})
	}
}

func TestOwnMessagesAreNotReported(t *testing.T) {
	_, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	fake.Message(channel, discordtest.User{ID: discordtest.BotID, Username: discordtest.BotName, Bot: true}, "my own")
	fake.Message(channel, discordtest.User{ID: "7", Username: "ada"}, "theirs")
	if e := rec.wait(t, "discord.message"); e.Data["content"] != "theirs" {
		t.Errorf("first message reported = %v, want theirs", e.Data["content"])
	}
}

func TestMemberJoinIsMappedAsSpecified(t *testing.T) {
	_, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	fake.MemberJoin(discordtest.User{ID: "9", Username: "newbie", GlobalName: "New Bie"})
	e := rec.wait(t, "discord.member.join")
	checkSpec(t, e)
	if u := e.Data["user"].(map[string]any); u["id"] != "9" || u["display_name"] != "New Bie" {
		t.Errorf("user = %v", u)
	}
}

func TestSendReplyReactReachTheAPI(t *testing.T) {
	c, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	ctx := context.Background()
	id, err := c.Send(ctx, channel, "hello", nil)
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if _, err := c.Send(ctx, channel, "", &Embed{Title: "Live!", Description: "come", Color: 0x9146FF, Fields: []EmbedField{{Name: "Game", Value: "Chess", Inline: true}}}); err != nil {
		t.Fatalf("Send embed: %v", err)
	}
	if _, err := c.Reply(ctx, channel, "555", "pong"); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if err := c.React(ctx, channel, "555", "👍"); err != nil {
		t.Fatalf("React: %v", err)
	}
	var posts []discordtest.Call
	reacted := false
	for _, call := range fake.Calls() {
		if call.Auth != "Bot "+token {
			t.Errorf("%s %s sent Authorization %q", call.Method, call.Path, call.Auth)
		}
		switch {
		case call.Method == "POST" && call.Path == "/api/v9/channels/"+channel+"/messages":
			posts = append(posts, call)
		case call.Method == "PUT" && call.Path == "/api/v9/channels/"+channel+"/messages/555/reactions/👍/@me":
			reacted = true
		}
	}
	if len(posts) != 3 {
		t.Fatalf("%d message posts, want 3: %+v", len(posts), fake.Calls())
	}
	if posts[0].Body["content"] != "hello" {
		t.Errorf("send body = %v", posts[0].Body)
	}
	if am, _ := posts[0].Body["allowed_mentions"].(map[string]any); am == nil || len(am["parse"].([]any)) != 0 {
		t.Errorf("allowed_mentions = %v, want no pings", posts[0].Body["allowed_mentions"])
	}
	if e := posts[1].Body["embeds"].([]any)[0].(map[string]any); e["title"] != "Live!" || e["color"] != float64(0x9146FF) {
		t.Errorf("embed = %v", e)
	}
	if ref, _ := posts[2].Body["message_reference"].(map[string]any); ref == nil || ref["message_id"] != "555" {
		t.Errorf("reply body = %v", posts[2].Body)
	}
	if !reacted {
		t.Errorf("no reaction PUT: %+v", fake.Calls())
	}
}

func TestRequestsFailClearly(t *testing.T) {
	c, _, rec := start(t, Config{Channels: []string{channel}})
	rec.wait(t, "discord.connected")
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"channel not allowed", func() error { _, err := c.Send(ctx, "123", "x", nil); return err }, ErrChannelNotAllowed},
		{"nothing to send", func() error { _, err := c.Send(ctx, channel, "", nil); return err }, nil},
		{"too long", func() error { _, err := c.Send(ctx, channel, string(make([]rune, MaxContent+1)), nil); return err }, nil},
		{"react without emoji", func() error { return c.React(ctx, channel, "1", "") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNotConnectedFailsFast(t *testing.T) {
	c := New(Config{Token: token, Guild: guild}, nil)
	if _, err := c.Send(context.Background(), channel, "x", nil); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send before Run = %v, want ErrNotConnected", err)
	}
}

func TestWrongTokenIsRetriedAndReported(t *testing.T) {
	c, fake, _ := start(t, Config{Token: "wrong"})
	deadline := time.Now().Add(10 * time.Second)
	for c.Status().Attempts < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := c.Status()
	if st.Connected || st.Attempts < 2 || st.LastError == nil {
		t.Fatalf("status = %+v, want failing attempts", st)
	}
	if fake.Connections() != 0 {
		t.Errorf("the fake kept %d connections", fake.Connections())
	}
}

func TestReconnectsAfterTheConnectionIsLost(t *testing.T) {
	c, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	fake.Drop()
	d := rec.wait(t, "discord.disconnected")
	checkSpec(t, d)
	e := rec.wait(t, "discord.connected")
	if e.Data["reason"] != "reconnected" {
		t.Errorf("reason = %v, want reconnected", e.Data["reason"])
	}
	if _, err := c.Send(context.Background(), channel, "back", nil); err != nil {
		t.Errorf("Send after reconnecting: %v", err)
	}
}

func TestRunWithoutTokenFails(t *testing.T) {
	if err := New(Config{Guild: guild}, nil).Run(context.Background()); err == nil {
		t.Error("Run without a token returned nil")
	}
}

func TestASilentGatewayDoesNotHoldRunUp(t *testing.T) {
	fake := discordtest.New(token, guild, owner)
	defer fake.Close()
	fake.Silent(true)
	c := New(Config{Token: token, Guild: guild, APIURL: fake.APIURL(), GatewayURL: fake.GatewayURL(),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, OpenTimeout: 100 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Status().Attempts < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := c.Status(); st.Attempts < 2 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "no READY") {
		t.Fatalf("status = %+v, want attempts timing out", st)
	}
	// cancelled in the middle of an attempt, Run returns without waiting for it
	fake.Silent(true)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending while the gateway said nothing")
	}
}

func TestAChannelOfAnotherGuildIsRefused(t *testing.T) {
	c, fake, rec := start(t, Config{})
	rec.wait(t, "discord.connected")
	fake.Dispatch("GUILD_CREATE", map[string]any{"id": "999", "name": "Elsewhere", "owner_id": "1", "roles": []any{},
		"channels": []any{map[string]any{"id": "555", "type": 0, "guild_id": "999", "name": "general"}}, "members": []any{}})
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = c.Send(context.Background(), "555", "x", nil); errors.Is(err, ErrChannelNotAllowed) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("Send to another guild's channel = %v, want ErrChannelNotAllowed", err)
}
