package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// Files a user can place in scripts/ are read without blocking and with their
// size checked first: a named pipe, a folder in place of a file, or an
// oversized file is a clear error for that module, never a hang.
func TestReadSourceRefusesWhatIsNotAScript(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.lua"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "folder", "init.lua"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "piped"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("piped/init.lua", []byte(`module { name = "piped" }`))
	if err := syscall.Mkfifo(filepath.Join(dir, "piped", "helper.lua"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("big.lua", []byte(strings.Repeat("-", engine.MaxModuleBytes+1)))
	write("parts/init.lua", []byte(`module { name = "parts" }`))
	write("parts/a.lua", []byte(strings.Repeat("-", engine.MaxModuleBytes/2)))
	write("parts/b.lua", []byte(strings.Repeat("-", engine.MaxModuleBytes/2)))
	write("fine.lua", []byte(`module { name = "fine" }`))
	reg := engine.NewRegistry(engine.RegistryConfig{Dir: dir, Bus: engine.NewBus(engine.BusOptions{Logger: quiet}), Logger: quiet})

	cases := []struct{ name, wantErr string }{
		{"pipe", "pipe.lua is not a regular file (a named pipe)"},
		{"piped", "piped/helper.lua"},
		{"folder", "folder/init.lua"},
		{"big", "big.lua is 1048577 bytes, at most 1048576 allowed"},
		{"parts", "files add up to more than 1048576 bytes"},
		{"fine", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := reg.ReadSource(tc.name); done <- err }()
			select {
			case err := <-done:
				if tc.wantErr == "" {
					if err != nil {
						t.Fatalf("ReadSource: %v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ReadSource blocked")
			}
		})
	}
}

func TestReadScriptFileStopsAtTheLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.lua"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if b, err := engine.ReadScriptFile(root, "x.lua", 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("at the limit: %q %v", b, err)
	}
	if _, err := engine.ReadScriptFile(root, "x.lua", 9); err == nil || !strings.Contains(err.Error(), "x.lua is 10 bytes, at most 9 allowed") {
		t.Fatalf("over the limit: %v", err)
	}
}
