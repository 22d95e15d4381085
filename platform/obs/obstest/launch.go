package obstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// The canvas and output size of the test OBS: small, so that rendering and a
// recording cost little CPU.
const (
	canvasWidth  = 640
	canvasHeight = 360
	canvasFPS    = 30
)

// startWait bounds how long Xvfb and OBS may take to come up.
const startWait = 60 * time.Second

// profileName names the profile and the scene collection OBS is started with.
const profileName = "StarStreamerTest"

// pluginDirs are where distributions install OBS's plugins; obs-websocket
// must be among them (Debian and Ubuntu ship it in obs-plugins).
var pluginDirs = []string{
	"/usr/lib/*/obs-plugins",
	"/usr/lib/obs-plugins",
	"/usr/lib64/obs-plugins",
	"/usr/local/lib/obs-plugins",
	"/usr/local/lib/*/obs-plugins",
	"/usr/local/lib64/obs-plugins",
}

// websocketPlugin returns the path of obs-websocket.so, or "" when no
// plugin folder holds it.
func websocketPlugin() string {
	for _, dir := range pluginDirs {
		matches, _ := filepath.Glob(filepath.Join(dir, "obs-websocket.so"))
		if len(matches) > 0 {
			return matches[0]
		}
	}
	return ""
}

// files are the configuration OBS finds under its private HOME, keyed by the
// path below $HOME/.config/obs-studio. They are rendered with settings.
var files = map[string]string{
	// FirstRun with a LastVersion skips the auto-configuration wizard.
	// obs-websocket 5.1 (bundled with OBS 29) reads its settings from the
	// [OBSWebSocket] section; FirstLoad=false stops it inventing a password
	// and showing it in a dialog.
	"global.ini": `[General]
Pre19Defaults=false
Pre21Defaults=false
Pre23Defaults=false
Pre24.1Defaults=false
FirstRun=true
LastVersion=486539266
Language=en-US
ConfirmOnExit=false
EnableAutoUpdates=false

[Basic]
Profile={{.Profile}}
ProfileDir={{.Profile}}
SceneCollection={{.Profile}}
SceneCollectionFile={{.Profile}}
ConfigOnNewProfile=false

[BasicWindow]
PreviewEnabled=false
SysTrayEnabled=false
SysTrayWhenStarted=false
WarnBeforeStartingStream=false
WarnBeforeStoppingStream=false
WarnBeforeStoppingRecord=false
RecordWhenStreaming=false
KeepRecordingWhenStreamStops=false

[OBSWebSocket]
FirstLoad=false
ServerEnabled=true
ServerPort={{.Port}}
AlertsEnabled=false
AuthRequired=true
ServerPassword={{.Password}}
`,
	// Later obs-websocket versions keep the same settings in a JSON file.
	"plugin_config/obs-websocket/config.json": `{"first_load": false, "server_enabled": true, "server_port": {{.Port}},
 "alerts_enabled": false, "auth_required": true, "server_password": {{json .Password}}}
`,
	// Simple output mode: x264 at the fastest useful preset, mkv files in
	// the recordings folder, a small canvas.
	"basic/profiles/{{.Profile}}/basic.ini": `[General]
Name={{.Profile}}

[Output]
Mode=Simple

[SimpleOutput]
FilePath={{.Recordings}}
RecFormat=mkv
RecQuality=Stream
RecEncoder=x264
StreamEncoder=x264
Preset=veryfast
VBitrate=2500
ABitrate=160
FileNameWithoutSpace=true

[Video]
BaseCX={{.Width}}
BaseCY={{.Height}}
OutputCX={{.Width}}
OutputCY={{.Height}}
FPSType=0
FPSCommon={{.FPS}}

[Audio]
SampleRate=48000
ChannelSetup=Stereo
`,
	// Streaming goes to a loopback RTMP address nobody serves, so a started
	// stream fails to connect instead of reaching the internet.
	"basic/profiles/{{.Profile}}/service.json": `{"type": "rtmp_custom", "settings": {"server": "rtmp://127.0.0.1:1/live", "key": "test", "use_auth": false}}
`,
	// Two scenes, each with one full-canvas colour source, and the Cut
	// transition, so a scene switch is reported at once.
	"basic/scenes/{{.Profile}}.json": `{
  "name": "{{.Profile}}",
  "current_scene": "{{.SceneA}}",
  "current_program_scene": "{{.SceneA}}",
  "current_transition": "Cut",
  "transition_duration": 300,
  "transitions": [], "quick_transitions": [], "saved_projectors": [], "groups": [], "modules": {},
  "scene_order": [{"name": "{{.SceneA}}"}, {"name": "{{.SceneB}}"}],
  "sources": [
    {{template "scene" (pair .SceneA .Red)}},
    {{template "scene" (pair .SceneB .Blue)}},
    {{template "color" (colour .Red 4278190335 .)}},
    {{template "color" (colour .Blue 4294901760 .)}}
  ]
}
{{define "scene"}}{"id": "scene", "versioned_id": "scene", "name": "{{.Scene}}", "enabled": true, "flags": 0, "mixers": 0,
     "settings": {"id_counter": 1, "custom_size": false, "items": [
       {"name": "{{.Source}}", "id": 1, "visible": true, "locked": false, "rot": 0.0, "align": 5,
        "pos": {"x": 0.0, "y": 0.0}, "scale": {"x": 1.0, "y": 1.0}, "bounds_type": 0, "bounds_align": 0,
        "bounds": {"x": 0.0, "y": 0.0}, "crop_left": 0, "crop_top": 0, "crop_right": 0, "crop_bottom": 0,
        "scale_filter": "disable", "blend_method": "default", "blend_type": "normal"}]}}{{end}}
{{define "color"}}{"id": "color_source", "versioned_id": "color_source_v3", "name": "{{.Name}}", "enabled": true, "flags": 0, "mixers": 0,
     "settings": {"color": {{.ABGR}}, "width": {{.Width}}, "height": {{.Height}}}}{{end}}
`,
}

