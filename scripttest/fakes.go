package scripttest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/overlay"
	"github.com/starstreamer/starstreamer/platform/discord"
	"github.com/starstreamer/starstreamer/platform/httpc"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

// Start is the fake clock's time at the beginning of every test.
var Start = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

// clock is the fake time of a test: it moves only with advance.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sent is one chat message a module sent.
type Sent struct {
	Module  string
	Text    string
	ReplyTo string // the message id answered, "" for send_message
}

// fakeTwitch implements bindings.Twitch and records every message.
type fakeTwitch struct {
	mu       sync.Mutex
	sent     []Sent
	stream   twitch.Stream
	clip     twitch.Clip
	clipErr  error
	clips    int
	users    map[string]twitch.User
	actions  []recordedAction
	actErr   map[string]string // by binding name: the error the action fails with
	inflight atomic.Int64
}

// recordedAction is one twitch.* action binding a module called.
type recordedAction struct {
	Module string
	bindings.TwitchAction
}

func newFakeTwitch() *fakeTwitch {
	return &fakeTwitch{users: map[string]twitch.User{},
		clip: twitch.Clip{ID: "clip1", URL: "https://clips.twitch.tv/clip1", EditURL: "https://clips.twitch.tv/clip1/edit"}}
}

func (f *fakeTwitch) record(ctx context.Context, parent, text string) error {
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	f.mu.Lock()
	f.sent = append(f.sent, Sent{Module: bindings.ModuleFrom(ctx), Text: text, ReplyTo: parent})
	f.mu.Unlock()
	return nil
}

func (f *fakeTwitch) SendMessage(ctx context.Context, text string) error {
	return f.record(ctx, "", text)
}

func (f *fakeTwitch) Reply(ctx context.Context, parent, text string) error {
	return f.record(ctx, parent, text)
}

func (f *fakeTwitch) CreateClip(context.Context) (twitch.Clip, error) {
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clips++
	return f.clip, f.clipErr
}

func (f *fakeTwitch) Stream(context.Context) (twitch.Stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stream, nil
}

func (f *fakeTwitch) User(_ context.Context, login string) (twitch.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[strings.ToLower(login)]
	if !ok {
		return u, fmt.Errorf("user %q: %w", login, errNoSuchUser)
	}
	return u, nil
}

var errNoSuchUser = errors.New("no such user")

// TwitchAction records the action and answers a stand-in: the error set
// with t.twitch_error, else nothing (true in Lua) for actions that answer
// nothing, false for is_following/is_subscribed, an empty list for
// rewards.list, and a table {id = "<name>-<n>"} for the others.
func (f *fakeTwitch) TwitchAction(ctx context.Context, a bindings.TwitchAction) (any, error) {
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, recordedAction{Module: bindings.ModuleFrom(ctx), TwitchAction: a})
	if msg := f.actErr[a.Kind]; msg != "" {
		return nil, errors.New(msg)
	}
	switch a.Kind {
	case "twitch.unban", "twitch.delete_message", "twitch.clear_chat", "twitch.announce", "twitch.shoutout",
		"twitch.whisper", "twitch.update_channel", "twitch.rewards.delete", "twitch.cancel_raid",
		"twitch.add_vip", "twitch.remove_vip", "twitch.add_moderator", "twitch.remove_moderator":
		return nil, nil
	case "twitch.is_following", "twitch.is_subscribed":
		return false, nil
	case "twitch.rewards.list":
		return []any{}, nil
	case "twitch.followers":
		return map[string]any{"total": int64(0), "followers": []any{}}, nil
	}
	return map[string]any{"id": fmt.Sprintf("%s-%d", strings.TrimPrefix(a.Kind, "twitch."), len(f.actions))}, nil
}

func (f *fakeTwitch) actionList() []recordedAction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedAction(nil), f.actions...)
}

func (f *fakeTwitch) messages() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

func (f *fakeTwitch) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent) + f.clips + len(f.actions)
}

// fakeOBS implements bindings.OBS and records every request as a line such
// as "set_source_visible Alerts Confetti true".
type fakeOBS struct {
	mu    sync.Mutex
	calls []string
	scene string
}

func (o *fakeOBS) rec(format string, args ...any) {
	o.mu.Lock()
	o.calls = append(o.calls, fmt.Sprintf(format, args...))
	o.mu.Unlock()
}

func (o *fakeOBS) SetScene(_ context.Context, name string) error {
	o.rec("set_scene %s", name)
	o.mu.Lock()
	o.scene = name
	o.mu.Unlock()
	return nil
}

func (o *fakeOBS) CurrentScene(context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.scene, nil
}

func (o *fakeOBS) SetSourceVisible(_ context.Context, scene, source string, visible bool) error {
	o.rec("set_source_visible %s %s %t", scene, source, visible)
	return nil
}

func (o *fakeOBS) StartStream(context.Context) error { o.rec("start_stream"); return nil }
func (o *fakeOBS) StopStream(context.Context) error  { o.rec("stop_stream"); return nil }
func (o *fakeOBS) StartRecord(context.Context) error { o.rec("start_record"); return nil }

func (o *fakeOBS) StopRecord(context.Context) (string, error) {
	o.rec("stop_record")
	return "/tmp/recording.mkv", nil
}

