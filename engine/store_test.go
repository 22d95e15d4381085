package engine_test

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func openStore(t *testing.T, path string) *engine.Store {
	t.Helper()
	s, err := engine.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t *testing.T) *engine.Store {
	return openStore(t, filepath.Join(t.TempDir(), "data", "test.db"))
}

func mustGet(t *testing.T, s *engine.Store, ns, key string) string {
	t.Helper()
	v, err := s.Get(ns, key)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", ns, key, err)
	}
	return string(v)
}

func TestStoreKeyValue(t *testing.T) {
	s := newStore(t)
	if _, err := s.Get("rpg", "gold"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if err := s.Set("rpg", "gold", json.RawMessage(`{"alice":5}`)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "rpg", "gold"); got != `{"alice":5}` {
		t.Errorf("Get = %s", got)
	}
	if _, err := s.Get("chat", "gold"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("another module sees rpg's key: %v", err)
	}

	for i, want := range []int64{3, 1, 1 + math.MaxInt64 - 1} {
		n := []int64{3, -2, math.MaxInt64 - 1}[i]
		got, err := s.Incr("rpg", "count", n)
		if err != nil || got != want {
			t.Fatalf("Incr(%d) = %d, %v; want %d", n, got, err, want)
		}
	}
	if _, err := s.Incr("rpg", "count", 1); err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("Incr past MaxInt64: %v, want an overflow error", err)
	}
	if got := mustGet(t, s, "rpg", "count"); got != "9223372036854775807" {
		t.Errorf("a failed Incr changed the value to %s", got)
	}
	if _, err := s.Incr("rpg", "gold", 1); err == nil {
		t.Error("Incr of an object succeeded")
	}

	for _, k := range []string{"user:2", "user:1", "user:10", "team:1"} {
		if err := s.Set("rpg", k, json.RawMessage(`1`)); err != nil {
			t.Fatal(err)
		}
	}
	keys := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"user:", 0, []string{"user:1", "user:10", "user:2"}},
		{"user:", 2, []string{"user:1", "user:10"}},
		{"nobody", 0, []string{}},
		{"", 0, []string{"count", "gold", "team:1", "user:1", "user:10", "user:2"}},
	}
	for _, k := range keys {
		got, err := s.Keys("rpg", k.prefix, k.limit)
		if err != nil || !slices.Equal(got, k.want) {
			t.Errorf("Keys(%q, %d) = %q, %v; want %q", k.prefix, k.limit, got, err, k.want)
		}
	}
	if got, err := s.Keys("never-written", "", 0); err != nil || len(got) != 0 {
		t.Errorf("Keys of an empty module = %q, %v", got, err)
	}

	if err := s.Delete("rpg", "gold"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("rpg", "gold"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if _, err := s.Get("rpg", "gold"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("deleted key still there: %v", err)
	}
}

func TestStoreRefusesBadWrites(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name  string
		key   string
		value string
	}{
		{"empty key", "", `1`},
		{"key too long", strings.Repeat("k", engine.MaxKeyLen+1), `1`},
		{"value too long", "k", `"` + strings.Repeat("v", engine.MaxValueLen) + `"`},
		{"invalid JSON", "k", `{"a":`},
		{"bare word", "k", `hello`},
		{"empty value", "k", ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Set("m", c.key, json.RawMessage(c.value)); err == nil {
				t.Fatal("Set succeeded; want an error")
			}
			if keys, _ := s.Keys("m", "", 0); len(keys) != 0 {
				t.Errorf("a refused Set left keys %q", keys)
			}
		})
	}
	if err := s.Set("m", strings.Repeat("k", engine.MaxKeyLen), json.RawMessage(`1`)); err != nil {
		t.Errorf("a key of exactly MaxKeyLen was refused: %v", err)
	}
	if err := s.Set("", "k", json.RawMessage(`1`)); err == nil {
		t.Error("Set with an empty module namespace succeeded")
	}
}

