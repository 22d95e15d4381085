package obs

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/andreykaipov/goobs/api/events"

	"github.com/starstreamer/starstreamer/engine"
)

func TestMapEvent(t *testing.T) {
	type out struct {
		typ  string
		data map[string]any
	}
	tests := []struct {
		name   string
		events []any // fed in order; the last one's result is checked
		want   out
	}{
		{name: "a program scene change names the previous scene",
			events: []any{&events.CurrentProgramSceneChanged{SceneName: "Scene B"}},
			want:   out{"obs.scene_changed", map[string]any{"scene_name": "Scene B", "previous_scene": "Scene A"}}},
		{name: "consecutive scene changes chain previous_scene",
			events: []any{&events.CurrentProgramSceneChanged{SceneName: "Scene B"}, &events.CurrentProgramSceneChanged{SceneName: "Scene C"}},
			want:   out{"obs.scene_changed", map[string]any{"scene_name": "Scene C", "previous_scene": "Scene B"}}},
		{name: "a renamed current scene is the next previous_scene",
			events: []any{&events.SceneNameChanged{OldSceneName: "Scene A", SceneName: "Intro"}, &events.CurrentProgramSceneChanged{SceneName: "Scene B"}},
			want:   out{"obs.scene_changed", map[string]any{"scene_name": "Scene B", "previous_scene": "Intro"}}},
		{name: "stream started",
			events: []any{&events.StreamStateChanged{OutputActive: true, OutputState: outputStarted}},
			want:   out{"obs.stream_started", map[string]any{"output_active": true, "output_state": outputStarted}}},
		{name: "stream stopped",
			events: []any{&events.StreamStateChanged{OutputState: outputStopped}},
			want:   out{"obs.stream_stopped", map[string]any{"output_active": false, "output_state": outputStopped}}},
		{name: "stream starting is not an event",
			events: []any{&events.StreamStateChanged{OutputState: "OBS_WEBSOCKET_OUTPUT_STARTING"}}},
		{name: "stream reconnecting is not an event",
			events: []any{&events.StreamStateChanged{OutputActive: true, OutputState: "OBS_WEBSOCKET_OUTPUT_RECONNECTING"}}},
		{name: "recording started carries the path",
			events: []any{&events.RecordStateChanged{OutputActive: true, OutputState: outputStarted, OutputPath: "/r/a.mkv"}},
			want: out{"obs.recording_started", map[string]any{"output_active": true, "output_state": outputStarted,
				"output_path": "/r/a.mkv"}}},
		{name: "recording stopped carries the path",
			events: []any{&events.RecordStateChanged{OutputState: outputStopped, OutputPath: "/r/a.mkv"}},
			want: out{"obs.recording_stopped", map[string]any{"output_active": false, "output_state": outputStopped,
				"output_path": "/r/a.mkv"}}},
		{name: "recording paused is not an event",
			events: []any{&events.RecordStateChanged{OutputActive: true, OutputState: "OBS_WEBSOCKET_OUTPUT_PAUSED"}}},
		{name: "visibility of a created item is named from the cache",
			events: []any{
				&events.SceneItemCreated{SceneName: "Scene A", SourceName: "Cam", SceneItemId: 7},
				&events.SceneItemEnableStateChanged{SceneName: "Scene A", SceneItemId: 7, SceneItemEnabled: true}},
			want: out{"obs.source_visibility", map[string]any{"scene_name": "Scene A", "source_name": "Cam",
				"scene_item_id": int64(7), "visible": true}}},
		{name: "visibility of an unknown item without a connection has an empty name",
			events: []any{
				&events.SceneItemCreated{SceneName: "Scene A", SourceName: "Cam", SceneItemId: 7},
				&events.SceneItemRemoved{SceneName: "Scene A", SourceName: "Cam", SceneItemId: 7},
				&events.SceneItemEnableStateChanged{SceneName: "Scene A", SceneItemId: 7}},
			want: out{"obs.source_visibility", map[string]any{"scene_name": "Scene A", "source_name": "",
				"scene_item_id": int64(7), "visible": false}}},
		{name: "a renamed input empties the cache",
			events: []any{
				&events.SceneItemCreated{SceneName: "Scene A", SourceName: "Cam", SceneItemId: 7},
				&events.InputNameChanged{OldInputName: "Cam", InputName: "Camera"},
				&events.SceneItemEnableStateChanged{SceneName: "Scene A", SceneItemId: 7}},
			want: out{"obs.source_visibility", map[string]any{"scene_name": "Scene A", "source_name": "",
				"scene_item_id": int64(7), "visible": false}}},
		{name: "other events are not mapped",
			events: []any{&events.InputMuteStateChanged{InputName: "Mic", InputMuted: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{RequestTimeout: time.Second}, nil)
			c.current = "Scene A"
			var got out
			for _, ev := range tt.events {
				got.typ, got.data = c.mapEvent(ev)
			}
			if got.typ != tt.want.typ || !reflect.DeepEqual(got.data, tt.want.data) {
				t.Errorf("got %s %#v\nwant %s %#v", got.typ, got.data, tt.want.typ, tt.want.data)
			}
			if got.data != nil {
				checkShapes(t, got.data)
				if err := specOf(t, got.typ).Check(got.data); err != nil {
					t.Errorf("off its spec: %v", err)
				}
			}
		})
	}
}

