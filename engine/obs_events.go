package engine

// OBSEventSpecs documents every obs.* event the client emits: docs/events.md and
// the editor stubs are generated from it, and the tests check mapEvent's and
// handle's output against it.
// It lives here, beside the other event specs, because the platform
// packages import no other package of the project; their tests check
// their output against it.
var OBSEventSpecs = []EventSpec{
	{Type: "obs.connected", Source: "obs", Description: "The connection to OBS is up (at start and after each reconnect); obs.* calls work from now on.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "\"connected\" the first time, \"reconnected\" after a loss"}},
		Example: map[string]any{"reason": "connected"}},
	{Type: "obs.disconnected", Source: "obs", Description: "The connection to OBS was lost; the client reconnects by itself and obs.* calls fail until then.",
		Fields:  []FieldSpec{{Name: "reason", Type: "string", Description: "what happened"}},
		Example: map[string]any{"reason": "OBS closed the connection"}},
	{Type: "obs.scene_changed", Source: "obs", Description: "The program scene changed (by anyone: OBS itself, a hotkey, obs.set_scene).",
		Fields: []FieldSpec{
			{Name: "scene_name", Type: "string", Description: "the new program scene"},
			{Name: "previous_scene", Type: "string", Description: "the scene before it (\"\" when not known)"},
		},
		Example: map[string]any{"scene_name": "BRB", "previous_scene": "Gameplay"}},
	outputSpec("obs.stream_started", "Streaming started (the output is live, not merely starting).", false),
	outputSpec("obs.stream_stopped", "Streaming stopped.", false),
	outputSpec("obs.recording_started", "Recording started.", true),
	outputSpec("obs.recording_stopped", "Recording stopped; output_path is the finished file.", true),
	{Type: "obs.source_visibility", Source: "obs", Description: "A scene item was shown or hidden.",
		Fields: []FieldSpec{
			{Name: "scene_name", Type: "string", Description: "the scene holding the item"},
			{Name: "source_name", Type: "string", Description: "the item's source (\"\" when OBS cannot say)"},
			{Name: "scene_item_id", Type: "integer", Description: "the item's id in the scene"},
			{Name: "visible", Type: "boolean", Description: "shown (true) or hidden"},
		},
		Example: map[string]any{"scene_name": "Gameplay", "source_name": "Webcam", "scene_item_id": int64(7), "visible": true}},
}

// obs-websocket's output states (platform/obs has the same constants).
const (
	obsOutputStarted = "OBS_WEBSOCKET_OUTPUT_STARTED"
	obsOutputStopped = "OBS_WEBSOCKET_OUTPUT_STOPPED"
)

func outputSpec(typ, desc string, path bool) EventSpec {
	state := obsOutputStarted
	if typ == "obs.stream_stopped" || typ == "obs.recording_stopped" {
		state = obsOutputStopped
	}
	s := EventSpec{Type: typ, Source: "obs", Description: desc,
		Fields: []FieldSpec{
			{Name: "output_active", Type: "boolean", Description: "the output is running"},
			{Name: "output_state", Type: "string", Description: "obs-websocket's state: " + obsOutputStarted + " or " + obsOutputStopped},
		},
		Example: map[string]any{"output_active": state == obsOutputStarted, "output_state": state}}
	if path {
		s.Fields = append(s.Fields, FieldSpec{Name: "output_path", Type: "string", Description: "the recording's file"})
		s.Example["output_path"] = "/home/me/Videos/2026-11-29 20-15-00.mkv"
	}
	return s
}
