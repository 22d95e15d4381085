package overlay

import "github.com/starstreamer/starstreamer/engine"

// alertFieldSpecs are the fields of both overlay.alert.* events.
var alertFieldSpecs = []engine.FieldSpec{
	{Name: "id", Type: "string", Description: "the alert's id, as overlay.alert returned it"},
	{Name: "overlay", Type: "string", Description: "the overlay that shows it"},
	{Name: "kind", Type: "string", Description: "its kind (follow, sub, raid, ...; \"alert\" when none was given)"},
	{Name: "title", Type: "string", Description: "its small line"},
	{Name: "text", Type: "string", Description: "its big line"},
	{Name: "module", Type: "string", Description: "the module that queued it (\"panel\" for a test alert)"},
	{Name: "duration", Type: "number", Description: "seconds on screen"},
}

// EventSpecs documents the events the overlay server emits (source overlay):
// docs/events.md and the editor stubs are generated from it, and the tests
// check the emitted data against it.
var EventSpecs = []engine.EventSpec{
	{Type: EventShown, Source: engine.SourceOverlay,
		Description: "An alert is on screen: a browser source of its overlay painted it (or did not answer within 3 s). Alerts of one overlay are shown one at a time, in order.",
		Fields:      alertFieldSpecs,
		Example:     map[string]any{"id": "3f9a1c2e-1b", "overlay": "alerts", "kind": "follow", "title": "New follower", "text": "Alice", "module": "alerts", "duration": 6.0}},
	{Type: EventDone, Source: engine.SourceOverlay,
		Description: "An alert's time on screen is over, or it was skipped from the panel; the next one follows.",
		Fields: append(append([]engine.FieldSpec{}, alertFieldSpecs...),
			engine.FieldSpec{Name: "skipped", Type: "boolean", Description: "ended early from the panel"},
			engine.FieldSpec{Name: "shown", Type: "boolean", Description: "false when it was skipped before any page showed it"}),
		Example: map[string]any{"id": "3f9a1c2e-1b", "overlay": "alerts", "kind": "follow", "title": "New follower", "text": "Alice", "module": "alerts", "duration": 6.0, "skipped": false, "shown": true}},
}