// settings are what the configuration files are rendered with.
type settings struct {
	Profile, Password, Recordings string
	Port, Width, Height, FPS      int
	SceneA, SceneB, Red, Blue     string
}

var funcs = template.FuncMap{
	"pair": func(scene, source string) map[string]string {
		return map[string]string{"Scene": scene, "Source": source}
	},
	"colour": func(name string, abgr uint32, s settings) map[string]any {
		return map[string]any{"Name": name, "ABGR": abgr, "Width": s.Width, "Height": s.Height}
	},
	"json": strconv.Quote, // the password is plain ASCII
}

// writeConfig writes a fresh OBS configuration under home, removing whatever
// an earlier start (and OBS itself) left there.
func (o *OBS) writeConfig(home string) error {
	if err := os.RemoveAll(home); err != nil {
		return fmt.Errorf("obstest: %w", err)
	}
	s := settings{
		Profile: profileName, Password: o.Password, Recordings: o.RecordingsDir(),
		Port: o.Port, Width: canvasWidth, Height: canvasHeight, FPS: canvasFPS,
		SceneA: SceneA, SceneB: SceneB, Red: Red, Blue: Blue,
	}
	cfg := filepath.Join(home, ".config", "obs-studio")
	for name, text := range files {
		var path, body bytes.Buffer
		if err := template.Must(template.New("path").Parse(name)).Execute(&path, s); err != nil {
			return fmt.Errorf("obstest: %s: %w", name, err)
		}
		if err := template.Must(template.New(name).Funcs(funcs).Parse(text)).Execute(&body, s); err != nil {
			return fmt.Errorf("obstest: %s: %w", name, err)
		}
		full := filepath.Join(cfg, path.String())
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("obstest: %w", err)
		}
		if err := os.WriteFile(full, body.Bytes(), 0o644); err != nil {
			return fmt.Errorf("obstest: %w", err)
		}
	}
	return os.MkdirAll(o.RecordingsDir(), 0o755)
}

