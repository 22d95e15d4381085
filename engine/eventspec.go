package engine

import (
	"fmt"
	"sort"
	"strings"
)

// EventSpec documents one event type a script can handle: what it means, each
// field of its data and an example. The specs of the engine's own events
// (EventSpecs) and of the platform clients' (TwitchEventSpecs, OBSEventSpecs:
// kept here because platform packages import no other package of the
// project) are in this package, overlay and bindings declare theirs; each
// builder's tests check its output against them (Check), and docs/events.md
// and the editor stubs are generated from them.
type EventSpec struct {
	Type        string
	Source      string // Event.Source of these events: "twitch", "obs", "engine"
	Description string
	Fields      []FieldSpec
	Example     map[string]any // data as the builder makes it
}

// FieldSpec is one field of an event's data. Nested fields are named by
// path: "user.display_name"; the items of a list by "badges[].set_id".
type FieldSpec struct {
	Name        string
	Type        string // string, integer, number, boolean, table, list
	Optional    bool   // absent (nil in Lua) in some events
	Description string
}

// UserFields are the fields of a Twitch user table at prefix ("user",
// "reply.parent_user"): id, username (the login) and display_name.
func UserFields(prefix, description string, optional bool) []FieldSpec {
	return []FieldSpec{
		{Name: prefix, Type: "table", Optional: optional, Description: description},
		{Name: prefix + ".id", Type: "string", Description: "Twitch user id"},
		{Name: prefix + ".username", Type: "string", Description: "login name, lower case"},
		{Name: prefix + ".display_name", Type: "string", Description: "name as shown in chat"},
	}
}

// Check reports how data differs from the spec: a field the spec does not
// list, a required field that is missing, or a value of the wrong type. A
// nested field is required only when its parent is present.
func (s EventSpec) Check(data map[string]any) error {
	fields := map[string]FieldSpec{}
	for _, f := range s.Fields {
		fields[f.Name] = f
	}
	var problems []string
	present := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if v == nil {
			return
		}
		present[prefix] = true
		f, ok := fields[prefix]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not in the spec", prefix))
			return
		}
		if !typeMatches(f.Type, v) {
			problems = append(problems, fmt.Sprintf("%s is %T, the spec says %s", prefix, v, f.Type))
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(prefix+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(prefix+"[]", x)
			}
		}
	}
	for k, v := range data {
		walk(k, v)
	}
	for _, f := range s.Fields {
		if f.Optional || present[f.Name] {
			continue
		}
		parent := ""
		if i := strings.LastIndexAny(f.Name, ".["); i >= 0 {
			parent = strings.TrimSuffix(f.Name[:i], "[]")
		}
		if strings.Contains(f.Name, "[]") {
			continue // list items: checked when there are any
		}
		if parent == "" || present[parent] {
			problems = append(problems, fmt.Sprintf("%s is missing", f.Name))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s: %s", s.Type, strings.Join(problems, "; "))
	}
	return nil
}

func typeMatches(typ string, v any) bool {
	switch v.(type) {
	case string:
		return typ == "string"
	case bool:
		return typ == "boolean"
	case int, int64:
		return typ == "integer" || typ == "number"
	case float64:
		return typ == "number"
	case map[string]any:
		return typ == "table"
	case []any:
		return typ == "list"
	}
	return false
}

// EventSpecs are the events the engine itself emits.
var EventSpecs = []EventSpec{
	moduleSpec("engine.module.loaded", "A module was loaded and went live (at start, or when it was enabled or loaded by hand).", false),
	moduleSpec("engine.module.reloaded", "A new version of a module replaced the running one (a save, or the panel's Reload); also sent when a broken save is undone and the running version's error is cleared.", false),
	moduleSpec("engine.module.reload_failed", "A new version of a module failed to load; the previous version keeps running.", true),
	moduleSpec("engine.module.load_failed", "A module failed to load and is not running.", true),
	moduleSpec("engine.module.unloaded", "A module was stopped (unloaded, disabled, its file deleted, or quarantined).", false),
	moduleSpec("engine.module.installed", "A module was installed from the panel or the API.", false),
	{Type: "engine.chat.sent", Source: "engine", Description: "A module sent a chat message (twitch.send_message or twitch.reply); offline, this is how the panel's chat console shows it.",
		Fields: []FieldSpec{
			{Name: "module", Type: "string", Description: "the module that sent it"},
			{Name: "text", Type: "string", Description: "the message"},
			{Name: "reply_to", Type: "string", Description: "message_id of the chat message it answers (twitch.reply), \"\" for twitch.send_message"},
			{Name: "online", Type: "boolean", Description: "true when it went to Twitch, false when Twitch is offline and it went only to the console"},
		},
		Example: map[string]any{"module": "dice", "text": "Viewer rolled 4", "reply_to": "cc106a89-1814-919d-454c-f4f2f970aae7", "online": false}},
}

func moduleSpec(typ, desc string, withError bool) EventSpec {
	s := EventSpec{Type: typ, Source: "engine", Description: desc,
		Fields:  []FieldSpec{{Name: "module", Type: "string", Description: "the module's name"}},
		Example: map[string]any{"module": "dice"}}
	if withError {
		s.Fields = append(s.Fields, FieldSpec{Name: "error", Type: "string", Description: "why, with file and line when the script is at fault"})
		s.Example["error"] = "scripts/dice.lua:11: syntax error near ')'"
	}
	return s
}
