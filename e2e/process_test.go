package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/app"
)

// binary is the starstreamer command built by TestMain.
var binary string

// TestMain builds the command once, runs the tests and stops the OBS they share.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "starstreamer-e2e-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary, err = buildBinary(dir)
	code := 2
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the starstreamer command:", err)
	} else {
		code = m.Run()
	}
	if err := obsShared.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the shared OBS:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds the repository's command into dir, with the race
// detector when this test binary has it.
func buildBinary(dir string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "starstreamer")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(gobin, append(args, "github.com/starstreamer/starstreamer")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return out, nil
}

// engineProcess is one running `starstreamer run`.
type engineProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set when done is closed
}

// startProcess runs `starstreamer run args...`; its stderr (the log) goes to
// logs. stopProcess ends it.
func startProcess(tb testing.TB, logs io.Writer, args ...string) *engineProcess {
	tb.Helper()
	cmd := exec.Command(binary, append([]string{"run"}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &engineProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// stop sends SIGTERM and waits up to wait for a clean exit (status 0); it
// kills the process and fails the test otherwise.
func (p *engineProcess) stop(tb testing.TB, wait time.Duration) {
	tb.Helper()
	select {
	case <-p.done:
		tb.Errorf("the engine exited before it was stopped: %v", p.err)
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			tb.Errorf("engine stopped with %v", p.err)
		}
	case <-time.After(wait):
		tb.Errorf("engine did not stop within %v of SIGTERM", wait)
		p.kill()
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *engineProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// lockedLog collects an engine's log; it is written by the process' stderr copier.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr is a loopback address with a port nobody listens on right now.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeScripts creates a scripts folder under dir holding the given files.
func writeScripts(tb testing.TB, dir string, scripts map[string]string) string {
	tb.Helper()
	sdir := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, code := range scripts {
		p := filepath.Join(sdir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return sdir
}

// readToken waits for the API token a running engine leaves next to its
// store, for up to wait.
func readToken(tb testing.TB, data string, wait time.Duration) string {
	tb.Helper()
	for start := time.Now(); time.Since(start) < wait; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(app.TokenFile(data)); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
	}
	tb.Fatalf("no API token next to %s within %v", data, wait)
	return ""
}
