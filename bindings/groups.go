package bindings

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/starstreamer/starstreamer/platform/httpc"
	lua "github.com/yuin/gopher-lua"
)

// Group is one group of Lua bindings: one value of the binding table, which
// each group's file adds itself to (register). Everything the engine knows
// about a group comes from this value:
//
//   - install: every module's VM gets the group's globals from Install (or,
//     for the runtime's own language groups, from core);
//   - docs and editor stubs: docs/lua-api.md and stdlib/types are generated
//     from Docs (internal/apidocs), under the Section title;
//   - permissions: Permissions are the capabilities the group introduces, the
//     vocabulary module{ permissions = ... } accepts and the words the panel
//     shows when it asks for approval (Permissions());
//   - teardown: what Install registers with Module.OnStop runs when the
//     module's VM closes.
//
// So adding a group is one file: its Group value, its install function and
// the Go interface of what it drives (plus, for a new platform, one field of
// Config set by the app package).
type Group struct {
	Name    string // "twitch": the global it installs, or what it is about
	Section string // heading of the API reference it is listed under
	Order   int    // position of the group in the reference and install order
	Docs    []Doc
	// Permissions the group introduces. A Doc's Permission must be one of
	// them (or of another group's): the tests check it.
	Permissions []Permission
	// Install adds the group's globals to a new VM. It sees the module only
	// through Module.
	Install func(m Module, L *lua.LState)
	// core installs one of the runtime's own language groups (module, events,
	// timers, exports, ...): those are the invocation machinery itself and
	// see the instance. Exactly one of Install and core is set.
	core func(in *instance, L *lua.LState)
}

// Permission is a capability a module declares in module{ permissions = ... }.
type Permission struct {
	Name  string // "twitch.chat"
	Words string // what it lets a module do, in plain words, for the approval dialog
	Risk  string // "low", "medium" or "high"
	// Reserved: no binding uses it yet. Scripts may declare it (so that they
	// need not change when the binding comes), it grants nothing, and the
	// panel does not offer it.
	Reserved bool
	// Family, when set, makes the permission a family: Name is a pattern
	// such as "http:HOST" and a module declares Family followed by a value
	// ("http:discord.com"); Words says HOST where the value goes. Each
	// declared value is one permission of its own (ValidFamilyValue checks it).
	Family string
}

// reservedPermissions are declared by scripts ahead of bindings that do not
// exist yet; see Permission.Reserved.
var reservedPermissions = []Permission{
	{Name: "http", Words: "Grants nothing: web requests need one http:HOST permission per site (\"http:discord.com\")", Risk: "high", Reserved: true},
}

// table is the binding table: every group, sorted by Order once the package
// is initialised (see register).
var table []*Group

// register adds g to the binding table; each group's file calls it in a
// package-level var, so a new file is all a new group needs.
func register(g Group) *Group {
	if (g.Install == nil) == (g.core == nil) {
		panic(fmt.Sprintf("binding group %s: set exactly one of Install and core", g.Name))
	}
	p := &g
	table = append(table, p)
	slices.SortStableFunc(table, func(a, b *Group) int { return cmp.Compare(a.Order, b.Order) })
	for i := range p.Docs {
		p.Docs[i].Section = p.Section
	}
	return p
}

// Groups returns the binding table in order.
func Groups() []*Group { return slices.Clone(table) }

// Docs lists every binding's documentation, group by group.
func Docs() []Doc {
	var out []Doc
	for _, g := range table {
		out = append(out, g.Docs...)
	}
	return out
}

// Permissions is the permission vocabulary: what the groups introduce, then
// the reserved names, sorted by name within each.
func Permissions() []Permission {
	var out []Permission
	for _, g := range table {
		out = append(out, g.Permissions...)
	}
	slices.SortFunc(out, func(a, b Permission) int { return strings.Compare(a.Name, b.Name) })
	return append(out, reservedPermissions...)
}

// knownPermission reports whether p is of the vocabulary: one of its names
// or a family's prefix followed by a valid value.
func knownPermission(p string) bool {
	for _, k := range Permissions() {
		if k.Family == "" && k.Name == p {
			return true
		}
		if k.Family != "" && strings.HasPrefix(p, k.Family) && validFamilyValue(k.Family, strings.TrimPrefix(p, k.Family)) {
			return true
		}
	}
	return false
}

