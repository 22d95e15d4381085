package obstest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeTB records how Require ended a test instead of ending it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestRequireSkipsOnlyOutsideCI(t *testing.T) {
	withBins := t.TempDir()
	for _, bin := range []string{"obs", "Xvfb"} {
		if err := os.WriteFile(filepath.Join(withBins, bin), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	withPlugin := t.TempDir()
	if err := os.WriteFile(filepath.Join(withPlugin, "obs-websocket.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noPlugin := t.TempDir()
	const noBins, noWebsocket = "obs and Xvfb not installed", "no obs-websocket plugin"
	tests := []struct {
		name               string
		path, plugins, ci  string
		wantSkip, wantFail bool
		wantWhy            string
	}{
		{name: "missing OBS outside CI skips", path: t.TempDir(), plugins: withPlugin, wantSkip: true, wantWhy: noBins},
		{name: "missing OBS with CI=false skips", path: t.TempDir(), plugins: withPlugin, ci: "false", wantSkip: true, wantWhy: noBins},
		{name: "missing OBS in CI fails", path: t.TempDir(), plugins: withPlugin, ci: "true", wantFail: true, wantWhy: noBins},
		{name: "missing obs-websocket outside CI skips", path: withBins, plugins: noPlugin, wantSkip: true, wantWhy: noWebsocket},
		{name: "missing obs-websocket in CI fails", path: withBins, plugins: noPlugin, ci: "true", wantFail: true, wantWhy: noWebsocket},
		{name: "installed OBS runs outside CI", path: withBins, plugins: withPlugin},
		{name: "installed OBS runs in CI", path: withBins, plugins: withPlugin, ci: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv("CI", tt.ci)
			saved := pluginDirs
			pluginDirs = []string{tt.plugins}
			defer func() { pluginDirs = saved }()
			f := &fakeTB{TB: t}
			Require(f)
			if (f.skipped != "") != tt.wantSkip || (f.failed != "") != tt.wantFail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", f.skipped, f.failed, tt.wantSkip, tt.wantFail)
			}
			if msg := f.skipped + f.failed; !strings.Contains(msg, tt.wantWhy) {
				t.Errorf("message %q does not say %q", msg, tt.wantWhy)
			}
		})
	}
}

func TestConfigHasTheScenesPortAndPassword(t *testing.T) {
	o := &OBS{Root: t.TempDir(), Port: 4567, Password: Password}
	home := filepath.Join(o.Root, "home")
	if err := o.writeConfig(home); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, ".config", "obs-studio")
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(cfg, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	var collection struct {
		Current string `json:"current_program_scene"`
		Sources []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Settings struct {
				Items []struct {
					Name string `json:"name"`
				} `json:"items"`
			} `json:"settings"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(read("basic/scenes/"+profileName+".json"), &collection); err != nil {
		t.Fatalf("scene collection: %v", err)
	}
	if collection.Current != SceneA {
		t.Errorf("current scene %q, want %q", collection.Current, SceneA)
	}
	got := map[string][]string{}
	for _, s := range collection.Sources {
		got[s.ID] = append(got[s.ID], s.Name)
		if s.ID == "scene" {
			for _, it := range s.Settings.Items {
				got[s.Name] = append(got[s.Name], it.Name)
			}
		}
	}
	want := map[string][]string{"scene": {SceneA, SceneB}, "color_source": {Red, Blue}, SceneA: {Red}, SceneB: {Blue}}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: %v, want %v", k, got[k], w)
		}
	}

	var ws map[string]any
	if err := json.Unmarshal(read("plugin_config/obs-websocket/config.json"), &ws); err != nil {
		t.Fatalf("websocket config: %v", err)
	}
	if ws["server_port"] != 4567.0 || ws["server_password"] != Password || ws["auth_required"] != true {
		t.Errorf("websocket config %v", ws)
	}
	global := string(read("global.ini"))
	for _, line := range []string{"ServerPort=4567", "ServerPassword=" + Password, "AuthRequired=true", "FirstLoad=false"} {
		if !strings.Contains(global, "\n"+line+"\n") {
			t.Errorf("global.ini lacks %q", line)
		}
	}
	if basic := string(read("basic/profiles/" + profileName + "/basic.ini")); !strings.Contains(basic, "FilePath="+o.RecordingsDir()+"\n") {
		t.Errorf("basic.ini does not record into %s:\n%s", o.RecordingsDir(), basic)
	}
}

// TestWatchdogKillsWhatTheDeadTestLeft runs the watchdog script with
// stand-ins: a "test process" that ends, and "OBS" and "Xvfb" processes.
func TestWatchdogKillsWhatTheDeadTestLeft(t *testing.T) {
	root := t.TempDir()
	start := func(name string) *exec.Cmd {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		if name != "" {
			if err := os.WriteFile(filepath.Join(root, name), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return cmd
	}
	testProc, obsProc, xvfbProc := start(""), start("obs.pid"), start("xvfb.pid")
	watchdog := exec.Command("sh", "-c", watchdogScript, "watchdog", strconv.Itoa(testProc.Process.Pid), root)
	if err := watchdog.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- watchdog.Wait() }()
	// With the test process alive, the watchdog waits.
	select {
	case err := <-ended:
		t.Fatalf("watchdog ended while the test process lived: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	_ = testProc.Process.Kill()
	_ = testProc.Wait()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("watchdog did not end after the test process died")
	}
	for name, cmd := range map[string]*exec.Cmd{"obs": obsProc, "xvfb": xvfbProc} {
		err := cmd.Wait()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if err == nil || !ok || !ws.Signaled() {
			t.Errorf("%s: %v, want killed by a signal", name, err)
		}
		if _, err := os.Stat(filepath.Join(root, name+".pid")); !os.IsNotExist(err) {
			t.Errorf("%s.pid still there: %v", name, err)
		}
	}
}

func TestStartAndStop(t *testing.T) {
	o := Start(t)
	if o.Port == 0 || !strings.HasPrefix(o.Addr, "127.0.0.1:") || !strings.HasPrefix(o.Display, ":") {
		t.Fatalf("bad OBS %+v", o)
	}
	pids := map[string]int{}
	for _, f := range []string{"obs.pid", "xvfb.pid"} {
		b, err := os.ReadFile(filepath.Join(o.Root, f))
		if err != nil {
			t.Fatal(err)
		}
		if pids[f], err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || !alive(pids[f]) {
			t.Fatalf("%s: pid %q, alive %v", f, b, alive(pids[f]))
		}
	}
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	for f, pid := range pids {
		if alive(pid) {
			t.Errorf("%s: pid %d still runs after Stop", f, pid)
		}
		if _, err := os.Stat(filepath.Join(o.Root, f)); !os.IsNotExist(err) {
			t.Errorf("%s still there after Stop: %v", f, err)
		}
	}
	if err := o.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
