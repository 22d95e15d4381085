package obstest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Password is the obs-websocket password start-obs.sh configures.
const Password = "starstreamer-test"

// Scenes and sources of the scene collection start-obs.sh writes.
const (
	SceneA = "Scene A" // holds source Red
	SceneB = "Scene B" // holds source Blue
	Red    = "Red"
	Blue   = "Blue"
)

// ScriptEnv names the environment variable that overrides the location of
// start-obs.sh.
const ScriptEnv = "STARSTREAMER_OBS_SCRIPT"

// OBS is one private OBS Studio under its own Xvfb display, with its own
// websocket port and its own OBS_ROOT directory.
type OBS struct {
	Addr     string // 127.0.0.1:port of obs-websocket
	Password string
	Root     string // OBS_ROOT: config, logs, pid files, recordings
	Display  string // X display, e.g. ":1234"
	Port     int

	script string
	mu     sync.Mutex
}

// Missing says why OBS cannot run on this machine ("" when it can): the obs
// or Xvfb binary is not installed.
func Missing() string {
	var missing []string
	for _, bin := range []string{"obs", "Xvfb"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, " and ") + " not installed (apt-get install --no-install-recommends obs-studio obs-plugins xvfb libgl1-mesa-dri)"
}

// Require skips t when obs or Xvfb is not installed, except in CI (env CI is
// "true"), where a missing OBS fails the test: CI installs it.
func Require(t testing.TB) {
	t.Helper()
	why := Missing()
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("OBS test needs a real OBS, but %s", why)
	}
	t.Skipf("skipping OBS test: %s", why)
}

// Script finds start-obs.sh: $STARSTREAMER_OBS_SCRIPT if set, else
// ../shared/obs/start-obs.sh from the repository root (the directory holding
// go.mod, searched upwards from the working directory).
func Script() (string, error) {
	if p := os.Getenv(ScriptEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("obstest: %s: %w", ScriptEnv, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("obstest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "obs", "start-obs.sh")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("obstest: start-obs.sh not found next to the repository (set %s): %w", ScriptEnv, err)
			}
			return filepath.Clean(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("obstest: no go.mod above the working directory; set %s", ScriptEnv)
		}
		dir = parent
	}
}

// NewAt prepares (does not start) an OBS whose files live under root, with a
// free loopback port and a free X display.
func NewAt(root string) (*OBS, error) {
	script, err := Script()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &OBS{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Password: Password,
		Root:     root,
		Display:  freeDisplay(),
		Port:     port,
		script:   script,
	}, nil
}

// New prepares an OBS under t.TempDir() without starting it; it is stopped
// when the test ends. It calls Require first.
func New(t testing.TB) *OBS {
	t.Helper()
	Require(t)
	o, err := NewAt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Stop(); err != nil {
			t.Errorf("stopping OBS: %v", err)
		}
	})
	return o
}

// Start is New followed by Start: a running OBS for t.
func Start(t testing.TB) *OBS {
	t.Helper()
	o := New(t)
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	return o
}

// Start starts OBS (again) and returns once its websocket port answers. The
// configuration is written afresh, so a restarted OBS has its initial scenes.
// If the X display turned out to be taken, it retries on another one.
func (o *OBS) Start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		// Clean up whatever a kill left behind (Xvfb keeps running).
		if _, serr := o.run("stop"); serr != nil {
			return serr
		}
		var out string
		out, err = o.run()
		if err == nil {
			return nil
		}
		if !strings.Contains(out, "display") {
			return err
		}
		o.Display = freeDisplay()
	}
	return err
}

// Stop stops OBS and its Xvfb. Stopping a stopped OBS does nothing.
// OBS 29 has no graceful quit (SIGTERM takes seconds and saves nothing
// useful here), so OBS is killed first; the script then stops Xvfb.
func (o *OBS) Stop() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.pid(); err == nil {
		if err := o.killLocked(); err != nil {
			return err
		}
	}
	_, err := o.run("stop")
	return err
}

// Kill kills OBS at once with SIGKILL, as a crash would, leaving Xvfb up.
func (o *OBS) Kill() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.killLocked()
}

func (o *OBS) killLocked() error {
	pid, err := o.pid()
	if err != nil {
		return err
	}
	if syscall.Kill(pid, 0) != nil {
		return nil // already gone
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("obstest: killing OBS (pid %d): %w", pid, err)
	}
	for range 100 { // wait until the process is gone (it is reaped by init)
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("obstest: OBS (pid %d) survived SIGKILL", pid)
}

// RecordingsDir is where OBS writes recordings.
func (o *OBS) RecordingsDir() string { return filepath.Join(o.Root, "recordings") }

func (o *OBS) pid() (int, error) {
	b, err := os.ReadFile(filepath.Join(o.Root, "obs.pid"))
	if err != nil {
		return 0, fmt.Errorf("obstest: OBS is not running: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("obstest: bad obs.pid: %w", err)
	}
	return pid, nil
}

// run runs start-obs.sh with args and o's environment.
func (o *OBS) run(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{o.script}, args...)...)
	cmd.Env = append(os.Environ(),
		"OBS_ROOT="+o.Root,
		"OBS_DISPLAY="+o.Display,
		"OBS_WS_PORT="+strconv.Itoa(o.Port),
		"OBS_WS_PASSWORD="+o.Password,
		"OBS_WAIT_S=60",
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("obstest: start-obs.sh %s (root %s, display %s, port %d): %w: %s",
			strings.Join(args, " "), o.Root, o.Display, o.Port, err, strings.TrimSpace(out.String())+o.logTail())
	}
	return out.String(), nil
}

// logTail returns the end of OBS' stdout log, to explain a failed start.
func (o *OBS) logTail() string {
	b, err := os.ReadFile(filepath.Join(o.Root, "logs", "obs.stdout"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\n--- obs.stdout (tail) ---\n" + string(b)
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("obstest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeDisplay picks an X display number with no lock file and no socket,
// starting at a random point so that parallel test binaries rarely meet.
func freeDisplay() string {
	n := 100 + rand.IntN(20000)
	for ; ; n++ {
		if exists(fmt.Sprintf("/tmp/.X%d-lock", n)) || exists(fmt.Sprintf("/tmp/.X11-unix/X%d", n)) {
			continue
		}
		return ":" + strconv.Itoa(n)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, os.ErrNotExist)
}
