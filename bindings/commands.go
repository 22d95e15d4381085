package bindings

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/starstreamer/starstreamer/engine"
	lua "github.com/yuin/gopher-lua"
)

// commandTrigger is a parsed trigger.command(name, opts). Matching, permission
// and cooldown checks run in Go, so a chat line that is not this command costs
// no Lua at all.
type commandTrigger struct {
	name         string   // lower case, as written ("!work")
	aliases      []string // lower case
	permission   int
	permName     string
	cooldown     time.Duration // global
	userCooldown time.Duration
	cooldownMsg  string
	cooldownSet  bool // cooldown_reply given (a text, true or false): the module's default does not apply
	usage        string
	minArgs      int
	description  string
	priority     int
	platforms    []string // event types it answers: twitch.chat.message and/or discord.message
}

// commandPlatforms maps the names of the platforms option to the chat event
// each one answers.
var commandPlatforms = map[string]string{"twitch": "twitch.chat.message", "discord": "discord.message"}

// commandText is the text of a chat event: data.message on Twitch, data.content
// on Discord.
func commandText(e *engine.Event) string {
	if e.Data == nil {
		return ""
	}
	if e.Type == "discord.message" {
		s, _ := e.Data["content"].(string)
		return s
	}
	s, _ := e.Data["message"].(string)
	return s
}

func (ct *commandTrigger) names() []string { return append([]string{ct.name}, ct.aliases...) }

func (ct *commandTrigger) overlaps(o *commandTrigger) bool {
	for _, n := range ct.names() {
		if slices.Contains(o.names(), n) {
			return true
		}
	}
	return false
}

func (ct *commandTrigger) info(module string) engine.CommandInfo {
	return engine.CommandInfo{Module: module, Name: ct.name, Aliases: ct.aliases, Usage: ct.usage, Description: ct.description, Permission: ct.permName}
}

// A command's texts (usage, cooldown_reply, description) are chat lines or
// shown in the panel: at most maxCommandText bytes each, and at most
// maxAliases aliases.
const (
	maxCommandText = 500
	maxAliases     = 32
)

func (in *instance) newTrigger(L *lua.LState, name string, opts *lua.LTable) *commandTrigger {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || len(name) > 64 {
		L.ArgError(1, "command name must be one word such as \"!work\"")
	}
	ct := &commandTrigger{name: name, permName: "everyone", platforms: []string{"twitch.chat.message"}}
	if opts == nil {
		return ct
	}
	switch v := opts.RawGetString("platforms").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		ct.platforms = nil
		for i := 1; i <= v.Len(); i++ {
			s, _ := v.RawGetInt(i).(lua.LString)
			typ, ok := commandPlatforms[strings.ToLower(string(s))]
			if !ok {
				L.ArgError(2, "platforms must be a list of \"twitch\" and \"discord\"")
			}
			if !slices.Contains(ct.platforms, typ) {
				ct.platforms = append(ct.platforms, typ)
			}
		}
		if len(ct.platforms) == 0 {
			L.ArgError(2, "platforms must name at least one of \"twitch\" and \"discord\"")
		}
	default:
		L.ArgError(2, "platforms must be a list such as { \"twitch\", \"discord\" }")
	}
	num := func(k string) float64 {
		switch v := opts.RawGetString(k).(type) {
		case lua.LNumber:
			if v < 0 {
				L.ArgError(2, k+" must not be negative")
			}
			return float64(v)
		case *lua.LNilType:
			return 0
		}
		L.ArgError(2, k+" must be a number")
		return 0
	}
	str := func(k string) string {
		switch v := opts.RawGetString(k).(type) {
		case lua.LString:
			if len(v) > maxCommandText {
				L.ArgError(2, fmt.Sprintf("%s is %d bytes, at most %d allowed", k, len(v), maxCommandText))
			}
			return string(v)
		case *lua.LNilType:
			return ""
		}
		L.ArgError(2, k+" must be a string")
		return ""
	}
	if a, ok := opts.RawGetString("aliases").(*lua.LTable); ok {
		if a.Len() > maxAliases {
			L.ArgError(2, fmt.Sprintf("%d aliases, at most %d allowed", a.Len(), maxAliases))
		}
		for i := 1; i <= a.Len(); i++ {
			s, ok := a.RawGetInt(i).(lua.LString)
			if !ok || strings.TrimSpace(string(s)) == "" {
				L.ArgError(2, "aliases must be a list of words")
			}
			ct.aliases = append(ct.aliases, strings.ToLower(strings.TrimSpace(string(s))))
		}
	}
	if p := str("permission"); p != "" {
		lvl, ok := levelNames[strings.ToLower(p)]
		if !ok {
			L.ArgError(2, "permission must be one of everyone, subscriber, vip, moderator, broadcaster")
		}
		ct.permission, ct.permName = lvl, strings.ToLower(p)
	}
	ct.cooldown = time.Duration(num("cooldown") * float64(time.Second))
	ct.userCooldown = time.Duration(num("user_cooldown") * float64(time.Second))
	switch v := opts.RawGetString("cooldown_reply").(type) {
	case lua.LString:
		ct.cooldownMsg, ct.cooldownSet = str("cooldown_reply"), true
	case lua.LBool:
		ct.cooldownSet = true
		if v {
			ct.cooldownMsg = DefaultCooldownReply
		}
	case *lua.LNilType:
	default:
		L.ArgError(2, "cooldown_reply must be a text, true (the default text) or false (no reply)")
	}
	ct.usage = str("usage")
	ct.minArgs = int(num("min_args"))
	ct.description = str("description")
	ct.priority = int(num("priority"))
	return ct
}

