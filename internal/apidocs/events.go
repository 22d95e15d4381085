package apidocs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/overlay"
)

// EventSpecs is every event type the engine and its platform clients emit,
// from the packages that build them.
func EventSpecs() []engine.EventSpec {
	return slices.Concat(engine.TwitchEventSpecs, engine.OBSEventSpecs, engine.DiscordEventSpecs, overlay.EventSpecs, engine.EventSpecs, bindings.EventSpecs)
}

var sourceTitles = map[string]string{"twitch": "Twitch", "obs": "OBS", "discord": "Discord", "overlay": "Overlays", "engine": "Engine"}

// EventsMarkdown renders docs/events.md.
func EventsMarkdown(specs []engine.EventSpec) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Replace(header, "from the bindings' annotations and stdlib/lua", "from the event specs of platform/twitch, platform/obs, platform/discord, overlay and engine", 1))
	b.WriteString(`# Events

Every event a script can handle, with each field of its ` + "`event.data`" + ` and an example.
This page is generated from the same tables the Twitch, OBS and Discord clients and the
engine are tested against, so a field listed here is a field the event carries.

` + "```lua" + `
on_event("twitch.follow", function(event)
  log.info("new follower", { name = event.data.user.display_name })
end)
on_event("obs.stream_*", function(event) log.info(event.type) end)  -- '*' matches any run of characters
` + "```" + `

Every event is a table with these fields:

| field | type | |
|---|---|---|
| ` + "`id`" + ` | string | unique id of this event |
| ` + "`type`" + ` | string | e.g. ` + "`twitch.chat.message`" + ` |
| ` + "`data`" + ` | table | the fields listed below for each type |
| ` + "`timestamp`" + ` | number | seconds since the epoch |
| ` + "`source`" + ` | string | who put it on the bus: ` + "`twitch`, `obs`, `overlay`, `engine`, `api` (POST /api/events), `panel`, `test`, or `module:NAME`" + ` |

An optional field is ` + "`nil`" + ` when absent. Integers are Lua numbers. Twitch and OBS events can
also come from the panel and the API (the streamer's test events): their ` + "`source`" + ` then
says so, and fields the platform would add may be missing.

**Your own events.** ` + "`emit(\"my.thing\", data)`" + ` and ` + "`POST /api/events`" + ` fire events of any
type outside ` + "`twitch.*`, `obs.*`, `overlay.*` and `engine.*`" + ` (a module cannot speak for a platform or the
engine), with whatever data you give them — e.g. ` + "`deck.button`" + ` from a Stream Deck.

`)
	b.WriteString("## Contents\n\n")
	for _, src := range []string{"twitch", "obs", "discord", "overlay", "engine"} {
		fmt.Fprintf(&b, "- %s:", sourceTitles[src])
		for _, s := range specs {
			if s.Source == src {
				fmt.Fprintf(&b, " [`%s`](#%s)", s.Type, strings.ReplaceAll(s.Type, ".", ""))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, src := range []string{"twitch", "obs", "discord", "overlay", "engine"} {
		fmt.Fprintf(&b, "## %s\n\n", sourceTitles[src])
		for _, s := range specs {
			if s.Source != src {
				continue
			}
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", s.Type, s.Description)
			if len(s.Fields) > 0 {
				b.WriteString("| field | type | |\n|---|---|---|\n")
				for _, f := range s.Fields {
					desc := f.Description
					if f.Optional {
						desc = "*optional* — " + desc
					}
					fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Type, strings.ReplaceAll(desc, "|", "\\|"))
				}
				b.WriteString("\n")
			}
			ex, _ := json.MarshalIndent(s.Example, "", "  ")
			fmt.Fprintf(&b, "Example `event.data`:\n\n```json\n%s\n```\n\n", ex)
		}
	}
	return b.Bytes()
}

// className turns "twitch.chat.message" into "TwitchChatMessage".
func className(typ string) string {
	var out strings.Builder
	for _, part := range strings.FieldsFunc(typ, func(r rune) bool { return r == '.' || r == '_' }) {
		out.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return out.String()
}

// node is one field of an event's data as a tree, for the stubs' types.
type node struct {
	field    engine.FieldSpec
	children []*node
}

func fieldTree(fields []engine.FieldSpec) []*node {
	byName := map[string]*node{}
	var roots []*node
	for _, f := range fields {
		n := &node{field: f}
		byName[f.Name] = n
		parent := ""
		if strings.HasSuffix(f.Name, "[]") {
			parent = strings.TrimSuffix(f.Name, "[]")
		} else if i := strings.LastIndex(f.Name, "."); i >= 0 {
			parent = f.Name[:i]
		}
		if p, ok := byName[parent]; ok && parent != "" {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// luaType is the LuaLS type of a field: inline tables for nested fields.
func luaType(n *node) string {
	switch n.field.Type {
	case "table":
		if len(n.children) == 0 {
			return "table"
		}
		var parts []string
		for _, c := range n.children {
			name := c.field.Name[strings.LastIndex(c.field.Name, ".")+1:]
			opt := ""
			if c.field.Optional {
				opt = "?"
			}
			parts = append(parts, fmt.Sprintf("%s%s: %s", name, opt, luaType(c)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case "list":
		for _, c := range n.children {
			if strings.HasSuffix(c.field.Name, "[]") {
				return luaType(c) + "[]"
			}
		}
		return "any[]"
	case "string", "integer", "number", "boolean":
		return n.field.Type
	}
	return "any"
}

// EventStubs renders stdlib/types/events.lua: one class per event type, so
// that on_event("twitch.follow", function(event) ...) completes event.data.user.
func EventStubs(specs []engine.EventSpec) []byte {
	var b bytes.Buffer
	b.WriteString(stubHeader)
	b.WriteString("-- The events of docs/events.md, one class per type. on_event's overloads\n-- (starstreamer.lua) pick the class from the type given.\n\n")
	for _, s := range specs {
		cls := className(s.Type)
		fmt.Fprintf(&b, "---%s\n---@class %sData\n", s.Description, cls)
		for _, n := range fieldTree(s.Fields) {
			opt := ""
			if n.field.Optional {
				opt = "?"
			}
			fmt.Fprintf(&b, "---@field %s%s %s # %s\n", n.field.Name, opt, luaType(n), n.field.Description)
		}
		fmt.Fprintf(&b, "\n---@class %sEvent: Event\n---@field data %sData\n\n", cls, cls)
	}
	return b.Bytes()
}

// onEventOverloads are the LuaLS overloads of on_event, one per event type.
func onEventOverloads(specs []engine.EventSpec) string {
	var b strings.Builder
	for _, s := range specs {
		ev := className(s.Type) + "Event"
		fmt.Fprintf(&b, "---@overload fun(types: %q, fn: fun(event: %s)): Handle\n", s.Type, ev)
		fmt.Fprintf(&b, "---@overload fun(types: %q, opts: table, fn: fun(event: %s)): Handle\n", s.Type, ev)
	}
	return b.String()
}
