package bindings

import (
	"github.com/starstreamer/starstreamer/engine"
)

// ScriptErrorType is the event a handler's error puts on the bus, so the
// panel can show it where the user acted (the chat console shows the errors
// of the handlers of its chat lines).
const ScriptErrorType = "engine.script.error"

// EventSpecs documents the events the bindings emit (docs/events.md).
var EventSpecs = []engine.EventSpec{
	{Type: ScriptErrorType, Source: engine.SourceEngine,
		Description: "A module's handler failed on an event (a Lua error, a missing permission, its CPU budget). The panel's chat console shows the ones of chat lines. A failing handler of this event itself raises none, so it cannot loop.",
		Fields: []engine.FieldSpec{
			{Name: "module", Type: "string", Description: "the module"},
			{Name: "error", Type: "string", Description: "the error, with file and line"},
			{Name: "event_type", Type: "string", Description: "the type of the event the handler failed on"},
			{Name: "event_id", Type: "string", Description: "that event's id"},
		},
		Example: map[string]any{"module": "dice", "error": "scripts/dice.lua:10: twitch.replyy is nil — did you mean twitch.reply? (handler scripts/dice.lua:8, event twitch.chat.message)",
			"event_type": "twitch.chat.message", "event_id": "3f2a9c1e0b7d4a55"}},
}

// announceError emits engine.script.error for a handler's failure on an event
// (owner goroutine). Errors of the top level, init() and timers are not about
// an event: the registry and the log report those.
func (in *instance) announceError(inv *invocation, err error) {
	if inv.event == "" || inv.event == ScriptErrorType || in.rt.cfg.Bus == nil {
		return
	}
	_ = in.rt.cfg.Bus.Emit(&engine.Event{Type: ScriptErrorType, Source: engine.SourceEngine, Data: map[string]any{
		"module": in.name, "error": err.Error(), "event_type": inv.event, "event_id": inv.eventID,
	}})
}
