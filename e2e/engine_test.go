package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// engineUnderTest runs the whole engine (`starstreamer run`) on temporary
// folders and a free port, the way `go run .` does.
type engineUnderTest struct {
	t       *testing.T
	scripts string // the scripts folder
	data    string // the store
	base    string
	token   string
	logs    *lockedLog
}

func startEngine(t *testing.T, scripts map[string]string, extra ...string) *engineUnderTest {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	e := &engineUnderTest{t: t, scripts: writeScripts(t, dir, scripts), data: filepath.Join(dir, "data", "ss.db"),
		base: "http://" + addr, logs: &lockedLog{}}
	args := append([]string{"--scripts", e.scripts, "--data", e.data, "--addr", addr, "--obs-addr", ""}, extra...)
	p := startProcess(t, e.logs, args...)
	t.Cleanup(func() {
		p.stop(t, 10*time.Second)
		if t.Failed() {
			t.Logf("engine log:\n%s", e.logs.String())
		}
	})
	return e
}

// apiToken is the engine's API token (every /api call needs it), read once
// the engine has written it.
func (e *engineUnderTest) apiToken() string {
	if e.token == "" {
		e.token = readToken(e.t, e.data, 10*time.Second)
	}
	return e.token
}

func (e *engineUnderTest) get(path string, v any) int {
	req, _ := http.NewRequest("GET", e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.apiToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

func (e *engineUnderTest) post(path, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.apiToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *engineUnderTest) chat(text string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"type":"twitch.chat.message","data":{"user":{"id":"7","username":"tester","display_name":"Tester"},"message":%q,"message_id":"m%d"}}`, text, time.Now().UnixNano())
	if code, msg := e.post("/api/events", body); code != http.StatusAccepted {
		e.t.Fatalf("POST /api/events: %d %s", code, msg)
	}
}

// waitReply polls GET /api/chat until a message containing want appears.
func (e *engineUnderTest) waitReply(want string, within time.Duration) time.Duration {
	e.t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		var msgs []struct{ Text string }
		e.get("/api/chat", &msgs)
		for _, m := range msgs {
			if strings.Contains(m.Text, want) {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("no reply containing %q within %v", want, within)
	return 0
}

// waitRunning polls GET /api/modules until module name is running.
func (e *engineUnderTest) waitRunning(name string, within time.Duration) {
	e.t.Helper()
	for start := time.Now(); time.Since(start) < within; time.Sleep(5 * time.Millisecond) {
		var mods struct {
			Modules []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"modules"`
		}
		e.get("/api/modules", &mods)
		for _, m := range mods.Modules {
			if m.Name == name && m.Status == "running" {
				return
			}
		}
	}
	e.t.Fatalf("module %s not running within %v", name, within)
}

func moduleCode(reply string) string {
	return `module { name = "live", permissions = { "twitch.chat" } }
command("!live", function(event) twitch.reply(event, "` + reply + `") end)
`
}

func TestEngineServesAndHotReloads(t *testing.T) {
	start := time.Now()
	e := startEngine(t, map[string]string{"ping.lua": `module { name = "ping", permissions = { "twitch.chat" } }
command("!ping", function(event) twitch.reply(event, "pong") end)`})
	for e.get("/api/modules", nil) != http.StatusOK {
		if time.Since(start) > 2*time.Second {
			t.Fatal("/api/modules did not answer within 2 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("/api/modules answered %v after start", time.Since(start).Round(time.Millisecond))
	// the API answers before the modules have loaded; an event sent before a
	// module subscribes is not for it
	e.waitRunning("ping", 5*time.Second)
	e.chat("!ping")
	e.waitReply("pong", time.Second)

	// a module written while the engine runs answers within a second
	sdir := e.scripts
	os.WriteFile(filepath.Join(sdir, "live.lua"), []byte(moduleCode("live v1")), 0o644)
	t0 := time.Now()
	for {
		e.chat("!live")
		var msgs []struct{ Text string }
		e.get("/api/chat", &msgs)
		found := false
		for _, m := range msgs {
			found = found || m.Text == "live v1"
		}
		if found {
			break
		}
		if time.Since(t0) > time.Second {
			t.Fatal("new module did not answer within 1 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("new module answered %v after the save", time.Since(t0).Round(time.Millisecond))

	// a broken save keeps the old version answering and the API shows the error with its line
	os.WriteFile(filepath.Join(sdir, "live.lua"), []byte(moduleCode("live v2")+"if then\n"), 0o644)
	var lastErr string
	for t1 := time.Now(); time.Since(t1) < 2*time.Second && lastErr == ""; time.Sleep(20 * time.Millisecond) {
		var mods struct {
			Modules []struct {
				Name      string `json:"name"`
				Status    string `json:"status"`
				LastError string `json:"last_error"`
			}
		}
		e.get("/api/modules", &mods)
		for _, m := range mods.Modules {
			if m.Name == "live" {
				lastErr = m.LastError
				if m.Status != "running" {
					t.Fatalf("status %s after a broken save", m.Status)
				}
			}
		}
	}
	if !strings.Contains(lastErr, "live.lua:3:") {
		t.Fatalf("last error %q does not name live.lua:3", lastErr)
	}
	e.chat("!live")
	time.Sleep(50 * time.Millisecond)
	var msgs []struct{ Text string }
	e.get("/api/chat", &msgs)
	if last := msgs[len(msgs)-1].Text; last != "live v1" {
		t.Fatalf("after a broken save the reply is %q, want the old version's", last)
	}
}
