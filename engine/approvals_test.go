package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

// withStore returns a registry on e's scripts folder but a store of its own:
// the same scripts started with another --data.
func (e *regEnv) withFreshStore(log *slog.Logger) *engine.Registry {
	st := openStore(e.t, filepath.Join(e.t.TempDir(), "fresh.db"))
	if log == nil {
		log = quiet
	}
	r := engine.NewRegistry(engine.RegistryConfig{Dir: e.dir, Bus: e.bus, Store: st, Loader: e.loader, Logger: log})
	e.t.Cleanup(func() { r.StopAll(context.Background()) })
	return r
}

func TestApprovalsLiveBesideTheScripts(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	e.script("handmade", "name: handmade\nv: 1\nperms: twitch.chat, obs.control")
	for _, code := range []string{"name: approved\nv: 1\nperms: store", "name: waiting\nv: 1\nperms: twitch.chat"} {
		if _, err := r.Install(ctx, []byte(code), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Approve(ctx, "approved", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, engine.ApprovalsFile)); err != nil {
		t.Fatalf("no approvals file beside the scripts: %v", err)
	}
	r.StopAll(ctx)

	t.Run("a fresh store keeps approvals and refusals", func(t *testing.T) {
		var logs lockedBuffer
		r2 := e.withFreshStore(slog.New(slog.NewTextHandler(&logs, nil)))
		if _, err := r2.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		if st := state(t, r2, "approved"); st.Status != engine.StatusRunning || !slices.Equal(st.Approved, []string{"store"}) {
			t.Errorf("approved module with a fresh store: %+v", st)
		}
		if st := state(t, r2, "waiting"); st.Status != engine.StatusAwaitingApproval || !st.NeedsApproval ||
			!slices.Equal(st.AwaitingApproval, []string{"twitch.chat"}) {
			t.Errorf("unapproved module with a fresh store: %+v", st)
		}
		if e.loader.live(t, "waiting") != nil {
			t.Fatal("an unapproved pasted module runs with a fresh store")
		}
		if st := state(t, r2, "handmade"); st.Status != engine.StatusRunning || st.NeedsApproval {
			t.Errorf("a module written by hand: %+v", st)
		}
		if !strings.Contains(logs.String(), "module awaits approval") || !strings.Contains(logs.String(), "module=waiting") {
			t.Errorf("no log line says why waiting does not run:\n%s", logs.String())
		}
		r2.StopAll(ctx)
	})

	t.Run("a changed permission list waits for approval after a restart, with a log line", func(t *testing.T) {
		e.script("approved", "name: approved\nv: 2\nperms: store, call")
		var logs lockedBuffer
		r2 := e.withFreshStore(slog.New(slog.NewTextHandler(&logs, nil)))
		if _, err := r2.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		st := state(t, r2, "approved")
		if st.Status != engine.StatusAwaitingApproval || !slices.Equal(st.AwaitingApproval, []string{"call", "store"}) ||
			!strings.Contains(st.LastError, "now asks for permissions [call store], but [store] were approved") {
			t.Errorf("changed module after a restart: %+v", st)
		}
		if !strings.Contains(logs.String(), "module awaits approval") || !strings.Contains(logs.String(), "module=approved") {
			t.Errorf("no log line for the changed module:\n%s", logs.String())
		}
		rv, err := r2.Review(ctx, "approved")
		if err != nil || !rv.NeedsApproval || !slices.Equal(rv.Approved, []string{"store"}) || rv.Source == "" {
			t.Fatalf("Review = %+v, %v", rv, err)
		}
		if _, err := r2.Approve(ctx, "approved", "not-the-hash"); !errors.Is(err, engine.ErrChanged) {
			t.Errorf("Approve with a stale hash = %v, want ErrChanged", err)
		}
		if _, err := r2.Approve(ctx, "approved", rv.Hash); err != nil {
			t.Fatal(err)
		}
		if st := state(t, r2, "approved"); st.Status != engine.StatusRunning || len(st.AwaitingApproval) != 0 {
			t.Errorf("after approving the change: %+v", st)
		}
		r2.StopAll(ctx)
	})

	t.Run("losing the approvals file alone does not run a pasted module", func(t *testing.T) {
		if err := os.Remove(filepath.Join(e.dir, engine.ApprovalsFile)); err != nil {
			t.Fatal(err)
		}
		r3 := e.registry() // the original store, which remembers what came from the panel
		if _, err := r3.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"approved", "waiting"} {
			if st := state(t, r3, name); st.Status != engine.StatusAwaitingApproval {
				t.Errorf("%s without the approvals file: %+v", name, st)
			}
		}
		if st := state(t, r3, "handmade"); st.Status != engine.StatusRunning {
			t.Errorf("handmade without the approvals file: %+v", st)
		}
		r3.StopAll(ctx)
	})

	t.Run("an unreadable approvals file runs nothing that needs approval", func(t *testing.T) {
		write(t, filepath.Join(e.dir, engine.ApprovalsFile), "{ not json")
		r4 := e.withFreshStore(nil)
		if _, err := r4.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		st := state(t, r4, "handmade")
		if st.Status != engine.StatusAwaitingApproval || !strings.Contains(st.LastError, engine.ApprovalsFile) {
			t.Errorf("with a broken approvals file: %+v", st)
		}
		r4.StopAll(ctx)
	})
}

