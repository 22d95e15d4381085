package bindings

import (
	"context"
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

var obsGroup = register(Group{
	Name: "obs", Section: "OBS", Order: 90, Install: installOBS,
	Permissions: []Permission{
		{Name: "obs.control", Risk: "high", Words: "Control OBS: switch scenes, show and hide sources, start and stop streaming and recording, send any OBS request"},
	},
	Docs: []Doc{
		{Name: "obs.set_scene", Syntax: "obs.set_scene(name) -> true | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Switches the program scene."},
		{Name: "obs.current_scene", Syntax: "obs.current_scene() -> name | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "The program scene's name."},
		{Name: "obs.set_source_visible", Syntax: "obs.set_source_visible(scene, source, visible) -> true | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Shows or hides a source in a scene."},
		{Name: "obs.start_stream", Syntax: "obs.start_stream() -> true | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Starts streaming."},
		{Name: "obs.stop_stream", Syntax: "obs.stop_stream() -> true | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Stops streaming."},
		{Name: "obs.start_record", Syntax: "obs.start_record() -> true | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Starts recording."},
		{Name: "obs.stop_record", Syntax: "obs.stop_record() -> output_path | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Stops recording and returns the file's path."},
		{Name: "obs.call", Syntax: "obs.call(request_type, fields) -> response | nil, err", Context: "handler", Permission: "obs.control", Yields: true, Summary: "Sends any obs-websocket v5 request (fields and response are tables)."},
	},
})

// OBS is what the obs.* bindings need of the OBS client.
type OBS interface {
	SetScene(ctx context.Context, name string) error
	CurrentScene(ctx context.Context) (string, error)
	SetSourceVisible(ctx context.Context, scene, source string, visible bool) error
	StartStream(ctx context.Context) error
	StopStream(ctx context.Context) error
	StartRecord(ctx context.Context) error
	StopRecord(ctx context.Context) (string, error)
	Call(ctx context.Context, requestType string, fields map[string]any) (map[string]any, error)
}

// ErrOBSOffline is what obs.* calls return when OBS is not configured.
var ErrOBSOffline = errors.New("OBS is not configured (connect it on the panel's Connections page, or set --obs-addr)")

func installOBS(m Module, L *lua.LState) {
	t := L.NewTable()
	obs := func(L *lua.LState, what string) OBS {
		m.Need(L, "obs.control", what)
		return m.OBS()
	}
	simple := func(name string, f func(o OBS, ctx context.Context) error) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			o := obs(L, "obs."+name)
			return m.Wait(L, "obs."+name, func(ctx context.Context) (func() []lua.LValue, error) {
				if o == nil {
					return nil, ErrOBSOffline
				}
				return retTrue, f(o, ctx)
			})
		}))
	}
	t.RawSetString("set_scene", L.NewFunction(func(L *lua.LState) int {
		o := obs(L, "obs.set_scene")
		name := checkName(L, 1)
		return m.Wait(L, "obs.set_scene", func(ctx context.Context) (func() []lua.LValue, error) {
			if o == nil {
				return nil, ErrOBSOffline
			}
			return retTrue, o.SetScene(ctx, name)
		})
	}))
	t.RawSetString("current_scene", L.NewFunction(func(L *lua.LState) int {
		o := obs(L, "obs.current_scene")
		return m.Wait(L, "obs.current_scene", func(ctx context.Context) (func() []lua.LValue, error) {
			if o == nil {
				return nil, ErrOBSOffline
			}
			s, err := o.CurrentScene(ctx)
			return func() []lua.LValue { return []lua.LValue{lua.LString(s)} }, err
		})
	}))
	t.RawSetString("set_source_visible", L.NewFunction(func(L *lua.LState) int {
		o := obs(L, "obs.set_source_visible")
		scene, source, on := checkName(L, 1), checkName(L, 2), L.ToBool(3)
		return m.Wait(L, "obs.set_source_visible", func(ctx context.Context) (func() []lua.LValue, error) {
			if o == nil {
				return nil, ErrOBSOffline
			}
			return retTrue, o.SetSourceVisible(ctx, scene, source, on)
		})
	}))
	simple("start_stream", OBS.StartStream)
	simple("stop_stream", OBS.StopStream)
	simple("start_record", OBS.StartRecord)
	t.RawSetString("stop_record", L.NewFunction(func(L *lua.LState) int {
		o := obs(L, "obs.stop_record")
		return m.Wait(L, "obs.stop_record", func(ctx context.Context) (func() []lua.LValue, error) {
			if o == nil {
				return nil, ErrOBSOffline
			}
			p, err := o.StopRecord(ctx)
			return func() []lua.LValue { return []lua.LValue{lua.LString(p)} }, err
		})
	}))
	t.RawSetString("call", L.NewFunction(func(L *lua.LState) int {
		o := obs(L, "obs.call")
		req := checkName(L, 1)
		var fields map[string]any
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			v, err := fromLua(L.CheckTable(2))
			if err != nil {
				L.ArgError(2, err.Error())
			}
			fields, _ = v.(map[string]any)
		}
		return m.Wait(L, "obs.call", func(ctx context.Context) (func() []lua.LValue, error) {
			if o == nil {
				return nil, ErrOBSOffline
			}
			resp, err := o.Call(ctx, req, fields)
			return func() []lua.LValue { return []lua.LValue{m.ToLua(resp)} }, err
		})
	}))
	L.SetGlobal("obs", t)
}

// maxNameBytes bounds a name handed to a platform (an OBS scene, source or
// request type): such names are short, and a huge one would only travel
// the socket to be refused.
const maxNameBytes = 1 << 10

// checkName is argument n, a name of at most maxNameBytes.
func checkName(L *lua.LState, n int) string {
	s := L.CheckString(n)
	if len(s) > maxNameBytes {
		L.ArgError(n, fmt.Sprintf("name is %d bytes, at most %d allowed", len(s), maxNameBytes))
	}
	return s
}
