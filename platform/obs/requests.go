package obs

import (
	"context"
	"encoding/json"
	"fmt"
)

var emptyBody = json.RawMessage("{}")

// Call sends any obs-websocket v5 request (see the obs-websocket protocol
// docs for request types and fields) and returns its response data, decoded
// to string, bool, int64, float64, nil, []any and map[string]any values.
// A request OBS refuses returns a *RequestError; one made while disconnected
// an error wrapping ErrNotConnected.
func (c *Client) Call(ctx context.Context, requestType string, fields map[string]any) (map[string]any, error) {
	if requestType == "" {
		return nil, fmt.Errorf("obs: Call: empty request type")
	}
	body, err := encodeFields(fields)
	if err != nil {
		return nil, fmt.Errorf("obs: %s: %w", requestType, err)
	}
	data, err := c.send(ctx, requestType, body)
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("obs: %s: %w", requestType, err)
	}
	return m, nil
}

// send sends a request with an encoded body on the current session.
func (c *Client) send(ctx context.Context, requestType string, body json.RawMessage) (json.RawMessage, error) {
	s := c.session()
	if s == nil {
		return nil, fmt.Errorf("obs: %s: %w", requestType, ErrNotConnected)
	}
	return s.request(ctx, requestType, body)
}

// SetScene switches the program scene to the scene called name.
func (c *Client) SetScene(ctx context.Context, name string) error {
	_, err := c.Call(ctx, "SetCurrentProgramScene", map[string]any{"sceneName": name})
	return err
}

// CurrentScene returns the name of the program scene.
func (c *Client) CurrentScene(ctx context.Context) (string, error) {
	m, err := c.Call(ctx, "GetCurrentProgramScene", nil)
	if err != nil {
		return "", err
	}
	return sceneNameOf(m), nil
}

// sceneNameOf reads the scene name of a GetCurrentProgramScene response
// (obs-websocket 5.0-5.2 say currentProgramSceneName, later ones sceneName too).
func sceneNameOf(m map[string]any) string {
	if s, ok := m["currentProgramSceneName"].(string); ok {
		return s
	}
	s, _ := m["sceneName"].(string)
	return s
}

// SetSourceVisible shows or hides the source called source in the scene
// called scene (its first scene item of that source).
func (c *Client) SetSourceVisible(ctx context.Context, scene, source string, visible bool) error {
	id, cached, err := c.sceneItemID(ctx, scene, source)
	if err != nil {
		return err
	}
	err = c.setItemEnabled(ctx, scene, id, visible)
	if cached && IsNotFound(err) {
		// The item was removed or re-created since it was cached.
		c.items.forgetID(scene, source)
		if id, _, err = c.sceneItemID(ctx, scene, source); err != nil {
			return err
		}
		err = c.setItemEnabled(ctx, scene, id, visible)
	}
	return err
}

func (c *Client) setItemEnabled(ctx context.Context, scene string, id int64, visible bool) error {
	_, err := c.Call(ctx, "SetSceneItemEnabled", map[string]any{
		"sceneName":        scene,
		"sceneItemId":      id,
		"sceneItemEnabled": visible,
	})
	return err
}

// sceneItemID finds the item id of source in scene, from the cache if it can.
func (c *Client) sceneItemID(ctx context.Context, scene, source string) (id int64, cached bool, err error) {
	if id, ok := c.items.itemID(scene, source); ok {
		return id, true, nil
	}
	m, err := c.Call(ctx, "GetSceneItemId", map[string]any{"sceneName": scene, "sourceName": source})
	if err != nil {
		return 0, false, err
	}
	id, ok := m["sceneItemId"].(int64)
	if !ok {
		return 0, false, fmt.Errorf("obs: GetSceneItemId: no sceneItemId in the answer for %q in %q", source, scene)
	}
	c.items.setID(scene, source, id)
	return id, false, nil
}

// StartStream starts streaming. Success means OBS accepted the request; the
// obs.stream_started event says when the stream is really up.
func (c *Client) StartStream(ctx context.Context) error {
	_, err := c.send(ctx, "StartStream", emptyBody)
	return err
}

// StopStream stops streaming.
func (c *Client) StopStream(ctx context.Context) error {
	_, err := c.send(ctx, "StopStream", emptyBody)
	return err
}

// StartRecord starts recording.
func (c *Client) StartRecord(ctx context.Context) error {
	_, err := c.send(ctx, "StartRecord", emptyBody)
	return err
}

// StopRecord stops recording and returns the path of the recorded file.
func (c *Client) StopRecord(ctx context.Context) (outputPath string, err error) {
	m, err := c.Call(ctx, "StopRecord", nil)
	if err != nil {
		return "", err
	}
	p, _ := m["outputPath"].(string)
	return p, nil
}