func TestQueueKeepsOrderAcrossMarkers(t *testing.T) {
	q := newQueue()
	q.push(item{kind: kindConnected, reason: "connected"})
	for i := range 1000 {
		q.push(item{kind: kindEvent, event: i})
	}
	q.push(item{kind: kindDisconnected, reason: "bye"})
	<-q.ready
	got := q.popAll(nil)
	if len(got) != 1002 || got[0].kind != kindConnected || got[1001].kind != kindDisconnected {
		t.Fatalf("got %d items, first %v, last %v", len(got), got[0].kind, got[len(got)-1].kind)
	}
	for i, it := range got[1:1001] {
		if it.event != i {
			t.Fatalf("item %d is %v", i, it.event)
		}
	}
	if more := q.popAll(got); len(more) != 0 {
		t.Fatalf("queue not empty after popAll: %d", len(more))
	}
}

func TestQueueDropsEventsButNotMarkersWhenFull(t *testing.T) {
	q := newQueue()
	for range maxQueue {
		if !q.push(item{kind: kindEvent}) {
			t.Fatal("dropped before full")
		}
	}
	if q.push(item{kind: kindEvent}) {
		t.Fatal("a full queue accepted an event")
	}
	if !q.push(item{kind: kindDisconnected}) {
		t.Fatal("a full queue refused a marker")
	}
	if n := q.droppedCount(); n != 1 {
		t.Fatalf("dropped = %d, want 1", n)
	}
}

func TestRequestsFailFastWithoutConnection(t *testing.T) {
	c := New(Config{Addr: "127.0.0.1:1"}, nil)
	ctx := context.Background()
	calls := map[string]func() error{
		"SetScene":         func() error { return c.SetScene(ctx, "Scene A") },
		"CurrentScene":     func() error { _, err := c.CurrentScene(ctx); return err },
		"SetSourceVisible": func() error { return c.SetSourceVisible(ctx, "Scene A", "Red", true) },
		"StartStream":      func() error { return c.StartStream(ctx) },
		"StopStream":       func() error { return c.StopStream(ctx) },
		"StartRecord":      func() error { return c.StartRecord(ctx) },
		"StopRecord":       func() error { _, err := c.StopRecord(ctx); return err },
		"Call":             func() error { _, err := c.Call(ctx, "GetVersion", nil); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ErrNotConnected) {
				t.Fatalf("error = %v, want ErrNotConnected", err)
			}
		})
	}
	if c.Connected() {
		t.Fatal("Connected() before Run")
	}
}

func TestCallRefusesBadInputBeforeSending(t *testing.T) {
	c := New(Config{}, nil)
	if _, err := c.Call(context.Background(), "", nil); err == nil {
		t.Fatal("empty request type accepted")
	}
	if _, err := c.Call(context.Background(), "X", map[string]any{"c": make(chan int)}); err == nil || errors.Is(err, ErrNotConnected) {
		t.Fatalf("unencodable fields: error = %v, want an encoding error", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{name: "zero config takes every default", in: Config{},
			want: Config{Addr: DefaultAddr, MinBackoff: DefaultMinBackoff, MaxBackoff: DefaultMaxBackoff, RequestTimeout: DefaultRequestTimeout}},
		{name: "set values are kept", in: Config{Addr: "h:1", MinBackoff: time.Second, MaxBackoff: 2 * time.Second, RequestTimeout: time.Second},
			want: Config{Addr: "h:1", MinBackoff: time.Second, MaxBackoff: 2 * time.Second, RequestTimeout: time.Second}},
		{name: "max backoff below min is raised to min", in: Config{MinBackoff: time.Second, MaxBackoff: time.Millisecond},
			want: Config{Addr: DefaultAddr, MinBackoff: time.Second, MaxBackoff: time.Second, RequestTimeout: DefaultRequestTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults()
			if got.Logger == nil {
				t.Fatal("no default logger")
			}
			got.Logger = nil
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunTwiceAtOnceIsAnError(t *testing.T) {
	c := New(Config{Addr: "127.0.0.1:1", MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for !c.running.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := c.Run(ctx); err == nil {
		t.Fatal("second Run did not fail")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v after cancel, want nil", err)
	}
}

func specOf(t *testing.T, typ string) engine.EventSpec {
	t.Helper()
	for _, s := range EventSpecs {
		if s.Type == typ {
			return s
		}
	}
	t.Fatalf("%s has no EventSpecs entry", typ)
	return engine.EventSpec{}
}

// TestConnectionEventsAreAsSpecified runs the client's own events through
// handle, the code that emits them, and checks them and every example against
// EventSpecs.
func TestConnectionEventsAreAsSpecified(t *testing.T) {
	var got []string
	c := New(Config{RequestTimeout: time.Second}, func(typ string, data map[string]any) {
		if err := specOf(t, typ).Check(data); err != nil {
			t.Errorf("off its spec: %v", err)
		}
		got = append(got, typ)
	})
	c.handle(item{kind: kindConnected, reason: "connected", scene: "Scene A"})
	c.handle(item{kind: kindDisconnected, reason: "OBS closed the connection"})
	if !reflect.DeepEqual(got, []string{"obs.connected", "obs.disconnected"}) {
		t.Errorf("emitted %v", got)
	}
	for _, s := range EventSpecs {
		if err := s.Check(s.Example); err != nil {
			t.Errorf("example: %v", err)
		}
	}
}

// EventSpecs are the specs of this client's events (kept in engine).
var EventSpecs = engine.OBSEventSpecs
