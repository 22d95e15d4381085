package bindings

import (
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/starstreamer/starstreamer/engine"
)

var moduleGroup = register(Group{
	Name: "module", Section: "Module and language", Order: 10, core: (*instance).installModule,
	Docs: []Doc{
		{Name: "module", Syntax: "module { name, description, version, author, dependencies, permissions, config, cooldown_reply }", Context: "load",
			Summary: "Declares the module; the first statement of every script. name defaults to the file name and must match it. permissions lists the capabilities it uses (the list is under Permissions). cooldown_reply (a text, or true for \"" + DefaultCooldownReply + "\") answers every command of the module that is still cooling down, unless the command sets its own."},
		{Name: "config", Syntax: "config.KEY", Context: "load, handler", Summary: "The module's config: the defaults from module{config=...} with the panel's overrides applied. A field declared KEY = { secret = true, default = \"\" } (a webhook URL, an API key) is a string the panel never shows and the engine never returns or logs; the module's own log lines and errors have it replaced by ••••••••."},
		{Name: "init", Syntax: "function init() end", Context: "defined by the script", Summary: "Runs after the top level, before the module goes live; an error here keeps the previous version running."},
		{Name: "shutdown", Syntax: "function shutdown() end", Context: "defined by the script", Summary: "Runs before the module is unloaded or replaced by a reload (at most 2 s)."},
	},
})

// install gives a new VM every binding group of the table.
func (in *instance) install() { in.installGroups() }

func (in *instance) installModule(L *lua.LState) {
	L.SetGlobal("module", L.NewFunction(in.luaModule))
	in.config = L.NewTable()
	L.SetGlobal("config", in.config)
}

// What module{} may declare: texts (name, description, version, author) of
// at most maxModuleText bytes, lists (dependencies, permissions) of at most
// maxModuleList entries. They are shown in the panel and the API.
const (
	maxModuleText = 4 << 10
	maxModuleList = 64
)

