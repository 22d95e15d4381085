package bindings

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

var eventGroup = register(Group{
	Name: "events", Section: "Events and commands", Order: 20, core: (*instance).installEvents,
	Docs: []Doc{
		{Name: "on_event", Syntax: "on_event(types, [opts,] fn) -> handle", Context: "load, handler",
			Summary: "Calls fn(event[, cmd]) for every event whose type matches types: one type, a glob such as \"twitch.*\", or a list. opts: priority (higher starts first), filter (a function or filter.*), trigger (trigger.command(...))."},
		{Name: "off", Syntax: "off(handle)", Context: "load, handler", Summary: "Removes a handler registered with on_event or command."},
		{Name: "emit", Syntax: "emit(type, data)", Context: "handler", Summary: "Fires a custom event on the bus; data (a table) is copied and the event's source is \"module:NAME\". The twitch.*, obs.*, discord.*, overlay.* and engine.* types belong to their platforms and the engine and are refused; user levels in a module's events are not believed by commands and filters. A module may emit 5,000 events a second (bursts of 10,000); past that emit raises an error."},
		{Name: "command", Syntax: "command(name, [opts,] fn) -> handle", Context: "load, handler",
			Summary: "Answers a chat command: on_event(\"twitch.chat.message\", {trigger = trigger.command(name, opts)}, fn). fn(event, cmd) gets cmd = {name, args, rest}. With opts.platforms = { \"twitch\", \"discord\" } it answers discord.message too (event.type tells which; answer a Discord one with discord.reply)."},
		{Name: "trigger.command", Syntax: "trigger.command(name, opts) -> trigger", Context: "load, handler",
			Summary: "opts: aliases (list), permission (everyone|subscriber|vip|moderator|broadcaster), cooldown and user_cooldown (seconds, kept across reloads and restarts), cooldown_reply (the answer while it cools down: a text where {user}, {command} and {remaining} are replaced, true for the default text, false for none; default: the module's cooldown_reply), usage and min_args (fewer arguments get \"Usage: ...\" as a reply), description, platforms (a list of \"twitch\" and \"discord\"; default { \"twitch\" }). On Discord the guild's owner is the broadcaster and roles give the other levels (--discord-moderator-roles; VIP and Subscriber roles by those names)."},
		{Name: "filter.not_bot", Syntax: "filter.not_bot()", Context: "load, handler", Summary: "Skips what bots said: lines this engine sent (data.from_bot, also when the bot chats as the broadcaster), a separate bot account, and known bots such as Nightbot."},
		{Name: "filter.subscriber", Syntax: "filter.subscriber()", Context: "load, handler", Summary: "Passes subscribers, VIPs, moderators and the broadcaster (each level passes the checks of the levels below it)."},
		{Name: "filter.vip", Syntax: "filter.vip()", Context: "load, handler", Summary: "Passes VIPs, moderators and the broadcaster."},
		{Name: "filter.moderator", Syntax: "filter.moderator()", Context: "load, handler", Summary: "Passes moderators and the broadcaster."},
		{Name: "filter.broadcaster", Syntax: "filter.broadcaster()", Context: "load, handler", Summary: "Passes the broadcaster only."},
		{Name: "filter.user", Syntax: "filter.user(login, ...)", Context: "load, handler", Summary: "Passes events from the given logins."},
	},
})

// maxTypesPerHandler bounds the event types one on_event call may list.
const maxTypesPerHandler = 64

// handler is one on_event registration.
type handler struct {
	fn        *lua.LFunction
	luaFilter *lua.LFunction
	trigger   *commandTrigger
	where     string
	what      string // "handler " + where, made once
	sub       *engine.Subscription
	dead      bool
}

type goFilter struct {
	name string
	fn   func(*engine.Event) bool
}