// DefaultCooldownReply is the answer to a command still cooling down when a
// command or its module sets cooldown_reply = true.
const DefaultCooldownReply = "{user}, {command} is cooling down: try again in {remaining}."

// commandMatch is what a handler receives as cmd.
type commandMatch struct {
	name string
	args []string
	rest string
}

func (c *commandMatch) table(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("name", lua.LString(c.name))
	args := L.CreateTable(len(c.args), 0)
	for _, a := range c.args {
		args.Append(lua.LString(a))
	}
	t.RawSetString("args", args)
	t.RawSetString("rest", lua.LString(c.rest))
	return t
}

// parseCommand splits "!give @bob 50" into "!give", ["@bob", "50"], "@bob 50".
// Double quotes group words: !so "two words" -> ["two words"].
func parseCommand(msg string) (word string, args []string, rest string) {
	msg = strings.TrimSpace(msg)
	i := strings.IndexFunc(msg, unicode.IsSpace)
	if i < 0 {
		return strings.ToLower(msg), []string{}, ""
	}
	word, rest = strings.ToLower(msg[:i]), strings.TrimSpace(msg[i:])
	args = []string{}
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range rest {
		switch {
		case r == '"':
			inQuote = !inQuote
			has = true
		case unicode.IsSpace(r) && !inQuote:
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		args = append(args, cur.String())
	}
	return word, args, rest
}

// maxCommandLine: longer chat lines are never commands.
const maxCommandLine = 2000

// named reports whether e is a chat line whose first word is this command's
// name or an alias. It has no side effects.
func (ct *commandTrigger) named(e *engine.Event) bool {
	msg := commandText(e)
	if msg == "" || len(msg) > maxCommandLine {
		return false
	}
	msg = strings.TrimSpace(msg)
	if i := strings.IndexFunc(msg, unicode.IsSpace); i >= 0 {
		msg = msg[:i]
	}
	word := strings.ToLower(msg)
	return word == ct.name || slices.Contains(ct.aliases, word)
}

// matchCommand checks whether e, which named has accepted, may run now:
// permission, minimum arguments, global and per-user cooldown. It answers
// refusals that the user should hear (cooldown_reply, usage) in chat.
func (in *instance) matchCommand(h *handler, e *engine.Event) (*commandMatch, bool) {
	ct := h.trigger
	_, args, rest := parseCommand(commandText(e))
	if userLevel(e) < ct.permission {
		return nil, false
	}
	if len(args) < ct.minArgs {
		if ct.usage != "" {
			in.replyAsync(e, "Usage: "+ct.usage)
		}
		return nil, false
	}
	now := in.rt.now()
	uid := userID(e)
	if ct.cooldown > 0 || ct.userCooldown > 0 {
		left := time.Duration(0)
		if ct.cooldown > 0 {
			left = max(left, in.rt.cooldowns.remaining(in.name, ct.name, "", now))
		}
		if ct.userCooldown > 0 && uid != "" {
			left = max(left, in.rt.cooldowns.remaining(in.name, ct.name, uid, now))
		}
		if left > 0 {
			msg := ct.cooldownMsg
			if !ct.cooldownSet {
				msg = in.cooldownReply // module { cooldown_reply = ... }, "" when off
			}
			if msg != "" {
				user := ""
				if u := eventUser(e); u != nil {
					user, _ = u["display_name"].(string)
				}
				in.replyAsync(e, strings.NewReplacer("{remaining}", fmtSeconds(left), "{user}", user, "{command}", ct.name).Replace(msg))
			}
			return nil, false
		}
		until := map[string]time.Time{}
		if ct.cooldown > 0 {
			until[""] = now.Add(ct.cooldown)
		}
		if ct.userCooldown > 0 && uid != "" {
			until[uid] = now.Add(ct.userCooldown)
		}
		in.rt.cooldowns.set(in.name, ct.name, until)
	}
	return &commandMatch{name: ct.name, args: args, rest: rest}, true
}

// replyAsync answers e in chat from Go, without holding up the module. Until
// the reply is sent it counts as running in the module's Status, like a
// handler waiting on twitch.reply would: a module that shows nothing running
// has said all it was going to (the script tests wait for exactly that), and
// a flood of refused commands cannot start goroutines without bound.
func (in *instance) replyAsync(e *engine.Event, text string) {
	parent, _ := e.Data["message_id"].(string)
	in.stMu.Lock()
	if in.running >= in.rt.cfg.MaxRunning {
		in.stMu.Unlock()
		in.rt.log.Debug("chat reply skipped: too many handlers in progress", "module", in.name)
		return
	}
	in.running++
	in.stMu.Unlock()
	go func() {
		defer func() {
			in.stMu.Lock()
			in.running--
			in.stMu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(withModule(context.Background(), in.name), 30*time.Second)
		defer cancel()
		var err error
		if e.Type == "discord.message" {
			err = ErrDiscordOffline
			if d := in.rt.cfg.Discord; d != nil {
				channel, _ := e.Data["channel"].(string)
				_, err = d.Reply(ctx, channel, parent, text)
			}
		} else {
			err = in.rt.twitch().Reply(ctx, parent, text)
		}
		if err != nil {
			in.rt.log.Warn("chat reply failed", "module", in.name, "err", err)
		}
	}()
}

// cooldowns are owned by the engine, not by a VM: they survive reloads, and
// through the store, restarts. Keys are (module, command, user id; "" global).
type cooldowns struct {
	mu    sync.Mutex
	m     map[cooldownKey]time.Time
	store *engine.Store
	log   *slog.Logger
}

type cooldownKey struct{ module, command, user string }

func (c *cooldowns) remaining(module, command, user string, now time.Time) time.Duration {
	k := cooldownKey{module, command, user}
	c.mu.Lock()
	until, ok := c.m[k]
	c.mu.Unlock()
	if !ok && c.store != nil {
		var err error
		if until, err = c.store.CooldownUntil(module, command, user); err != nil {
			// no cooldown is better than a command that never answers again
			c.log.Warn("cannot read a cooldown from the store; the command is not cooling down", "module", module, "command", command, "err", err)
		}
		c.mu.Lock()
		if len(c.m) > 100_000 {
			c.m = map[cooldownKey]time.Time{}
		}
		c.m[k] = until
		c.mu.Unlock()
	}
	if until.After(now) {
		return until.Sub(now)
	}
	return 0
}

func (c *cooldowns) set(module, command string, until map[string]time.Time) {
	c.mu.Lock()
	for u, t := range until {
		c.m[cooldownKey{module, command, u}] = t
	}
	c.mu.Unlock()
	if c.store != nil {
		if err := c.store.SetCooldowns(module, command, until); err != nil {
			c.log.Warn("cannot save a cooldown; it holds until the engine restarts", "module", module, "command", command, "err", err)
		}
	}
}