func (in *instance) luaModule(L *lua.LState) int {
	if in.declared {
		L.RaiseError("module{} is called twice")
	}
	t := L.CheckTable(1)
	in.declared = true
	str := func(k string) string {
		switch v := t.RawGetString(k).(type) {
		case lua.LString:
			if len(v) > maxModuleText {
				L.ArgError(1, fmt.Sprintf("module.%s is %d bytes, at most %d allowed", k, len(v), maxModuleText))
			}
			return string(v)
		case *lua.LNilType:
			return ""
		default:
			L.ArgError(1, fmt.Sprintf("module.%s must be a string", k))
		}
		return ""
	}
	list := func(k string) []string {
		out := []string{}
		switch v := t.RawGetString(k).(type) {
		case *lua.LTable:
			if v.Len() > maxModuleList {
				L.ArgError(1, fmt.Sprintf("module.%s has %d entries, at most %d allowed", k, v.Len(), maxModuleList))
			}
			for i := 1; i <= v.Len(); i++ {
				s, ok := v.RawGetInt(i).(lua.LString)
				if !ok {
					L.ArgError(1, fmt.Sprintf("module.%s must be a list of strings", k))
				}
				out = append(out, string(s))
			}
		case *lua.LNilType:
		default:
			L.ArgError(1, fmt.Sprintf("module.%s must be a list of strings", k))
		}
		return out
	}
	name := str("name")
	if name == "" {
		name = in.name
	}
	in.info.Name = name
	in.info.Description = str("description")
	in.info.Version = str("version")
	in.info.Author = str("author")
	in.info.Dependencies = list("dependencies")
	in.info.Permissions = list("permissions")
	switch v := t.RawGetString("cooldown_reply").(type) {
	case lua.LString:
		if len(v) > maxCommandText {
			L.ArgError(1, fmt.Sprintf("module.cooldown_reply is %d bytes, at most %d allowed", len(v), maxCommandText))
		}
		in.cooldownReply = string(v)
	case lua.LBool:
		if v {
			in.cooldownReply = DefaultCooldownReply
		}
	case *lua.LNilType:
	default:
		L.ArgError(1, "module.cooldown_reply must be a text or true (the default text)")
	}
	for _, p := range in.info.Permissions {
		if host, ok := strings.CutPrefix(p, "http:"); ok && !knownPermission(p) {
			L.ArgError(1, fmt.Sprintf("permission %q: http:HOST takes a lower-case host name or address without scheme, port or path, e.g. \"http:discord.com\" (not %q)", p, host))
		}
		if !knownPermission(p) {
			L.ArgError(1, fmt.Sprintf("unknown permission %q (known: %s)", p, strings.Join(permissionNames(), ", ")))
		}
	}
	in.info.Config = map[string]any{}
	if c, ok := t.RawGetString("config").(*lua.LTable); ok {
		v, err := fromLua(c)
		if err != nil {
			L.ArgError(1, "module.config: "+err.Error())
		}
		if m, ok := v.(map[string]any); ok {
			in.info.Config = m
		} else if v != nil {
			L.ArgError(1, "module.config must be a table of name = value")
		}
		// the config table scripts read: defaults, then stored overrides of the same kind
		c.ForEach(func(k, v lua.LValue) { in.config.RawSet(k, v) })
		for _, k := range sortedKeys(in.info.Config) {
			def, ok := secretDefault(in.info.Config[k])
			if !ok {
				continue
			}
			if def == nil {
				L.ArgError(1, fmt.Sprintf("module.config.%s: a secret is { secret = true, default = \"...\" } with a string default", k))
			}
			in.info.Config[k] = *def
			in.info.Secrets = append(in.info.Secrets, k)
			in.config.RawSetString(k, lua.LString(*def))
		}
		for k, ov := range in.src.Config {
			def, ok := in.info.Config[k]
			if !ok || engine.KindOf(def) != engine.KindOf(ov) {
				in.rt.log.Warn("ignoring a config override that does not match the defaults", "module", in.name, "key", k)
				continue
			}
			in.config.RawSetString(k, in.keys.toLua(L, ov, 0))
		}
		for _, k := range in.info.Secrets {
			if v, ok := in.config.RawGetString(k).(lua.LString); ok && len(v) >= minRedacted {
				in.secrets = append(in.secrets, string(v))
			}
		}
	}
	return 0
}

// secretDefault recognises a secret config field, { secret = true, default =
// "..." }: ok is true for such a table, and def is its default ("" when
// absent), or nil when the default is not a string. A secret's value is masked
// in everything the engine shows or answers (engine.SecretMask) and redacted
// from the module's log lines.
func secretDefault(v any) (def *string, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || m["secret"] != true {
		return nil, false
	}
	for k := range m {
		if k != "secret" && k != "default" && k != "description" {
			return nil, false
		}
	}
	switch d := m["default"].(type) {
	case nil:
		s := ""
		return &s, true
	case string:
		return &d, true
	}
	return nil, true
}

// minRedacted: secret values shorter than this are not redacted from log
// lines (replacing every "a" would say what the secret is).
const minRedacted = 4

// redact replaces the module's secret config values in s.
func (in *instance) redact(s string) string {
	for _, v := range in.secrets {
		s = strings.ReplaceAll(s, v, engine.SecretMask)
	}
	return s
}

// acts raises a Lua error when the top level (in.loading) tries to act outside
// the VM. The load-time rule: the top level declares the module, registers what
// it offers (handlers, commands, timers, exports), reads its config and may log;
// it sends nothing to chat or OBS, touches no store, calls and emits nothing
// and waits for nothing. A script can so be loaded to be inspected, or while it
// awaits approval, without any effect; init() runs only once the module may go
// live (approved) and may act.
func (in *instance) acts(L *lua.LState, what string) {
	if in.loading {
		L.RaiseError("%s cannot be used in top-level code: loading a module has no effect outside it; call it from init(), a handler or a timer", what)
	}
}

// need raises a Lua error unless the module declared permission perm.
func (in *instance) need(L *lua.LState, perm, what string) {
	if !slices.Contains(in.info.Permissions, perm) {
		L.RaiseError("%s needs the %q permission: add it to module{ permissions = { ... } }", what, perm)
	}
}
