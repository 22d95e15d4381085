package engine_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
)

func TestStagedTxSeesItsOwnWritesAndCommitsAllTogether(t *testing.T) {
	s := newStore(t)
	mustOK(t, s.Set("m", "a", json.RawMessage(`1`)))
	mustOK(t, s.Set("m", "gone", json.RawMessage(`true`)))
	tx := s.Stage("m")
	if v, err := tx.Get("a"); err != nil || string(v) != "1" {
		t.Fatalf("Get a = %s, %v", v, err)
	}
	mustOK(t, tx.Set("b", json.RawMessage(`"new"`)))
	mustOK(t, tx.Delete("gone"))
	if n, err := tx.Incr("a", 41); err != nil || n != 42 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	if v, err := tx.Get("a"); err != nil || string(v) != "42" {
		t.Fatalf("staged a = %s, %v", v, err)
	}
	if _, err := tx.Get("gone"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("staged delete still visible: %v", err)
	}
	if keys, err := tx.Keys("", 0); err != nil || !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	if keys, err := tx.Keys("", 1); err != nil || !slices.Equal(keys, []string{"a"}) {
		t.Fatalf("Keys limit 1 = %v, %v", keys, err)
	}
	// nothing is in the store before Commit
	if got := mustGet(t, s, "m", "a"); got != "1" {
		t.Fatalf("a before commit = %s", got)
	}
	if _, err := s.Get("m", "b"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("b before commit: %v", err)
	}
	mustOK(t, tx.Commit())
	if got := mustGet(t, s, "m", "a") + mustGet(t, s, "m", "b"); got != `42"new"` {
		t.Fatalf("after commit: %s", got)
	}
	if _, err := s.Get("m", "gone"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("gone after commit: %v", err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("a second Commit succeeded")
	}
	if _, err := tx.Get("a"); err == nil {
		t.Fatal("Get after Commit succeeded")
	}
}

// A key read (present or absent) or a key list made by the transaction that
// changes before Commit is a conflict, and nothing is written.
func TestStagedTxConflicts(t *testing.T) {
	cases := []struct {
		name   string
		read   func(tx *engine.StagedTx)
		change func(s *engine.Store)
	}{
		{"a value read changed", func(tx *engine.StagedTx) { tx.Get("a") }, func(s *engine.Store) { s.Set("m", "a", json.RawMessage(`2`)) }},
		{"a value read was deleted", func(tx *engine.StagedTx) { tx.Get("a") }, func(s *engine.Store) { s.Delete("m", "a") }},
		{"an absent key read appeared", func(tx *engine.StagedTx) { tx.Get("new") }, func(s *engine.Store) { s.Set("m", "new", json.RawMessage(`0`)) }},
		{"an incr's key changed", func(tx *engine.StagedTx) { tx.Incr("a", 1) }, func(s *engine.Store) { s.Incr("m", "a", 5) }},
		{"a key list gained a key", func(tx *engine.StagedTx) { tx.Keys("p:", 0) }, func(s *engine.Store) { s.Set("m", "p:2", json.RawMessage(`0`)) }},
		{"a key list lost a key", func(tx *engine.StagedTx) { tx.Keys("p:", 10) }, func(s *engine.Store) { s.Delete("m", "p:1") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			mustOK(t, s.Set("m", "a", json.RawMessage(`1`)))
			mustOK(t, s.Set("m", "p:1", json.RawMessage(`1`)))
			tx := s.Stage("m")
			tc.read(tx)
			mustOK(t, tx.Set("out", json.RawMessage(`"written"`)))
			tc.change(s)
			if err := tx.Commit(); !errors.Is(err, engine.ErrConflict) {
				t.Fatalf("Commit = %v, want ErrConflict", err)
			}
			if _, err := s.Get("m", "out"); !errors.Is(err, engine.ErrNotFound) {
				t.Fatalf("a conflicting transaction wrote: %v", err)
			}
		})
	}
	t.Run("a change elsewhere is no conflict", func(t *testing.T) {
		s := newStore(t)
		tx := s.Stage("m")
		tx.Get("a")
		mustOK(t, tx.Set("out", json.RawMessage(`1`)))
		mustOK(t, s.Set("m", "other", json.RawMessage(`1`)))
		mustOK(t, s.Set("n", "a", json.RawMessage(`1`)))
		mustOK(t, tx.Commit())
	})
}

func TestModuleQuota(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	s := openStore(t, path)
	s.SetModuleQuota(100)
	big := json.RawMessage(`"` + strings.Repeat("x", 40) + `"`) // 42 bytes
	mustOK(t, s.Set("m", "k1", big))                            // 44
	mustOK(t, s.Set("m", "k2", big))                            // 88
	err := s.Set("m", "k3", big)
	var qe *engine.QuotaError
	if !errors.As(err, &qe) || qe.Module != "m" || qe.Quota != 100 || !strings.Contains(err.Error(), "module m would hold 132 bytes, over its quota of 100 bytes") {
		t.Fatalf("over the quota: %v", err)
	}
	mustOK(t, s.Set("m", "k1", json.RawMessage(`1`))) // shrinking is fine: 3 + 44 = 47
	mustOK(t, s.Set("other", "k3", big))              // each module has its own quota
	// a staged transaction is held to the same quota, on commit and while staging
	tx := s.Stage("m")
	mustOK(t, tx.Set("k3", big))
	mustOK(t, tx.Set("k4", big))
	if err := tx.Commit(); !errors.As(err, &qe) {
		t.Fatalf("staged commit over the quota: %v", err)
	}
	if _, err := s.Get("m", "k3"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("a refused commit wrote: %v", err)
	}
	tx = s.Stage("m")
	mustOK(t, tx.Delete("k2")) // deletes apply first: moving data stays within the quota
	mustOK(t, tx.Set("k3", big))
	mustOK(t, tx.Commit())
	tx = s.Stage("m")
	mustOK(t, tx.Set("a", big))
	mustOK(t, tx.Set("b", big))
	if err := tx.Set("c", big); !errors.As(err, &qe) {
		t.Fatalf("staging past the quota: %v", err)
	}
	if n, err := s.ModuleBytes("m"); err != nil || n != 47 {
		t.Fatalf("ModuleBytes = %d, %v; want 47", n, err)
	}
	// the count survives a restart: it is taken from the file again
	s.Close()
	s = openStore(t, path)
	s.SetModuleQuota(100)
	mustOK(t, s.Set("m", "k9", big)) // 91
	if err := s.Set("m", "k8", json.RawMessage(`"`+strings.Repeat("y", 60)+`"`)); !errors.As(err, &qe) {
		t.Fatalf("after reopening, over the quota: %v", err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
