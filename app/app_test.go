package app

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

func TestNonLoopbackAddressNeedsAllowRemote(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:8888", false, true},
		{"localhost:8888", false, true},
		{"[::1]:8888", false, true},
		{"0.0.0.0:8888", false, false},
		{"192.168.1.5:8888", false, false},
		{"0.0.0.0:8888", true, true},
	} {
		if err := checkAddr(tc.addr, tc.allow, slog.New(slog.DiscardHandler)); (err == nil) != tc.ok {
			t.Errorf("checkAddr(%s, %v) = %v", tc.addr, tc.allow, err)
		}
	}
}

// countingLoader records how many modules were loaded through it.
type countingLoader struct {
	engine.Loader
	n atomic.Int32
}

func (c *countingLoader) Load(ctx context.Context, src engine.Source, host engine.Host) (engine.Instance, error) {
	c.n.Add(1)
	return c.Loader.Load(ctx, src, host)
}

// A second engine whose port is taken fails before it loads any module, and
// says which flag picks another address.
func TestTakenPortFailsBeforeAnyModuleLoads(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "hello.lua"), []byte(`module { name = "hello" }`), 0o644); err != nil {
		t.Fatal(err)
	}
	loads := &countingLoader{}
	err = Run(context.Background(), Config{
		Scripts: scripts, Data: filepath.Join(dir, "data", "ss.db"), Addr: taken.Addr().String(), OBSOff: true,
		Loader: func(l engine.Loader) engine.Loader { loads.Loader = l; return loads },
	})
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--addr 127.0.0.1:") {
		t.Fatalf("Run = %v; want a message about the taken port suggesting --addr", err)
	}
	if n := loads.n.Load(); n != 0 {
		t.Fatalf("%d modules loaded before the port was found taken", n)
	}
}
