package obs

import "github.com/starstreamer/starstreamer/engine"

// EventSpecs documents every obs.* event the client emits: docs/events.md and
// the editor stubs are generated from it, and the tests check mapEvent's and
// handle's output against it.
var EventSpecs = []engine.EventSpec{
	{Type: "obs.connected", Source: "obs", Description: "The connection to OBS is up (at start and after each reconnect); obs.* calls work from now on.",
		Fields:  []engine.FieldSpec{{Name: "reason", Type: "string", Description: "\"connected\" the first time, \"reconnected\" after a loss"}},
		Example: map[string]any{"reason": "connected"}},
	{Type: "obs.disconnected", Source: "obs", Description: "The connection to OBS was lost; the client reconnects by itself and obs.* calls fail until then.",
		Fields:  []engine.FieldSpec{{Name: "reason", Type: "string", Description: "what happened"}},
		Example: map[string]any{"reason": "OBS closed the connection"}},
	{Type: "obs.scene_changed", Source: "obs", Description: "The program scene changed (by anyone: OBS itself, a hotkey, obs.set_scene).",
		Fields: []engine.FieldSpec{
			{Name: "scene_name", Type: "string", Description: "the new program scene"},
			{Name: "previous_scene", Type: "string", Description: "the scene before it (\"\" when not known)"},
		},
		Example: map[string]any{"scene_name": "BRB", "previous_scene": "Gameplay"}},
	outputSpec("obs.stream_started", "Streaming started (the output is live, not merely starting).", false),
	outputSpec("obs.stream_stopped", "Streaming stopped.", false),
	outputSpec("obs.recording_started", "Recording started.", true),
	outputSpec("obs.recording_stopped", "Recording stopped; output_path is the finished file.", true),
	{Type: "obs.source_visibility", Source: "obs", Description: "A scene item was shown or hidden.",
		Fields: []engine.FieldSpec{
			{Name: "scene_name", Type: "string", Description: "the scene holding the item"},
			{Name: "source_name", Type: "string", Description: "the item's source (\"\" when OBS cannot say)"},
			{Name: "scene_item_id", Type: "integer", Description: "the item's id in the scene"},
			{Name: "visible", Type: "boolean", Description: "shown (true) or hidden"},
		},
		Example: map[string]any{"scene_name": "Gameplay", "source_name": "Webcam", "scene_item_id": int64(7), "visible": true}},
}

func outputSpec(typ, desc string, path bool) engine.EventSpec {
	state := outputStarted
	if typ == "obs.stream_stopped" || typ == "obs.recording_stopped" {
		state = outputStopped
	}
	s := engine.EventSpec{Type: typ, Source: "obs", Description: desc,
		Fields: []engine.FieldSpec{
			{Name: "output_active", Type: "boolean", Description: "the output is running"},
			{Name: "output_state", Type: "string", Description: "obs-websocket's state: " + outputStarted + " or " + outputStopped},
		},
		Example: map[string]any{"output_active": state == outputStarted, "output_state": state}}
	if path {
		s.Fields = append(s.Fields, engine.FieldSpec{Name: "output_path", Type: "string", Description: "the recording's file"})
		s.Example["output_path"] = "/home/me/Videos/2026-11-29 20-15-00.mkv"
	}
	return s
}