func TestInstalledModuleStaysAwaitingApproval(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	r := e.registry()
	if _, err := r.Install(ctx, []byte("name: fresh\nv: 1\nperms: twitch.chat"), false); err != nil {
		t.Fatal(err)
	}
	// The watcher sees the new file and loads it: it must stay awaiting
	// approval with its reason (it used to flip to "disabled", message gone).
	r.FileChanged(ctx, "fresh")
	st := state(t, r, "fresh")
	if st.Status != engine.StatusAwaitingApproval || !st.Enabled || !strings.Contains(st.LastError, "review and approve") {
		t.Fatalf("after the watcher's load: %+v", st)
	}
	if err := r.Enable(ctx, "fresh"); err == nil {
		t.Fatal("Enable ran an unapproved module")
	}
	if st := state(t, r, "fresh"); st.Status != engine.StatusAwaitingApproval {
		t.Fatalf("after Enable: %+v", st)
	}
	e.script("byhand", "name: byhand\nv: 1")
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Approve(ctx, "byhand", ""); !errors.Is(err, engine.ErrNoApprovalNeeded) {
		t.Errorf("approving a module written by hand = %v, want ErrNoApprovalNeeded", err)
	}
}

// Approvals an earlier version kept only in the store move into the
// approvals file the first time the module loads, and keep working.
func TestStoreOnlyApprovalsMoveIntoTheFile(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	e.script("old", "name: old\nv: 1\nperms: store")
	if err := e.store.UpdateModuleSettings("old", func(ms *engine.ModuleSettings) {
		ms.NeedsApproval, ms.Approved, ms.ApprovedHash = true, []string{"store"}, "abc"
	}); err != nil {
		t.Fatal(err)
	}
	r := e.registry()
	if _, err := r.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	if st := state(t, r, "old"); st.Status != engine.StatusRunning || !slices.Equal(st.Approved, []string{"store"}) {
		t.Fatalf("a store-approved module after the move: %+v", st)
	}
	data, err := os.ReadFile(filepath.Join(e.dir, engine.ApprovalsFile))
	if err != nil || !strings.Contains(string(data), `"old"`) {
		t.Fatalf("approvals file = %s, %v", data, err)
	}
	if ms, _ := e.store.ModuleSettings("old"); ms.ApprovedHash != "" || !ms.NeedsApproval {
		t.Errorf("store after the move: %+v", ms)
	}
	// From now on the file decides: with a fresh store it still runs.
	r.StopAll(ctx)
	r2 := e.withFreshStore(nil)
	if _, err := r2.LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	if st := state(t, r2, "old"); st.Status != engine.StatusRunning {
		t.Fatalf("with a fresh store: %+v", st)
	}
}