func TestStoreUpdateIsAllOrNothing(t *testing.T) {
	s := newStore(t)
	if err := s.Set("bank", "alice", json.RawMessage(`100`)); err != nil {
		t.Fatal(err)
	}
	transfer := func(tx *engine.Tx) error {
		if _, err := tx.Incr("alice", -30); err != nil {
			return err
		}
		if _, err := tx.Incr("bob", 30); err != nil {
			return err
		}
		return tx.Set("log", json.RawMessage(`"moved 30"`))
	}
	cases := []struct {
		name string
		fn   func(tx *engine.Tx) error
	}{
		{"error after writes", func(tx *engine.Tx) error {
			if err := transfer(tx); err != nil {
				return err
			}
			return errors.New("changed my mind")
		}},
		{"panic after writes", func(tx *engine.Tx) error {
			if err := transfer(tx); err != nil {
				return err
			}
			panic("script blew up")
		}},
		{"refused write after writes", func(tx *engine.Tx) error {
			if err := transfer(tx); err != nil {
				return err
			}
			return tx.Set("bad", json.RawMessage(`{`))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = errors.New("panicked")
					}
				}()
				return s.Update("bank", c.fn)
			}()
			if err == nil {
				t.Fatal("Update succeeded")
			}
			if got := mustGet(t, s, "bank", "alice"); got != "100" {
				t.Errorf("alice = %s after a rolled-back transfer, want 100", got)
			}
			if keys, _ := s.Keys("bank", "", 0); !slices.Equal(keys, []string{"alice"}) {
				t.Errorf("keys after a rolled-back transfer = %q, want only alice", keys)
			}
		})
	}
	// the store is still usable (the panic released the write lock) and commits
	if err := s.Update("bank", transfer); err != nil {
		t.Fatal(err)
	}
	if a, b := mustGet(t, s, "bank", "alice"), mustGet(t, s, "bank", "bob"); a != "70" || b != "30" {
		t.Errorf("after a committed transfer alice=%s bob=%s, want 70 and 30", a, b)
	}
	err := s.View("bank", func(tx *engine.Tx) error {
		v, err := tx.Get("bob")
		if err != nil || string(v) != "30" {
			t.Errorf("View Get(bob) = %s, %v", v, err)
		}
		if _, err := tx.Get("carol"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("View Get(carol) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View("empty", func(tx *engine.Tx) error {
		if _, err := tx.Get("x"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Get in a module that never wrote: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStoreModuleSettingsCooldownsAndSettings(t *testing.T) {
	s := newStore(t)
	ms, err := s.ModuleSettings("rpg")
	if err != nil || ms.Enabled != nil || ms.NeedsApproval || ms.Config != nil {
		t.Fatalf("settings of an unknown module = %+v, %v; want the zero value", ms, err)
	}
	off := false
	err = s.UpdateModuleSettings("rpg", func(ms *engine.ModuleSettings) {
		ms.Enabled = &off
		ms.Config = map[string]any{"work_cooldown": 60.0}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.UpdateModuleSettings("rpg", func(ms *engine.ModuleSettings) { ms.Approved = []string{"store"} })
	if err != nil {
		t.Fatal(err)
	}
	ms, _ = s.ModuleSettings("rpg")
	if ms.Enabled == nil || *ms.Enabled || ms.Config["work_cooldown"] != 60.0 || !slices.Equal(ms.Approved, []string{"store"}) {
		t.Errorf("settings = %+v; an update must keep the fields it did not touch", ms)
	}

	if until, err := s.CooldownUntil("rpg", "!work", "u1"); err != nil || !until.IsZero() {
		t.Errorf("cooldown never set = %v, %v; want the zero time", until, err)
	}
	t1 := time.Unix(1700000000, 123456789)
	t2 := t1.Add(time.Hour)
	if err := s.SetCooldowns("rpg", "!work", map[string]time.Time{"u1": t1, "": t2}); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]time.Time{"u1": t1, "": t2} {
		if got, err := s.CooldownUntil("rpg", "!work", user); err != nil || !got.Equal(want) {
			t.Errorf("cooldown of %q = %v, %v; want %v", user, got, err, want)
		}
	}
	if got, _ := s.CooldownUntil("rpg", "!job", "u1"); !got.IsZero() {
		t.Errorf("cooldowns leak across commands: %v", got)
	}

	type token struct {
		Access string `json:"access"`
		Expiry int64  `json:"expiry"`
	}
	var tok token
	if err := s.Setting("twitch.token", &tok); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("missing setting: %v, want ErrNotFound", err)
	}
	if err := s.SetSetting("twitch.token", token{"abc", 42}); err != nil {
		t.Fatal(err)
	}
	if err := s.Setting("twitch.token", &tok); err != nil || tok != (token{"abc", 42}) {
		t.Errorf("setting = %+v, %v", tok, err)
	}
	if err := s.SetSetting("bad", func() {}); err == nil {
		t.Error("SetSetting of a func succeeded")
	}
}

func TestStoreReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dirs", "s.db")
	s, err := engine.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("Path = %s, want %s", s.Path(), path)
	}
	on := true
	if err := s.Set("rpg", "k", json.RawMessage(`[1,2]`)); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateModuleSettings("rpg", func(ms *engine.ModuleSettings) { ms.Enabled = &on }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCooldowns("rpg", "!c", map[string]time.Time{"u": time.Unix(5, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("panel", "x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	if got := mustGet(t, s, "rpg", "k"); got != `[1,2]` {
		t.Errorf("value after reopen = %s", got)
	}
	if ms, _ := s.ModuleSettings("rpg"); ms.Enabled == nil || !*ms.Enabled {
		t.Errorf("module settings after reopen = %+v", ms)
	}
	if got, _ := s.CooldownUntil("rpg", "!c", "u"); !got.Equal(time.Unix(5, 0)) {
		t.Errorf("cooldown after reopen = %v", got)
	}
	var panel string
	if err := s.Setting("panel", &panel); err != nil || panel != "x" {
		t.Errorf("setting after reopen = %q, %v", panel, err)
	}
}

// TestStoreIsLockedWhileOpen waits out the 2 s lock timeout once.
func TestStoreIsLockedWhileOpen(t *testing.T) {
	t.Parallel() // the 2 s wait overlaps the other tests
	path := filepath.Join(t.TempDir(), "s.db")
	openStore(t, path)
	s2, err := engine.OpenStore(path)
	if err == nil {
		s2.Close()
		t.Fatal("a second OpenStore on an open file succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "in use by another process") || !strings.Contains(msg, path) || !strings.Contains(msg, "--data") {
		t.Errorf("error %q should say the file %s is in use and how to run beside it", msg, path)
	}
	if strings.HasSuffix(msg, "timeout") || !errors.Is(err, engine.ErrLocked) {
		t.Errorf("error %q ends with bbolt's bare timeout, or is not ErrLocked", msg)
	}
}
