package bindings

import (
	"slices"
	"sync/atomic"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// The probe group exists only in the tests: a binding group added in one
// file, as a contributor would add one. table_ext_test.go checks that it
// reaches the docs, the editor stubs, the panel's permissions and teardown.
var _ = register(Group{
	Name: "probe", Section: "Probe", Order: 1_000_000, Install: installProbe,
	Permissions: []Permission{{Name: "probe.use", Words: "Use the test probe", Risk: "low"}},
	Docs: []Doc{{Name: "probe.ping", Syntax: "probe.ping() -> true", Context: "handler", Permission: "probe.use",
		Summary: "Answers true; exists only in the tests of package bindings."}},
})

// ProbeStops counts the probe group's cleanups that have run.
var ProbeStops atomic.Int64

func installProbe(m Module, L *lua.LState) {
	m.OnStop(func() { ProbeStops.Add(1) })
	t := L.NewTable()
	t.RawSetString("ping", L.NewFunction(func(L *lua.LState) int {
		m.Need(L, "probe.use", "probe.ping")
		m.Acts(L, "probe.ping")
		L.Push(lua.LTrue)
		return 1
	}))
	L.SetGlobal("probe", t)
}

// Every permission a binding needs is in the vocabulary, and every
// permission of the vocabulary that is not reserved has a binding behind it.
func TestPermissionsAndBindingsMatch(t *testing.T) {
	used := map[string]bool{}
	for _, d := range Docs() {
		if d.Permission == "" {
			continue
		}
		used[d.Permission] = true
		if !slices.Contains(permissionNames(), d.Permission) {
			t.Errorf("%s needs permission %q, which no group declares", d.Name, d.Permission)
		}
	}
	for _, p := range Permissions() {
		switch {
		case p.Reserved && used[p.Name]:
			t.Errorf("permission %s is reserved, but %v uses it: declare it in its group", p.Name, p.Name)
		case !p.Reserved && !used[p.Name]:
			t.Errorf("permission %s has no binding behind it: mark it Reserved or remove it", p.Name)
		case p.Words == "" || p.Risk == "":
			t.Errorf("permission %s lacks its words or its risk", p.Name)
		}
	}
}
