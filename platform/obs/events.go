package obs

import (
	"context"

	"github.com/andreykaipov/goobs/api/events"
)

// OBS output states (obs-websocket ObsOutputState) that start and stop events
// are emitted for; the intermediate STARTING/STOPPING/... states are not.
const (
	outputStarted = "OBS_WEBSOCKET_OUTPUT_STARTED"
	outputStopped = "OBS_WEBSOCKET_OUTPUT_STOPPED"
)

// mapLoop emits the queued items in order until it meets kindStop.
func (c *Client) mapLoop() {
	var buf []item
	for {
		<-c.q.ready
		batch := c.q.popAll(buf)
		for _, it := range batch {
			if it.kind == kindStop {
				return
			}
			c.handle(it)
		}
		buf = batch
	}
}

// handle emits what one queued item means, if anything.
func (c *Client) handle(it item) {
	switch it.kind {
	case kindConnected:
		c.items.reset()
		c.current = it.scene
		c.emit("obs.connected", map[string]any{"reason": it.reason})
	case kindDisconnected:
		c.emit("obs.disconnected", map[string]any{"reason": it.reason})
	case kindEvent:
		if typ, data := c.mapEvent(it.event); typ != "" {
			c.emit(typ, data)
		}
	}
}

// mapEvent turns a goobs event into an obs.* event ("" for none) and keeps
// the scene item cache current.
func (c *Client) mapEvent(ev any) (string, map[string]any) {
	switch e := ev.(type) {
	case *events.CurrentProgramSceneChanged:
		prev := c.current
		c.current = e.SceneName
		return "obs.scene_changed", map[string]any{
			"scene_name":     e.SceneName,
			"previous_scene": prev,
		}
	case *events.StreamStateChanged:
		switch e.OutputState {
		case outputStarted:
			return "obs.stream_started", outputData(e.OutputActive, e.OutputState)
		case outputStopped:
			return "obs.stream_stopped", outputData(e.OutputActive, e.OutputState)
		}
	case *events.RecordStateChanged:
		var typ string
		switch e.OutputState {
		case outputStarted:
			typ = "obs.recording_started"
		case outputStopped:
			typ = "obs.recording_stopped"
		default:
			return "", nil
		}
		data := outputData(e.OutputActive, e.OutputState)
		data["output_path"] = e.OutputPath
		return typ, data
	case *events.SceneItemEnableStateChanged:
		id := int64(e.SceneItemId)
		return "obs.source_visibility", map[string]any{
			"scene_name":    e.SceneName,
			"source_name":   c.resolveSource(e.SceneName, id),
			"scene_item_id": id,
			"visible":       e.SceneItemEnabled,
		}

	// Events that only keep the scene item cache current.
	case *events.SceneItemCreated:
		c.items.add(e.SceneName, e.SourceName, int64(e.SceneItemId))
	case *events.SceneItemRemoved:
		c.items.remove(e.SceneName, e.SourceName, int64(e.SceneItemId))
	case *events.SceneNameChanged:
		c.items.dropScene(e.OldSceneName)
		c.items.dropScene(e.SceneName)
		if c.current == e.OldSceneName {
			c.current = e.SceneName
		}
	case *events.SceneRemoved:
		c.items.dropScene(e.SceneName)
	case *events.InputNameChanged, *events.CurrentSceneCollectionChanged:
		c.items.reset()
	}
	return "", nil
}

func outputData(active bool, state string) map[string]any {
	return map[string]any{"output_active": active, "output_state": state}
}

// resolveSource names the source of a scene item, from the cache or else by
// asking OBS for the scene's item list. It returns "" when OBS cannot say.
func (c *Client) resolveSource(scene string, id int64) string {
	if name, ok := c.items.sourceName(scene, id); ok {
		return name
	}
	if !c.items.sceneLoaded(scene) {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
		defer cancel()
		if err := c.loadSceneItems(ctx, scene); err != nil {
			c.log.Warn("cannot name the source of a scene item", "scene", scene, "scene_item_id", id, "err", err)
			return ""
		}
		if name, ok := c.items.sourceName(scene, id); ok {
			return name
		}
	}
	return ""
}

// loadSceneItems caches every item of scene.
func (c *Client) loadSceneItems(ctx context.Context, scene string) error {
	resp, err := c.Call(ctx, "GetSceneItemList", map[string]any{"sceneName": scene})
	if err != nil {
		return err
	}
	list, _ := resp["sceneItems"].([]any)
	items := make(map[int64]string, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		id, ok := m["sceneItemId"].(int64)
		name, _ := m["sourceName"].(string)
		if ok {
			items[id] = name
		}
	}
	c.items.setScene(scene, items)
	return nil
}
