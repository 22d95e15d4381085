package scripttest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/httpc"
	"github.com/starstreamer/starstreamer/platform/twitch"
	lua "github.com/yuin/gopher-lua"
)

// testAPI is the t of test("name", function(t) ... end).
type testAPI struct {
	env    *env
	module string
	result *TestResult
	self   *lua.LTable
	msgID  int

	// Handler errors of the module under test fail the test unless one of
	// expected (t.expect_error) is part of the message.
	expected []string
	matched  map[string]bool
	inst     engine.Instance // the instance whose errors were counted
	seen     uint64          // its errors counted so far
}

// table builds t. Every function works with t.f(...) and t:f(...).
func (a *testAPI) table(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	a.self = t
	fns := map[string]func(L *lua.LState, base int) int{
		"chat": a.chat, "emit": a.emit, "advance": a.advance, "wait": a.wait,
		"sent": a.sent, "messages": a.messages, "clear": a.clear, "obs": a.obsCalls,
		"alerts": a.alerts, "overlay_data": a.overlayData, "discord": a.discordCalls,
		"stream": a.stream, "clip_error": a.clipError,
		"http": a.httpRequests, "http_answer": a.httpAnswer,
		"twitch_actions": a.twitchActions, "twitch_error": a.twitchError,
		"store": a.store, "set_store": a.setStore, "config": a.config,
		"reload": a.reload, "restart": a.restart, "load": a.load, "errors": a.errors,
		"now": a.now, "expect_error": a.expectError,
		"eq": a.eq, "ok": a.ok, "contains": a.contains, "not_contains": a.notContains, "fail": a.fail,
	}
	for name, f := range fns {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			base := 0
			if L.Get(1) == t {
				base = 1
			}
			n := f(L, base)
			if name != "expect_error" && name != "errors" {
				if msg := a.unexpectedError(); msg != "" {
					a.failf(L, "%s", msg)
				}
			}
			return n
		}))
	}
	return t
}

// t.expect_error(text): a handler error of the module under test whose
// message contains text is part of the test, not a failure.
func (a *testAPI) expectError(L *lua.LState, b int) int {
	text := L.CheckString(b + 1)
	if text == "" {
		L.ArgError(b+1, "expect_error needs a part of the expected message")
	}
	a.expected = append(a.expected, text)
	return 0
}

// unexpectedError returns a failure message when the module under test
// raised a handler error since the last look that no t.expect_error allows
// ("" otherwise). Errors are counted per instance (a reload or restart
// starts a new one); when several came at once, the last one is named.
func (a *testAPI) unexpectedError() string {
	in := a.env.loader.instance(a.module)
	if in == nil {
		return ""
	}
	if in != a.inst {
		a.inst, a.seen = in, 0
	}
	st := in.Status()
	if st.Errors <= a.seen {
		return ""
	}
	n := st.Errors - a.seen
	a.seen = st.Errors
	for _, x := range a.expected {
		if strings.Contains(st.LastError, x) {
			if a.matched == nil {
				a.matched = map[string]bool{}
			}
			a.matched[x] = true
			return ""
		}
	}
	more := ""
	if n > 1 {
		more = fmt.Sprintf(" (%d errors; the last one)", n)
	}
	return fmt.Sprintf("module %s raised a handler error%s: %s — if the test expects it, call t.expect_error(\"part of the message\") before", a.module, more, st.LastError)
}

// finish reports, once the test function has returned, an error that came
// after its last step and an expected error that never came.
func (a *testAPI) finish() []string {
	var out []string
	if msg := a.unexpectedError(); msg != "" {
		out = append(out, msg)
	}
	for _, x := range a.expected {
		if !a.matched[x] {
			out = append(out, fmt.Sprintf("t.expect_error(%q): module %s raised no handler error containing it", x, a.module))
		}
	}
	return out
}

// where is the test file's line calling the current t function.
func where(L *lua.LState) string { return strings.TrimSuffix(L.Where(1), ":") }

// failf records a failure at the caller's line and stops the test.
func (a *testAPI) failf(L *lua.LState, format string, args ...any) {
	a.result.Failures = append(a.result.Failures, where(L)+": "+fmt.Sprintf(format, args...))
	L.RaiseError("%s", stopMarker)
}