func (in *instance) installEvents(L *lua.LState) {
	in.cleanups = append(in.cleanups, func() {
		for h := range in.handlers {
			h.dead = true
		}
	})
	L.SetGlobal("on_event", L.NewFunction(in.luaOnEvent))
	L.SetGlobal("off", L.NewFunction(in.luaOff))
	L.SetGlobal("emit", L.NewFunction(in.luaEmit))
	L.SetGlobal("command", L.NewFunction(in.luaCommand))
	trig := L.NewTable()
	trig.RawSetString("command", L.NewFunction(in.luaTriggerCommand))
	L.SetGlobal("trigger", trig)
	filt := L.NewTable()
	level := func(name string, min int) {
		filt.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			return pushFilter(L, name, func(e *engine.Event) bool { return userLevel(e) >= min })
		}))
	}
	level("subscriber", levelSubscriber)
	level("vip", levelVIP)
	level("moderator", levelModerator)
	level("broadcaster", levelBroadcaster)
	filt.RawSetString("not_bot", L.NewFunction(func(L *lua.LState) int {
		return pushFilter(L, "not_bot", func(e *engine.Event) bool { return !in.rt.isBot(e) })
	}))
	filt.RawSetString("user", L.NewFunction(func(L *lua.LState) int {
		var logins []string
		for i := 1; i <= L.GetTop(); i++ {
			logins = append(logins, strings.ToLower(strings.TrimPrefix(L.CheckString(i), "@")))
		}
		return pushFilter(L, "user", func(e *engine.Event) bool {
			u := eventUser(e)
			if u == nil {
				return false
			}
			name, _ := u["username"].(string)
			return slices.Contains(logins, strings.ToLower(name))
		})
	}))
	L.SetGlobal("filter", filt)
}

func pushFilter(L *lua.LState, name string, fn func(*engine.Event) bool) int {
	ud := L.NewUserData()
	ud.Value = &goFilter{name: name, fn: fn}
	L.Push(ud)
	return 1
}

// on_event(types, [opts,] fn)
func (in *instance) luaOnEvent(L *lua.LState) int {
	types := checkTypes(L, 1)
	opts, fn := optsAndFunc(L)
	h := &handler{fn: fn, where: callerWhere(L)}
	h.what = "handler " + h.where
	prio := 0
	var goFilt func(*engine.Event) bool
	if opts != nil {
		if v, ok := opts.RawGetString("priority").(lua.LNumber); ok {
			prio = int(v)
		}
		switch f := opts.RawGetString("filter").(type) {
		case *lua.LFunction:
			h.luaFilter = f
		case *lua.LUserData:
			gf, ok := f.Value.(*goFilter)
			if !ok {
				L.ArgError(2, "opts.filter must be a function or a filter.* value")
			}
			goFilt = gf.fn
		case *lua.LNilType:
		default:
			L.ArgError(2, "opts.filter must be a function or a filter.* value")
		}
		switch t := opts.RawGetString("trigger").(type) {
		case *lua.LUserData:
			ct, ok := t.Value.(*commandTrigger)
			if !ok {
				L.ArgError(2, "opts.trigger must be a trigger.command(...) value")
			}
			h.trigger = ct
		case *lua.LNilType:
		default:
			L.ArgError(2, "opts.trigger must be a trigger.command(...) value")
		}
	}
	return in.addHandler(L, h, types, prio, goFilt)
}

func (in *instance) addHandler(L *lua.LState, h *handler, types []string, prio int, goFilt func(*engine.Event) bool) int {
	if in.stopping {
		L.RaiseError("on_event: module is stopping")
	}
	if n := len(in.handlers); n >= in.rt.cfg.MaxHandlers {
		L.RaiseError("module %s already has %d handlers, the most a module may have: is on_event or command called for every event or in a loop? (off(handle) removes one)", in.name, n)
	}
	if h.trigger != nil {
		cmds := 0
		for other := range in.handlers {
			if other.trigger != nil && !other.dead {
				cmds++
				if other.trigger.overlaps(h.trigger) {
					L.RaiseError("command %s is already registered by this module (at %s)", h.trigger.name, other.where)
				}
			}
		}
		if cmds >= in.rt.cfg.MaxCommands {
			L.RaiseError("module %s already has %d commands, the most a module may have", in.name, cmds)
		}
	}
	h.sub = &engine.Subscription{
		Patterns: types, Priority: prio, Filter: goFilt, Target: in, Owner: in,
		Module: in.name, Where: h.where, Ref: h,
	}
	if in.started.Load() {
		if _, err := in.rt.cfg.Bus.Subscribe(h.sub); err != nil {
			L.RaiseError("on_event: %v", err)
		}
	} else {
		for _, p := range types {
			if err := engine.ValidatePattern(p); err != nil {
				L.RaiseError("on_event: %v", err)
			}
		}
		in.pending = append(in.pending, h.sub)
	}
	in.handlers[h] = struct{}{}
	in.refreshCounts()
	ud := L.NewUserData()
	ud.Value = h
	L.Push(ud)
	return 1
}

