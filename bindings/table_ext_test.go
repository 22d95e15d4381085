package bindings_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/internal/apidocs"
	"github.com/starstreamer/starstreamer/web"
)

// A binding group added in one file (the probe group of table_test.go)
// appears in the API reference, the editor stubs, the permissions the panel
// offers and the teardown, with nothing else changed.
func TestABindingGroupInOneFileReachesDocsStubsPermissionsAndTeardown(t *testing.T) {
	md := string(apidocs.Markdown(bindings.Docs(), nil))
	for _, want := range []string{"## Probe", "### `probe.ping`", "| `probe.use` | Use the test probe | low |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the API reference lacks %q", want)
		}
	}
	stubs := string(apidocs.Stubs(bindings.Docs(), apidocs.EventSpecs()))
	for _, want := range []string{"probe = {}", "function probe.ping("} {
		if !strings.Contains(stubs, want) {
			t.Errorf("the editor stubs lack %q", want)
		}
	}

	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	code := `module { name = "prober", permissions = { "probe.use" } }
function init() assert(probe.ping() == true) end`
	if err := os.WriteFile(filepath.Join(scripts, "prober.lua"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := app.New(app.Config{Scripts: scripts, Data: filepath.Join(dir, "t.db"), Addr: "127.0.0.1:8888"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	// the panel offers it, in its words; the reserved ones it does not
	tok, err := web.Token(e.Store)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/permissions", nil)
	req.Host = "127.0.0.1:8888"
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	e.Web.Handler().ServeHTTP(w, req)
	var offered []web.Permission
	if err := json.Unmarshal(w.Body.Bytes(), &offered); err != nil {
		t.Fatalf("GET /api/permissions: %d %s", w.Code, w.Body)
	}
	names := map[string]web.Permission{}
	for _, p := range offered {
		names[p.Name] = p
	}
	if p := names["probe.use"]; p.Description != "Use the test probe" || !p.Known {
		t.Errorf("the panel offers probe.use as %+v", p)
	}
	for _, reserved := range []string{"http"} {
		if _, ok := names[reserved]; ok {
			t.Errorf("the panel offers %s, which no binding uses", reserved)
		}
	}
	for _, used := range []string{"twitch.moderate", "twitch.whisper", "twitch.channel"} { // the Twitch actions
		if p := names[used]; !p.Known || p.Description == "" || p.Risk == "" {
			t.Errorf("the panel offers %s as %+v, want it in words with its risk", used, p)
		}
	}

	// a module declaring it loads and uses it; stopping it runs the group's cleanup
	if _, err := e.Registry.LoadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Registry.Module("prober"); st.Status != engine.StatusRunning {
		t.Fatalf("prober is %s: %s", st.Status, st.LastError)
	}
	before := bindings.ProbeStops.Load()
	if err := e.Registry.Unload(context.Background(), "prober"); err != nil {
		t.Fatal(err)
	}
	if got := bindings.ProbeStops.Load(); got != before+1 {
		t.Errorf("stopping the module ran the probe group's cleanup %d times, want 1", got-before)
	}
}
