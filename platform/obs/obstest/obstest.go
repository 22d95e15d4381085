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

	script  string
	mu      sync.Mutex
	watched bool // the watchdog runs
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
		return
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
// If the X display turned out to be taken, it retries on another one. The
// first Start also leaves a watchdog that stops this OBS when the test
// process dies without its cleanups (a crash, a test timeout).
func (o *OBS) Start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Clean up whatever a kill left behind (Xvfb keeps running).
	if err := o.stopLocked(); err != nil {
		return err
	}
	if !o.watched {
		if err := o.watchdog(); err != nil {
			return err
		}
		o.watched = true
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var out string
		out, err = o.run()
		if err == nil {
			return nil
		}
		_ = o.stopLocked()
		if !strings.Contains(out, "display") {
			return err
		}
		o.Display = freeDisplay()
	}
	return err
}

// Stop stops OBS and its Xvfb. Stopping a stopped OBS does nothing.
func (o *OBS) Stop() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stopLocked()
}

// Kill kills OBS at once with SIGKILL, as a crash would, leaving Xvfb up.
func (o *OBS) Kill() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.end("obs.pid", syscall.SIGKILL)
}

// stopLocked does what "start-obs.sh stop" does, faster: OBS 29 has no
// graceful quit (SIGTERM takes seconds), so it is killed; Xvfb gets SIGTERM
// so that it removes its lock file. A process that is gone but not yet
// reaped (a zombie: PID 1 of some containers reaps late) counts as gone.
func (o *OBS) stopLocked() error {
	if err := o.end("obs.pid", syscall.SIGKILL); err != nil {
		return err
	}
	return o.end("xvfb.pid", syscall.SIGTERM)
}

// end sends sig to the process recorded in pidFile, waits until it is gone
// (SIGKILL after 5s) and removes the file. No file: nothing to do.
func (o *OBS) end(pidFile string, sig syscall.Signal) error {
	path := filepath.Join(o.Root, pidFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("obstest: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("obstest: bad pid in %s: %q", path, b)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, sig)
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) {
			if time.Now().After(deadline) {
				if sig == syscall.SIGKILL {
					return fmt.Errorf("obstest: pid %d (%s) survived SIGKILL", pid, pidFile)
				}
				sig = syscall.SIGKILL
				_ = syscall.Kill(pid, sig)
				deadline = time.Now().Add(5 * time.Second)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("obstest: %w", err)
	}
	return nil
}

// alive reports whether pid runs (and is not a zombie).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill -0
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return true
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}

// watchdog starts a detached shell that runs "start-obs.sh stop" for this
// OBS once the test process has exited.
func (o *OBS) watchdog() error {
	cmd := exec.Command("bash", "-c",
		`while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" stop`,
		"obstest-watchdog", strconv.Itoa(os.Getpid()), o.script)
	cmd.Env = o.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("obstest: starting the watchdog: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it ever ends before us
	return nil
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
	cmd.Env = o.env()
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

func (o *OBS) env() []string {
	return append(os.Environ(),
		"OBS_ROOT="+o.Root,
		"OBS_DISPLAY="+o.Display,
		"OBS_WS_PORT="+strconv.Itoa(o.Port),
		"OBS_WS_PASSWORD="+o.Password,
		"OBS_WAIT_S=60",
	)
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
