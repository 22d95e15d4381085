package bindings

import (
	"context"
	"errors"

	lua "github.com/yuin/gopher-lua"
)

var overlayGroup = register(Group{
	Name: "overlay", Section: "Overlay", Order: 100, Install: installOverlay,
	Permissions: []Permission{
		{Name: "overlay", Risk: "medium", Words: "Put alerts and any text or pictures it chooses on your stream overlays (what viewers see), with sounds from your media folder"},
	},
	Docs: []Doc{
		{Name: "overlay.alert", Syntax: "overlay.alert(alert) -> id | nil, err", Context: "handler", Permission: "overlay",
			Summary: "overlay.alert{ overlay, kind, title, text, image, sound, accent, duration } queues an on-screen alert on an overlay (default \"alerts\"): shown one at a time, in order, for duration seconds (0.5-60, default 6) in the OBS browser sources of that overlay. kind (follow, sub, raid, ...) picks the look; title is the small line, text the big one; image and sound are files of the media folder; accent a colour such as \"#9146ff\". While no browser source is open, alerts wait (up to 50). Returns the alert's id; overlay.alert.shown and overlay.alert.done events with that id follow."},
		{Name: "overlay.send", Syntax: "overlay.send(name, data) -> true | nil, err", Context: "handler", Permission: "overlay",
			Summary: "Sends data (a table, at most 64 KiB as JSON) to every open page of overlay name, for counters, goals and custom widgets: the page's overlay.on(\"data\", fn) gets it. The last value per data.id is also given to pages that open later."},
	},
})

// Overlay is what the overlay.* bindings need of the overlay server (package
// overlay's Manager). fields and data are plain values (see fromLua).
type Overlay interface {
	Alert(ctx context.Context, module string, fields map[string]any) (id string, err error)
	Send(ctx context.Context, module, name string, data any) error
}

// ErrNoOverlays is what overlay.* calls return when the engine runs without overlays.
var ErrNoOverlays = errors.New("overlays are off in this engine (no overlays folder)")

func installOverlay(m Module, L *lua.LState) {
	t := L.NewTable()
	t.RawSetString("alert", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "overlay", "overlay.alert")
		m.Acts(L, "overlay.alert")
		v, err := fromLua(L.CheckTable(1))
		if err != nil {
			L.ArgError(1, err.Error())
		}
		fields, ok := v.(map[string]any)
		if !ok {
			L.ArgError(1, "overlay.alert takes a table of fields: overlay.alert{ title = ..., text = ... }")
		}
		o := m.Overlay()
		if o == nil {
			return pushErr(L, ErrNoOverlays)
		}
		id, err := o.Alert(m.Context(), m.Name(), fields)
		if err != nil {
			return pushErr(L, err)
		}
		L.Push(lua.LString(id))
		return 1
	}))
	t.RawSetString("send", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "overlay", "overlay.send")
		m.Acts(L, "overlay.send")
		name := L.CheckString(1)
		data, err := fromLua(L.Get(2))
		if err != nil {
			L.ArgError(2, err.Error())
		}
		o := m.Overlay()
		if o == nil {
			return pushErr(L, ErrNoOverlays)
		}
		if err := o.Send(m.Context(), m.Name(), name, data); err != nil {
			return pushErr(L, err)
		}
		L.Push(lua.LTrue)
		return 1
	}))
	L.SetGlobal("overlay", t)
}

func pushErr(L *lua.LState, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("overlay: " + err.Error()))
	return 2
}
