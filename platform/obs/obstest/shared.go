package obstest

import (
	"os"
	"sync"
	"testing"
)

// Shared is one OBS for all the tests of a package, started by the first
// test that asks for it. Declare it at package level and close it in TestMain:
//
//	var shared obstest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		shared.Close()
//		os.Exit(code)
//	}
//
// Tests that share it run one after another (no t.Parallel) and must not
// rely on state another test left behind: set the scene you need first.
type Shared struct {
	once sync.Once
	obs  *OBS
	err  error
	root string
}

// Get returns the running shared OBS, starting it on first use. It calls
// Require, so it skips (or fails in CI) when OBS is not installed.
func (s *Shared) Get(t testing.TB) *OBS {
	t.Helper()
	Require(t)
	s.once.Do(func() {
		s.root, s.err = os.MkdirTemp("", "starstreamer-obs-")
		if s.err != nil {
			return
		}
		var o *OBS
		if o, s.err = NewAt(s.root); s.err != nil {
			return
		}
		if s.err = o.Start(); s.err != nil {
			return
		}
		s.obs = o
	})
	if s.err != nil {
		t.Fatalf("starting the shared OBS: %v", s.err)
	}
	return s.obs
}

// Close stops the shared OBS, if it was started, and removes its files.
func (s *Shared) Close() error {
	var err error
	if s.obs != nil {
		err = s.obs.Stop()
	}
	if s.root != "" {
		if rerr := os.RemoveAll(s.root); err == nil {
			err = rerr
		}
	}
	return err
}