// launch writes the configuration, starts Xvfb and OBS in their own sessions
// (recording their pids in xvfb.pid and obs.pid) and returns once OBS's
// websocket port accepts connections. On error the caller stops what started.
func (o *OBS) launch() error {
	logs := filepath.Join(o.Root, "logs")
	runtimeDir := filepath.Join(o.Root, "xdg-runtime")
	home := filepath.Join(o.Root, "home")
	for _, dir := range []string{logs, runtimeDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("obstest: %w", err)
		}
	}
	if err := o.writeConfig(home); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startWait)
	defer cancel()

	display, err := o.startXvfb(ctx, logs)
	if err != nil {
		return err
	}
	o.Display = display

	env := []string{
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + runtimeDir,
		"DISPLAY=" + display,
		"LIBGL_ALWAYS_SOFTWARE=1", // Xvfb has no GPU: Mesa's software renderer
		"QT_QPA_PLATFORM=xcb",
	}
	for _, kv := range os.Environ() {
		// XDG_CONFIG_HOME must be unset (libobs then uses $HOME/.config),
		// and the rest is ours.
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DISPLAY", "LIBGL_ALWAYS_SOFTWARE", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY":
		default:
			env = append(env, kv)
		}
	}
	obs := exec.Command("obs",
		"--multi", // several test OBS may run at once
		"--disable-updater", "--disable-missing-files-check",
		"--collection", profileName, "--profile", profileName, "--scene", SceneA,
		"--websocket_port", strconv.Itoa(o.Port), "--websocket_password", o.Password,
		"--websocket_ipv4_only")
	obs.Dir = o.Root
	obs.Env = env
	exited, err := o.startProcess(obs, "obs.pid", filepath.Join(logs, "obs.stdout"))
	if err != nil {
		return err
	}
	for {
		c, err := net.DialTimeout("tcp", o.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("obstest: OBS exited before its websocket port %d answered%s", o.Port, o.logTail())
		case <-ctx.Done():
			return fmt.Errorf("obstest: OBS's websocket port %d did not answer within %s%s", o.Port, startWait, o.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startXvfb starts a virtual X server on a display it picks itself
// (-displayfd: it writes the number once it accepts connections) and
// returns that display, e.g. ":3".
func (o *OBS) startXvfb(ctx context.Context, logs string) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("obstest: %w", err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w} // fd 3
	exited, err := o.startProcess(cmd, "xvfb.pid", filepath.Join(logs, "xvfb.log"))
	w.Close()
	if err != nil {
		return "", err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return "", fmt.Errorf("obstest: Xvfb did not report its display (%q); see %s", s, filepath.Join(logs, "xvfb.log"))
		}
		return ":" + strconv.Itoa(n), nil
	case <-exited:
		return "", fmt.Errorf("obstest: Xvfb exited at start; see %s", filepath.Join(logs, "xvfb.log"))
	case <-ctx.Done():
		return "", fmt.Errorf("obstest: Xvfb did not start within %s; see %s", startWait, filepath.Join(logs, "xvfb.log"))
	}
}

// startProcess starts cmd in its own session with its output in logPath,
// records its pid in pidFile under o.Root and reaps it when it exits; the
// returned channel is closed then.
func (o *OBS) startProcess(cmd *exec.Cmd, pidFile, logPath string) (<-chan struct{}, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("obstest: %w", err)
	}
	defer out.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	// Its own session: a Ctrl-C in the terminal reaches the test binary, whose
	// cleanups stop OBS in order, not OBS itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("obstest: %w (%s)", err, Missing())
		}
		return nil, fmt.Errorf("obstest: starting %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	if err := os.WriteFile(filepath.Join(o.Root, pidFile), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("obstest: %w", err)
	}
	return exited, nil
}

// watchdogScript waits for the test process ($1) to end, then kills the OBS
// and the Xvfb whose pid files are in $2: the cleanups of a test binary that
// panicked or timed out never ran.
const watchdogScript = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
[ -f "$2/obs.pid" ] && kill -KILL "$(cat "$2/obs.pid")" 2>/dev/null
[ -f "$2/xvfb.pid" ] && kill -TERM "$(cat "$2/xvfb.pid")" 2>/dev/null
rm -f "$2/obs.pid" "$2/xvfb.pid"`

// watchdog starts the detached shell of watchdogScript for this OBS.
func (o *OBS) watchdog() error {
	cmd := exec.Command("sh", "-c", watchdogScript, "obstest-watchdog", strconv.Itoa(os.Getpid()), o.Root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("obstest: starting the watchdog: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it ever ends before us
	return nil
}