// optsAndFunc reads the (first, [opts,] fn) arguments of on_event and command.
func optsAndFunc(L *lua.LState) (*lua.LTable, *lua.LFunction) {
	if L.GetTop() >= 3 {
		return L.OptTable(2, nil), L.CheckFunction(3)
	}
	return nil, L.CheckFunction(2)
}

func checkTypes(L *lua.LState, n int) []string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return []string{string(v)}
	case *lua.LTable:
		if v.Len() > maxTypesPerHandler {
			L.ArgError(n, fmt.Sprintf("%d event types; one handler may list at most %d (use a glob such as \"twitch.*\")", v.Len(), maxTypesPerHandler))
		}
		var out []string
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				L.ArgError(n, "event types must be strings")
			}
			out = append(out, string(s))
		}
		if len(out) == 0 {
			L.ArgError(n, "no event type given")
		}
		return out
	}
	L.ArgError(n, "event type (string) or list of types expected")
	return nil
}

// callerWhere is "file:line" of the Lua code calling the current binding.
func callerWhere(L *lua.LState) string {
	return strings.TrimSuffix(L.Where(1), ":")
}

func (in *instance) luaOff(L *lua.LState) int {
	ud := L.CheckUserData(1)
	h, ok := ud.Value.(*handler)
	if !ok {
		L.ArgError(1, "handle from on_event or command expected")
	}
	if h.dead {
		return 0
	}
	h.dead = true
	delete(in.handlers, h)
	in.pending = slices.DeleteFunc(in.pending, func(s *engine.Subscription) bool { return s == h.sub })
	in.rt.cfg.Bus.Unsubscribe(h.sub)
	in.refreshCounts()
	return 0
}

func (in *instance) luaEmit(L *lua.LState) int {
	typ := L.CheckString(1)
	if err := engine.ValidateType(typ); err != nil {
		L.ArgError(1, err.Error())
	}
	if owner := engine.TypeOwner(typ); owner != "" {
		L.RaiseError("emit %q: %s.* events come only from %s, a module may not emit them; emit a type of its own such as %q",
			typ, owner, ownerWords[owner], in.name+"."+typ[len(owner)+1:])
	}
	in.acts(L, "emit")
	if !in.emits.Allow() {
		msg := fmt.Sprintf("emit: this module emits more than %v events a second (a loop, or a handler that emits its own event type?)", in.rt.cfg.EmitRate)
		in.quotaHit("events emitted per second", msg)
		L.RaiseError("%s", msg)
	}
	var data map[string]any
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		v, err := fromLua(L.CheckTable(2))
		if err != nil {
			L.ArgError(2, err.Error())
		}
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{"value": v}
		}
		data = m
	}
	if data == nil {
		data = map[string]any{}
	}
	if err := in.rt.cfg.Bus.Emit(&engine.Event{Type: typ, Data: data, Source: engine.SourceModulePrefix + in.name}); err != nil {
		L.RaiseError("emit: %v", err)
	}
	return 0
}

var ownerWords = map[string]string{
	engine.SourceTwitch:  "Twitch (or the streamer's test events from the panel and the API)",
	engine.SourceOBS:     "OBS (or the streamer's test events from the panel and the API)",
	engine.SourceDiscord: "Discord (or the streamer's test events from the panel and the API)",
	engine.SourceOverlay: "the overlay server (when a browser source shows an alert)",
	engine.SourceEngine:  "the engine",
}

// command(name, [opts,] fn)
func (in *instance) luaCommand(L *lua.LState) int {
	name := L.CheckString(1)
	opts, fn := optsAndFunc(L)
	ct := in.newTrigger(L, name, opts)
	h := &handler{fn: fn, where: callerWhere(L), trigger: ct}
	h.what = "handler " + h.where
	return in.addHandler(L, h, ct.platforms, ct.priority, nil)
}

func (in *instance) luaTriggerCommand(L *lua.LState) int {
	ct := in.newTrigger(L, L.CheckString(1), L.OptTable(2, nil))
	ud := L.NewUserData()
	ud.Value = ct
	L.Push(ud)
	return 1
}

