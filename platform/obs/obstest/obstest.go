package obstest

import (
	"bytes"
	"errors"
	"fmt"
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

// Password is the obs-websocket password every test OBS requires.
const Password = "starstreamer-test"

// Scenes and sources of the scene collection every test OBS starts with.
const (
	SceneA = "Scene A" // holds source Red
	SceneB = "Scene B" // holds source Blue
	Red    = "Red"
	Blue   = "Blue"
)

// OBS is one private OBS Studio under its own Xvfb display, with its own
// websocket port and its own OBS_ROOT directory.
type OBS struct {
	Addr     string // 127.0.0.1:port of obs-websocket
	Password string
	Root     string // OBS_ROOT: config, logs, pid files, recordings
	Display  string // X display, e.g. ":3", known once started
	Port     int

	mu      sync.Mutex
	watched bool // the watchdog runs
}

// install is the Debian/Ubuntu command that installs what the tests need.
const install = "apt-get install --no-install-recommends obs-studio obs-plugins xvfb libgl1-mesa-dri"

// Missing says why OBS cannot run on this machine ("" when it can): the obs
// or Xvfb binary is not installed, or OBS has no obs-websocket plugin.
func Missing() string {
	var missing []string
	for _, bin := range []string{"obs", "Xvfb"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return strings.Join(missing, " and ") + " not installed (" + install + ")"
	}
	if websocketPlugin() == "" {
		return "OBS has no obs-websocket plugin (obs-websocket.so in none of " + strings.Join(pluginDirs, ", ") + "; " + install + ")"
	}
	return ""
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

// NewAt prepares (does not start) an OBS whose files live under root, with a
// free loopback port.
func NewAt(root string) (*OBS, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &OBS{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Password: Password,
		Root:     root,
		Port:     port,
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
// The first Start also leaves a watchdog that stops this OBS when the test
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
	if err := o.launch(); err != nil {
		_ = o.stopLocked()
		return fmt.Errorf("%w (root %s, display %s, port %d)", err, o.Root, o.Display, o.Port)
	}
	return nil
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

// stopLocked stops OBS, then its Xvfb. OBS 29 has no
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