func (o *fakeOBS) Call(_ context.Context, req string, fields map[string]any) (map[string]any, error) {
	o.rec("call %s", req)
	return map[string]any{}, nil
}

func (o *fakeOBS) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

// fakeOverlay implements bindings.Overlay: it checks an alert's fields as the
// engine does (overlay.ParseAlert; media files need not exist) and records it,
// then announces it shown and done at once (events overlay.alert.shown and
// overlay.alert.done), so a script that chains on them can be tested.
type fakeOverlay struct {
	mu     sync.Mutex
	alerts []overlay.Alert
	sent   []overlaySend
	bus    func() *engine.Bus
}

type overlaySend struct {
	Overlay string
	Data    any
}

func (o *fakeOverlay) Alert(ctx context.Context, module string, fields map[string]any) (string, error) {
	a, err := overlay.ParseAlert(fields)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	a.ID, a.Module = fmt.Sprintf("alert-%d", len(o.alerts)+1), module
	o.alerts = append(o.alerts, a)
	o.mu.Unlock()
	if bus := o.bus(); bus != nil {
		for _, typ := range []string{overlay.EventShown, overlay.EventDone} {
			data := map[string]any{"id": a.ID, "overlay": a.Overlay, "kind": a.Kind, "title": a.Title, "text": a.Text, "module": module, "duration": a.Duration}
			if typ == overlay.EventDone {
				data["skipped"], data["shown"] = false, true
			}
			bus.Emit(&engine.Event{Type: typ, Source: engine.SourceOverlay, Data: data})
		}
	}
	return a.ID, nil
}

func (o *fakeOverlay) Send(ctx context.Context, module, name string, data any) error {
	if !overlay.ValidName(name) {
		return fmt.Errorf("no overlay %q", name)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, overlaySend{Overlay: name, Data: data})
	return nil
}

func (o *fakeOverlay) list() ([]overlay.Alert, []overlaySend) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]overlay.Alert(nil), o.alerts...), append([]overlaySend(nil), o.sent...)
}

// webRequest is one http.* request a module made.
type webRequest struct {
	Module, Method, URL string
	Headers             map[string]any
	Body                string
}

// fakeWeb stands in for the web: every module's http.* requests are
// recorded (with the declared hosts checked as the real client does) and
// answered with the test's answer, 204 without one.
type fakeWeb struct {
	mu       sync.Mutex
	requests []webRequest
	answer   httpc.Response
	err      string
	inflight atomic.Int64
}

// client is bindings.Config.Web: one module's view of the fake.
func (w *fakeWeb) client(module string, hosts []string) bindings.Web {
	return &fakeWebClient{web: w, module: module, hosts: hosts}
}

func (w *fakeWeb) list() []webRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]webRequest(nil), w.requests...)
}

type fakeWebClient struct {
	web    *fakeWeb
	module string
	hosts  []string
}

func (c *fakeWebClient) Close() {}

func (c *fakeWebClient) Do(ctx context.Context, r httpc.Request) (*httpc.Response, error) {
	c.web.inflight.Add(1)
	defer c.web.inflight.Add(-1)
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.hosts, httpc.NormalizeHost(u.Hostname())) {
		return nil, fmt.Errorf("%w: %s", httpc.ErrUndeclaredHost, u.Hostname())
	}
	headers := map[string]any{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = "GET"
	}
	w := c.web
	w.mu.Lock()
	defer w.mu.Unlock()
	w.requests = append(w.requests, webRequest{Module: c.module, Method: method, URL: r.URL, Headers: headers, Body: string(r.Body)})
	if w.err != "" {
		return nil, errors.New(w.err)
	}
	a := w.answer
	if a.Status == 0 {
		a.Status = 204
	}
	return &httpc.Response{Status: a.Status, Header: a.Header.Clone(), Body: append([]byte(nil), a.Body...)}, nil
}

// discordCall is one discord.* call a module made.
type discordCall struct {
	Kind, Channel, MessageID, Text, Emoji string
	Embed                                 map[string]any
}

// fakeDiscord implements bindings.Discord: it checks an embed as the engine
// does (discord.EmbedFromMap) and records every call.
type fakeDiscord struct {
	mu    sync.Mutex
	calls []discordCall
}

func (d *fakeDiscord) add(c discordCall) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, c)
	return fmt.Sprintf("discord-message-%d", len(d.calls)), nil
}

func (d *fakeDiscord) Send(ctx context.Context, channel, text string, embed map[string]any) (string, error) {
	if embed != nil {
		if _, err := discord.EmbedFromMap(embed); err != nil {
			return "", err
		}
	}
	return d.add(discordCall{Kind: "send", Channel: channel, Text: text, Embed: embed})
}

func (d *fakeDiscord) Reply(ctx context.Context, channel, messageID, text string) (string, error) {
	return d.add(discordCall{Kind: "reply", Channel: channel, MessageID: messageID, Text: text})
}

func (d *fakeDiscord) React(ctx context.Context, channel, messageID, emoji string) error {
	_, err := d.add(discordCall{Kind: "react", Channel: channel, MessageID: messageID, Emoji: emoji})
	return err
}

func (d *fakeDiscord) list() []discordCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]discordCall(nil), d.calls...)
}
