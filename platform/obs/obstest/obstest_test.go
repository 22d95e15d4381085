package obstest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	tests := []struct {
		name               string
		path, ci           string
		wantSkip, wantFail bool
	}{
		{name: "missing OBS outside CI skips", path: t.TempDir(), ci: "", wantSkip: true},
		{name: "missing OBS with CI=false skips", path: t.TempDir(), ci: "false", wantSkip: true},
		{name: "missing OBS in CI fails", path: t.TempDir(), ci: "true", wantFail: true},
		{name: "installed OBS runs outside CI", path: withBins, ci: ""},
		{name: "installed OBS runs in CI", path: withBins, ci: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			Require(f)
			if (f.skipped != "") != tt.wantSkip || (f.failed != "") != tt.wantFail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", f.skipped, f.failed, tt.wantSkip, tt.wantFail)
			}
			if msg := f.skipped + f.failed; msg != "" && !strings.Contains(msg, "obs and Xvfb not installed") {
				t.Errorf("message %q does not say what is missing", msg)
			}
		})
	}
}

func TestScriptLocation(t *testing.T) {
	t.Run("the environment variable wins", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "start.sh")
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv(ScriptEnv, p)
		if got, err := Script(); err != nil || got != p {
			t.Fatalf("Script() = %q, %v; want %q", got, err, p)
		}
	})
	t.Run("a missing file named by the environment variable is an error", func(t *testing.T) {
		t.Setenv(ScriptEnv, filepath.Join(t.TempDir(), "nope.sh"))
		if _, err := Script(); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("otherwise it is next to the repository root", func(t *testing.T) {
		t.Setenv(ScriptEnv, "")
		got, err := Script()
		if err != nil {
			t.Skipf("no ../shared next to this checkout: %v", err)
		}
		wd, _ := os.Getwd()
		root := filepath.Clean(filepath.Join(wd, "..", "..", ".."))
		if want := filepath.Join(filepath.Dir(root), "shared", "obs", "start-obs.sh"); got != want {
			t.Fatalf("Script() = %q, want %q", got, want)
		}
	})
}

func TestStartAndStop(t *testing.T) {
	o := Start(t)
	if o.Port == 0 || !strings.HasPrefix(o.Addr, "127.0.0.1:") || !strings.HasPrefix(o.Display, ":") {
		t.Fatalf("bad OBS %+v", o)
	}
	if _, err := o.pid(); err != nil {
		t.Fatal(err)
	}
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.pid(); err == nil {
		t.Fatal("obs.pid still there after Stop")
	}
	if err := o.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
