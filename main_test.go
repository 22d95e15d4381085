package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/starstreamer/starstreamer/app"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlagsComeFromEnvironmentThenCommandLine(t *testing.T) {
	env := map[string]string{"STARSTREAMER_SCRIPTS": "/env/scripts", "STARSTREAMER_RELOAD_DEBOUNCE": "250ms", "STARSTREAMER_ADDR": "127.0.0.1:9999"}
	fs, o := newFlagSet("t", io.Discard)
	if err := parseFlags(fs, []string{"--addr", "127.0.0.1:7777"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if o.scripts != "/env/scripts" || o.reloadDebounce != 250*time.Millisecond || o.addr != "127.0.0.1:7777" {
		t.Fatalf("got scripts=%s debounce=%v addr=%s", o.scripts, o.reloadDebounce, o.addr)
	}
	if o.data != "./data/starstreamer.db" || o.handlerTimeout != time.Second || o.obsAddr != "127.0.0.1:4455" {
		t.Fatalf("defaults changed: %+v", o)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	fs, _ := newFlagSet("t", io.Discard)
	err := parseFlags(fs, nil, func(k string) string {
		if k == "STARSTREAMER_HANDLER_TIMEOUT" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "STARSTREAMER_HANDLER_TIMEOUT") {
		t.Fatalf("err = %v", err)
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	fs, _ := newFlagSet("t", io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(out.String(), "-"+f.Name) {
			t.Errorf("--help does not list --%s", f.Name)
		}
	})
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// engineUnderTest runs the whole engine (as `starstreamer run`) on temporary
// folders and a free port, the way `go run .` does.
type engineUnderTest struct {
	t       *testing.T
	opts    *options
	base    string
	token   string
	stopped chan error
}

func startEngine(t *testing.T, scripts map[string]string, extra ...string) *engineUnderTest {
	t.Helper()
	dir := t.TempDir()
	sdir := filepath.Join(dir, "scripts")
	os.MkdirAll(sdir, 0o755)
	for name, code := range scripts {
		os.MkdirAll(filepath.Dir(filepath.Join(sdir, name)), 0o755)
		os.WriteFile(filepath.Join(sdir, name), []byte(code), 0o644)
	}
	fs, o := newFlagSet("t", io.Discard)
	args := append([]string{"--scripts", sdir, "--data", filepath.Join(dir, "data", "ss.db"), "--addr", freeAddr(t), "--obs-addr", ""}, extra...)
	if err := parseFlags(fs, args, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &engineUnderTest{t: t, opts: o, base: "http://" + o.addr, stopped: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { e.stopped <- app.Run(ctx, o.appConfig(log)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-e.stopped:
			if err != nil {
				t.Errorf("engine stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("engine did not stop")
		}
	})
	return e
}

func (e *engineUnderTest) get(path string, v any) int {
	resp, err := http.Get(e.base + path)
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
	if e.token == "" {
		b, err := os.ReadFile(app.TokenFile(e.opts.data))
		if err != nil {
			e.t.Fatal(err)
		}
		e.token = strings.TrimSpace(string(b))
	}
	req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
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
	sdir := e.opts.scripts
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