// check stops the test when an engine operation failed.
func (a *testAPI) check(L *lua.LState, what string, err error) {
	if err != nil {
		a.failf(L, "%s: %v", what, err)
	}
}

// step returns the texts sent since the step began.
func (a *testAPI) step(L *lua.LState, mark int) int {
	msgs := a.env.twitch.messages()
	out := L.NewTable()
	for _, m := range msgs[min(mark, len(msgs)):] {
		out.Append(lua.LString(m.Text))
	}
	L.Push(out)
	return 1
}

// user turns "alice" or {username=..., moderator=true, ...} into an event user.
func (a *testAPI) user(L *lua.LState, v lua.LValue) map[string]any {
	u := engine.ChatUser{}.Data()
	switch x := v.(type) {
	case lua.LString:
		u["username"] = strings.ToLower(string(x))
	case *lua.LTable:
		m, _ := goValue(x).(map[string]any)
		for k, val := range m {
			u[k] = val
		}
	default:
		L.ArgError(1, "user: a login or a table {username=..., moderator=true, ...} expected")
	}
	login, _ := u["username"].(string)
	if login == "" {
		L.ArgError(1, "user needs a username")
	}
	if v, ok := u["id"]; !ok || v == "" {
		u["id"] = "id-" + login
	}
	if v, ok := u["display_name"]; !ok || v == "" {
		u["display_name"] = strings.ToUpper(login[:1]) + login[1:]
	}
	a.env.twitch.mu.Lock()
	a.env.twitch.users[login] = twitch.User{ID: fmt.Sprint(u["id"]), Login: login, DisplayName: fmt.Sprint(u["display_name"])}
	a.env.twitch.mu.Unlock()
	return u
}

// t.chat(user, text) -> {texts sent meanwhile}
func (a *testAPI) chat(L *lua.LState, b int) int {
	u := a.user(L, L.Get(b+1))
	text := L.CheckString(b + 2)
	a.msgID++
	mark := len(a.env.twitch.messages())
	a.check(L, "chat", a.env.emit("twitch.chat.message",
		engine.ChatMessageData(u, text, fmt.Sprintf("msg-%d", a.msgID))))
	return a.step(L, mark)
}