// validFamilyValue checks the value of a family permission.
func validFamilyValue(family, v string) bool {
	switch family {
	case "http:":
		return v == httpc.NormalizeHost(v) && httpc.ValidHost(v)
	}
	return v != ""
}

// permissionNames are the names Permissions lists.
func permissionNames() []string {
	var out []string
	for _, p := range Permissions() {
		out = append(out, p.Name)
	}
	return out
}

// installGroups installs every group of the table into in's VM.
func (in *instance) installGroups() {
	m := moduleView{in}
	for _, g := range table {
		if g.core != nil {
			g.core(in, in.L)
		} else {
			g.Install(m, in.L)
		}
	}
}

// runCleanups runs what the groups registered with OnStop, last first (owner
// goroutine, from teardown).
func (in *instance) runCleanups() {
	for _, f := range slices.Backward(in.cleanups) {
		f()
	}
	in.cleanups = nil
}

// Module is what a binding group sees of the module it is installed in (the
// way k6 gives a JavaScript module its VU, not the runtime): who it is, the
// permission and load-time checks, a way to wait on the outside world without
// holding up the module, value conversion, cleanup, and the platforms.
type Module interface {
	// Name is the module's name.
	Name() string
	// Declared is a copy of the permissions the module declared.
	Declared() []string
	// Need raises a Lua error unless the module declared permission.
	Need(L *lua.LState, permission, what string)
	// Acts raises a Lua error when what is used in top-level code: loading a
	// module has no effect outside it.
	Acts(L *lua.LState, what string)
	// Wait runs call on its own goroutine (with the module's name in the
	// context and a time limit) while the calling handler waits; what call
	// returns turns into Lua values on the module's goroutine, nil, err on
	// failure. The binding must return Wait's result. It also refuses in
	// top-level code, like Acts.
	Wait(L *lua.LState, what string, call func(ctx context.Context) (func() []lua.LValue, error)) int
	// ToLua converts a plain Go value (maps, slices, strings, numbers,
	// booleans, times) to Lua, on the module's goroutine.
	ToLua(v any) lua.LValue
	// Context is a background context that carries the module's name.
	Context() context.Context
	// Logger logs for the module.
	Logger() *slog.Logger
	// OnStop registers f to run when the module's VM closes (after
	// shutdown(), on the module's goroutine).
	OnStop(f func())

	// The platforms, as configured (offline stand-ins when not).
	Twitch() Twitch
	OBS() OBS         // nil when OBS is not configured
	Overlay() Overlay // nil when the engine runs without overlays
	Discord() Discord // nil when Discord is not configured
	// Web returns a new web client for the declared hosts (see Config.Web).
	Web(hosts []string) Web
}

// moduleView is the Module a group's Install gets.
type moduleView struct{ in *instance }

func (m moduleView) Declared() []string                          { return slices.Clone(m.in.info.Permissions) }
func (m moduleView) Name() string                                { return m.in.name }
func (m moduleView) Need(L *lua.LState, permission, what string) { m.in.need(L, permission, what) }
func (m moduleView) Acts(L *lua.LState, what string)             { m.in.acts(L, what) }
func (m moduleView) Wait(L *lua.LState, what string, call func(ctx context.Context) (func() []lua.LValue, error)) int {
	return m.in.platformCall(L, what, call)
}
func (m moduleView) ToLua(v any) lua.LValue   { return m.in.keys.toLua(m.in.L, v, 0) }
func (m moduleView) Context() context.Context { return withModule(context.Background(), m.in.name) }
func (m moduleView) Logger() *slog.Logger     { return m.in.rt.log }
func (m moduleView) OnStop(f func())          { m.in.cleanups = append(m.in.cleanups, f) }
func (m moduleView) Twitch() Twitch           { return m.in.rt.twitch() }
func (m moduleView) OBS() OBS                 { return m.in.rt.cfg.OBS }
func (m moduleView) Overlay() Overlay         { return m.in.rt.cfg.Overlay }
func (m moduleView) Discord() Discord         { return m.in.rt.cfg.Discord }
func (m moduleView) Web(hosts []string) Web {
	if f := m.in.rt.cfg.Web; f != nil {
		return f(m.in.name, hosts)
	}
	return httpc.New(httpc.Options{Hosts: hosts})
}
