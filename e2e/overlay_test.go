package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium; the test skips only when it is absent and
// CI is not "true" (.ci/run installs it).
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run")
	}
	t.Skip("chromium is not installed (apt install chromium)")
	return ""
}

// TestOverlayPageSurvivesAnEngineRestart: an OBS browser source (headless
// Chromium) showing the alerts overlay stays open while the engine process is
// stopped and started again on the same address; it reconnects by itself,
// without a reload, and shows the next alert the alerts module fires.
func TestOverlayPageSurvivesAnEngineRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	exe := chromium(t)
	alerts, err := os.ReadFile(filepath.Join("..", "scripts", "alerts.lua"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	e := &engineUnderTest{t: t, scripts: writeScripts(t, dir, map[string]string{"alerts.lua": string(alerts)}),
		data: filepath.Join(dir, "data", "ss.db"), base: "http://" + addr, logs: &lockedLog{}}
	args := []string{"--scripts", e.scripts, "--data", e.data, "--addr", addr, "--obs-addr", ""}
	p := startProcess(t, e.logs, args...)
	running := true
	t.Cleanup(func() {
		if running {
			p.stop(t, 10*time.Second)
		}
		if t.Failed() {
			t.Logf("engine log:\n%s", e.logs.String())
		}
	})
	e.waitRunning("alerts", 10*time.Second)
	e.token = readToken(t, e.data, 10*time.Second)
	req, _ := http.NewRequest("GET", e.base+"/api/overlays", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Overlays []struct{ Name, Key string } `json:"overlays"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Overlays) == 0 || list.Overlays[0].Key == "" {
		t.Fatalf("GET /api/overlays: %d %+v", resp.StatusCode, list)
	}
	if _, err := os.Stat(filepath.Join(dir, "overlays", "alerts", "style.css")); err != nil {
		t.Fatalf("the default overlay was not written beside the scripts folder: %v", err)
	}

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB() // the browser closes before the engine is stopped by the cleanup
	until := func(what, expr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	follow := func(name string) {
		t.Helper()
		body := fmt.Sprintf(`{"type":"twitch.follow","data":{"user":{"id":"id-%s","username":"%s","display_name":"%s"}}}`, name, name, name)
		if code, msg := e.post("/api/events", body); code != http.StatusAccepted {
			t.Fatalf("POST /api/events: %d %s", code, msg)
		}
	}
	card := func(name string) string {
		return fmt.Sprintf(`[...document.querySelectorAll(".card .text")].some(c => c.textContent === %q)`, name)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(e.base+"/overlay/alerts?key="+list.Overlays[0].Key)); err != nil {
		t.Fatal(err)
	}
	until("the page connects", `document.documentElement.dataset.connection === "open" && (window.__mark = 1)`)
	follow("Alice")
	until("the first alert", card("Alice"))

	p.stop(t, 10*time.Second)
	running = false
	until("the page sees the engine go", `document.documentElement.dataset.connection === "closed"`)
	p = startProcess(t, e.logs, args...)
	running = true
	until("the page reconnects by itself", `document.documentElement.dataset.connection === "open"`)
	until("without a reload", `window.__mark === 1`)
	e.waitRunning("alerts", 10*time.Second)
	follow("Bob")
	until("an alert after the restart", card("Bob"))
}