// handleEvent runs this module's handlers for e, highest priority first: the
// Go filter, the command's name, the Lua filter, then the command's
// permission, arguments and cooldowns; each may skip the handler. The event table is built once, and only if some handler runs.
func (in *instance) handleEvent(e *engine.Event, subs []*engine.Subscription) {
	if in.stopping {
		return
	}
	in.rt.cfg.Bus.ObserveDispatch(e, time.Now())
	var evt lua.LValue
	for _, s := range subs {
		h, ok := s.Ref.(*handler)
		if !ok || h.dead {
			continue
		}
		if s.Filter != nil && !s.Filter(e) {
			continue
		}
		if h.trigger != nil && !h.trigger.named(e) {
			continue // not this command: no Lua, no table
		}
		if h.luaFilter != nil {
			if evt == nil {
				evt = in.eventTable(e)
			}
			if !in.runFilter(h, e, evt) {
				continue
			}
		}
		var cmd *commandMatch
		if h.trigger != nil { // permission, arguments, cooldowns: last, so a filtered event costs no cooldown
			var ok bool
			if cmd, ok = in.matchCommand(h, e); !ok {
				continue
			}
		}
		if evt == nil {
			evt = in.eventTable(e)
		}
		args := []lua.LValue{evt}
		if cmd != nil {
			args = append(args, cmd.table(in.L))
		}
		in.spawn(h.fn, args, &invocation{what: h.what, event: e.Type, eventID: e.ID, sub: s, mayWait: true})
	}
}

// runFilter calls a Lua filter synchronously (it may not wait) within the budget.
func (in *instance) runFilter(h *handler, e *engine.Event, evt lua.LValue) (pass bool) {
	var err error
	if cut := in.gate(nil, func() error {
		err = in.L.CallByParam(lua.P{Fn: h.luaFilter, NRet: 1, Protect: true}, evt)
		return err
	}); cut != nil {
		err = cut
	}
	if err != nil {
		inv := &invocation{what: "filter of handler " + h.where, event: e.Type, eventID: e.ID, sub: h.sub}
		err = in.describe(inv, err)
		h.sub.Record(0, err)
		in.recordError(inv, err)
		return false
	}
	ret := in.L.Get(-1)
	in.L.Pop(1)
	return lua.LVAsBool(ret)
}

// eventTable builds the Lua view of e: {id, type, timestamp, source, data}.
func (in *instance) eventTable(e *engine.Event) lua.LValue {
	L := in.L
	t := L.CreateTable(0, 5)
	t.RawSetString("id", lua.LString(e.ID))
	t.RawSetString("type", in.keys.str(e.Type))
	t.RawSetString("timestamp", lua.LNumber(float64(e.Timestamp.UnixNano())/1e9))
	t.RawSetString("source", in.keys.str(e.Source))
	if e.Data != nil {
		t.RawSetString("data", in.keys.toLua(L, e.Data, 0))
	} else {
		t.RawSetString("data", L.CreateTable(0, 0))
	}
	return t
}

// ---- users and levels ----

const (
	levelEveryone = iota
	levelSubscriber
	levelVIP
	levelModerator
	levelBroadcaster
)

var levelNames = map[string]int{
	"everyone": levelEveryone, "subscriber": levelSubscriber, "vip": levelVIP,
	"moderator": levelModerator, "broadcaster": levelBroadcaster,
}

func eventUser(e *engine.Event) map[string]any {
	if e.Data == nil {
		return nil
	}
	if e.Type == "discord.message" {
		u, _ := e.Data["author"].(map[string]any)
		return u
	}
	u, _ := e.Data["user"].(map[string]any)
	return u
}

// userLevel is the highest level the event's user has. The levels are ordered
// everyone < subscriber < vip < moderator < broadcaster; a moderator passes a
// "subscriber" check. Only events from a source that vouches for its users
// (engine.VouchesForUsers: Twitch, the panel, the API, tests) may claim a level;
// a module's event is "everyone" whatever its data says.
func userLevel(e *engine.Event) int {
	if !engine.VouchesForUsers(e.Source) {
		return levelEveryone
	}
	u := eventUser(e)
	if u == nil {
		return levelEveryone
	}
	is := func(k string) bool { b, _ := u[k].(bool); return b }
	switch {
	case is("broadcaster"):
		return levelBroadcaster
	case is("moderator"):
		return levelModerator
	case is("vip"):
		return levelVIP
	case is("subscriber"):
		return levelSubscriber
	}
	return levelEveryone
}

func userID(e *engine.Event) string {
	u := eventUser(e)
	if u == nil {
		return ""
	}
	if id, ok := u["id"].(string); ok && id != "" {
		return id
	}
	name, _ := u["username"].(string)
	return strings.ToLower(name)
}

func fmtSeconds(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	case s >= 60:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", s/60)
		}
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}