// t.emit(type, data) -> {texts sent meanwhile}
func (a *testAPI) emit(L *lua.LState, b int) int {
	typ := L.CheckString(b + 1)
	data, _ := goValue(L.OptTable(b+2, L.NewTable())).(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	mark := len(a.env.twitch.messages())
	a.check(L, "emit", a.env.emit(typ, data))
	return a.step(L, mark)
}

// t.advance(seconds): moves the fake clock.
func (a *testAPI) advance(L *lua.LState, b int) int {
	s := float64(L.CheckNumber(b + 1))
	if s < 0 || math.IsNaN(s) {
		L.ArgError(b+1, "seconds must not be negative")
	}
	a.env.clock.advance(time.Duration(s * float64(time.Second)))
	return 0
}

// t.wait(seconds): waits in real time (for after/every/sleep), then settles.
func (a *testAPI) wait(L *lua.LState, b int) int {
	s := float64(L.CheckNumber(b + 1))
	if s < 0 || s > 30 {
		L.ArgError(b+1, "seconds must be between 0 and 30")
	}
	time.Sleep(time.Duration(s * float64(time.Second)))
	a.check(L, "wait", a.env.settle())
	return 0
}

func (a *testAPI) now(L *lua.LState, _ int) int {
	L.Push(lua.LNumber(a.env.clock.Now().Unix()))
	return 1
}

// t.sent() -> every text sent in this test (since t.clear()).
func (a *testAPI) sent(L *lua.LState, _ int) int { return a.step(L, a.env.mark) }

// t.messages() -> {{text, module, reply_to}, ...}
func (a *testAPI) messages(L *lua.LState, _ int) int {
	out := L.NewTable()
	msgs := a.env.twitch.messages()
	for _, m := range msgs[min(a.env.mark, len(msgs)):] {
		e := L.NewTable()
		e.RawSetString("text", lua.LString(m.Text))
		e.RawSetString("module", lua.LString(m.Module))
		e.RawSetString("reply_to", lua.LString(m.ReplyTo))
		out.Append(e)
	}
	L.Push(out)
	return 1
}

func (a *testAPI) clear(L *lua.LState, _ int) int {
	a.env.mark = len(a.env.twitch.messages())
	return 0
}

// t.obs() -> {"set_source_visible Alerts Confetti true", ...}
func (a *testAPI) obsCalls(L *lua.LState, _ int) int {
	out := L.NewTable()
	for _, c := range a.env.obs.list() {
		out.Append(lua.LString(c))
	}
	L.Push(out)
	return 1
}

// t.alerts() -> {{id, overlay, kind, title, text, image, sound, accent, duration, module}, ...}:
// every overlay.alert of the test, in order.
func (a *testAPI) alerts(L *lua.LState, _ int) int {
	out := L.NewTable()
	list, _ := a.env.overlay.list()
	for _, al := range list {
		e := L.NewTable()
		for k, v := range map[string]string{"id": al.ID, "overlay": al.Overlay, "kind": al.Kind, "title": al.Title, "text": al.Text,
			"image": al.Image, "sound": al.Sound, "accent": al.Accent, "module": al.Module} {
			e.RawSetString(k, lua.LString(v))
		}
		e.RawSetString("duration", lua.LNumber(al.Duration))
		out.Append(e)
	}
	L.Push(out)
	return 1
}

// t.discord() -> {{kind = "send"|"reply"|"react", channel, message_id, text, emoji, embed}, ...}:
// every discord.* call of the test, in order.
func (a *testAPI) discordCalls(L *lua.LState, _ int) int {
	out := L.NewTable()
	for _, c := range a.env.discord.list() {
		e := L.NewTable()
		for k, v := range map[string]string{"kind": c.Kind, "channel": c.Channel, "message_id": c.MessageID, "text": c.Text, "emoji": c.Emoji} {
			if v != "" {
				e.RawSetString(k, lua.LString(v))
			}
		}
		if c.Embed != nil {
			e.RawSetString("embed", bindings.ToLua(L, c.Embed))
		}
		out.Append(e)
	}
	L.Push(out)
	return 1
}

// t.overlay_data() -> {{overlay = name, data = ...}, ...}: every overlay.send of the test.
func (a *testAPI) overlayData(L *lua.LState, _ int) int {
	out := L.NewTable()
	_, sent := a.env.overlay.list()
	for _, s := range sent {
		e := L.NewTable()
		e.RawSetString("overlay", lua.LString(s.Overlay))
		e.RawSetString("data", bindings.ToLua(L, s.Data))
		out.Append(e)
	}
	L.Push(out)
	return 1
}

// t.stream{live=true, started_ago=3600, title=..., game=..., viewers=...}
func (a *testAPI) stream(L *lua.LState, b int) int {
	t := L.CheckTable(b + 1)
	s := twitch.Stream{
		Live:  lua.LVAsBool(t.RawGetString("live")),
		Title: lua.LVAsString(t.RawGetString("title")),
		Game:  lua.LVAsString(t.RawGetString("game")),
	}
	if v, ok := t.RawGetString("viewers").(lua.LNumber); ok {
		s.Viewers = int(v)
	}
	if v, ok := t.RawGetString("started_ago").(lua.LNumber); ok {
		s.StartedAt = a.env.clock.Now().Add(-time.Duration(float64(v) * float64(time.Second)))
	}
	a.env.twitch.mu.Lock()
	a.env.twitch.stream = s
	a.env.twitch.mu.Unlock()
	return 0
}

// t.http() -> {{module, method, url, headers, body, json}, ...}: every
// http.* request of the test, in order (headers with lower-case names, json
// the decoded body when it is JSON).
func (a *testAPI) httpRequests(L *lua.LState, _ int) int {
	out := L.NewTable()
	for _, r := range a.env.web.list() {
		m := map[string]any{"module": r.Module, "method": r.Method, "url": r.URL, "headers": r.Headers, "body": r.Body}
		var j any
		if json.Unmarshal([]byte(r.Body), &j) == nil {
			m["json"] = j
		}
		out.Append(bindings.ToLua(L, m))
	}
	L.Push(out)
	return 1
}

// t.http_answer{ status, body, json, headers } answers every later http.*
// request (default 204, no body); t.http_answer{ error = "text" } makes them
// fail with that error.
func (a *testAPI) httpAnswer(L *lua.LState, b int) int {
	t := L.CheckTable(b + 1)
	resp := httpc.Response{Header: http.Header{}}
	if v, ok := t.RawGetString("status").(lua.LNumber); ok {
		resp.Status = int(v)
	}
	if v, ok := t.RawGetString("body").(lua.LString); ok {
		resp.Body = []byte(v)
	}
	if v := t.RawGetString("json"); v != lua.LNil {
		j, err := json.Marshal(goValue(v))
		if err != nil {
			L.ArgError(b+1, "json: "+err.Error())
		}
		resp.Body = j
		resp.Header.Set("Content-Type", "application/json")
	}
	if h, ok := t.RawGetString("headers").(*lua.LTable); ok {
		h.ForEach(func(k, v lua.LValue) { resp.Header.Set(k.String(), v.String()) })
	}
	a.env.web.mu.Lock()
	a.env.web.answer = resp
	a.env.web.err = lua.LVAsString(t.RawGetString("error"))
	a.env.web.mu.Unlock()
	return 0
}

// t.twitch_actions() -> {{name, module, user, id, redemption_id, text, color,
// seconds, archive, choices, fields}, ...}: every twitch.* action binding
// (timeout, ban, rewards.create, ...) called in the test, in order; name
// without "twitch.", user as given (login or id).
func (a *testAPI) twitchActions(L *lua.LState, _ int) int {
	out := L.NewTable()
	for _, act := range a.env.twitch.actionList() {
		m := map[string]any{"name": strings.TrimPrefix(act.Kind, "twitch."), "module": act.Module,
			"user": act.User.String(), "id": act.ID, "redemption_id": act.RedemptionID, "text": act.Text,
			"color": act.Color, "seconds": int64(act.Seconds), "archive": act.Archive}
		choices := make([]any, len(act.Choices))
		for i, c := range act.Choices {
			choices[i] = c
		}
		m["choices"] = choices
		if act.Fields != nil {
			m["fields"] = act.Fields
		}
		out.Append(bindings.ToLua(L, m))
	}
	L.Push(out)
	return 1
}

// t.twitch_error(name, msg): the action binding name (e.g. "shoutout")
// fails with msg from now on (nil: succeeds again).
func (a *testAPI) twitchError(L *lua.LState, b int) int {
	name := "twitch." + strings.TrimPrefix(L.CheckString(b+1), "twitch.")
	a.env.twitch.mu.Lock()
	if a.env.twitch.actErr == nil {
		a.env.twitch.actErr = map[string]string{}
	}
	a.env.twitch.actErr[name] = L.OptString(b+2, "")
	a.env.twitch.mu.Unlock()
	return 0
}

// t.clip_error(msg): create_clip fails with msg from now on (nil: succeeds).
func (a *testAPI) clipError(L *lua.LState, b int) int {
	var err error
	if s := L.OptString(b+1, ""); s != "" {
		err = fmt.Errorf("%s", s)
	}
	a.env.twitch.mu.Lock()
	a.env.twitch.clipErr = err
	a.env.twitch.mu.Unlock()
	return 0
}

func (a *testAPI) moduleArg(L *lua.LState, n int) string {
	return L.OptString(n, a.module)
}

// t.store(key [, module]) -> the stored value
func (a *testAPI) store(L *lua.LState, b int) int {
	v, err := a.env.storeGet(a.moduleArg(L, b+2), L.CheckString(b+1))
	a.check(L, "store", err)
	L.Push(bindings.ToLua(L, v))
	return 1
}

// t.set_store(key, value [, module])
func (a *testAPI) setStore(L *lua.LState, b int) int {
	a.check(L, "set_store", a.env.storeSet(a.moduleArg(L, b+3), L.CheckString(b+1), goValue(L.Get(b+2))))
	return 0
}

// t.config(key, value [, module]): a config override, then a reload.
func (a *testAPI) config(L *lua.LState, b int) int {
	a.check(L, "config", a.env.setConfig(a.moduleArg(L, b+3), L.CheckString(b+1), goValue(L.Get(b+2))))
	return 0
}

func (a *testAPI) reload(L *lua.LState, b int) int {
	a.check(L, "reload", a.env.reload(a.moduleArg(L, b+1)))
	return 0
}

func (a *testAPI) restart(L *lua.LState, _ int) int {
	a.check(L, "restart", a.env.restart())
	return 0
}

func (a *testAPI) load(L *lua.LState, b int) int {
	a.check(L, "load", a.env.load(L.CheckString(b+1)))
	return 0
}

// t.errors([module]) -> count, last error
func (a *testAPI) errors(L *lua.LState, b int) int {
	st, _ := a.env.reg.Module(a.moduleArg(L, b+1))
	L.Push(lua.LNumber(st.Errors))
	L.Push(lua.LString(st.LastError))
	return 2
}

// ---- assertions: each stops the test with file:line and a clear message ----

func msgArg(L *lua.LState, n int) string {
	if s := L.OptString(n, ""); s != "" {
		return s + ": "
	}
	return ""
}

func (a *testAPI) eq(L *lua.LState, b int) int {
	got, want := goValue(L.Get(b+1)), goValue(L.Get(b+2))
	if !reflect.DeepEqual(got, want) {
		a.failf(L, "%sgot %s, want %s", msgArg(L, b+3), show(L.Get(b+1)), show(L.Get(b+2)))
	}
	return 0
}

func (a *testAPI) ok(L *lua.LState, b int) int {
	if !lua.LVAsBool(L.Get(b + 1)) {
		a.failf(L, "%sgot %s, want a true value", msgArg(L, b+2), show(L.Get(b+1)))
	}
	return 0
}

func (a *testAPI) fail(L *lua.LState, b int) int {
	a.failf(L, "%s", L.OptString(b+1, "failed"))
	return 0
}

// hay is a string or a list of strings; found reports whether needle is in it.
func found(hay lua.LValue, needle string) bool {
	switch h := hay.(type) {
	case lua.LString:
		return strings.Contains(string(h), needle)
	case *lua.LTable:
		for i := 1; i <= h.Len(); i++ {
			if s, ok := h.RawGetInt(i).(lua.LString); ok && strings.Contains(string(s), needle) {
				return true
			}
		}
	}
	return false
}

func (a *testAPI) contains(L *lua.LState, b int) int {
	needle := L.CheckString(b + 2)
	if !found(L.Get(b+1), needle) {
		a.failf(L, "%s%s does not contain %q", msgArg(L, b+3), show(L.Get(b+1)), needle)
	}
	return 0
}

func (a *testAPI) notContains(L *lua.LState, b int) int {
	needle := L.CheckString(b + 2)
	if found(L.Get(b+1), needle) {
		a.failf(L, "%s%s contains %q", msgArg(L, b+3), show(L.Get(b+1)), needle)
	}
	return 0
}

// ---- values ----

// show formats a Lua value for a failure message.
func show(v lua.LValue) string {
	return showDepth(v, 0)
}

func showDepth(v lua.LValue, depth int) string {
	switch x := v.(type) {
	case lua.LString:
		return fmt.Sprintf("%q", string(x))
	case *lua.LTable:
		if depth > 4 {
			return "{...}"
		}
		var parts []string
		n := x.Len()
		for i := 1; i <= n; i++ {
			parts = append(parts, showDepth(x.RawGetInt(i), depth+1))
		}
		var keys []string
		x.ForEach(func(k, val lua.LValue) {
			if num, ok := k.(lua.LNumber); ok && float64(num) >= 1 && float64(num) <= float64(n) && float64(num) == math.Floor(float64(num)) {
				return
			}
			keys = append(keys, fmt.Sprintf("%s = %s", lua.LVAsString(k), showDepth(val, depth+1)))
		})
		sort.Strings(keys)
		return "{" + strings.Join(append(parts, keys...), ", ") + "}"
	}
	return v.String()
}

// goValue copies a Lua value into Go (bindings.FromLua); a value that cannot
// be copied (a function, a cycle) stands for itself, so eq compares identity.
func goValue(v lua.LValue) any {
	if g, err := bindings.FromLua(v); err == nil {
		return g
	}
	return v
}
