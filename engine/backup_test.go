package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

func TestBackupsRotateKeepingTheNewest(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "ss.db"))
	backups := engine.BackupsDir(s.Path())
	if err := os.MkdirAll(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	// a file the streamer put there is not a backup and is never removed
	mine := filepath.Join(backups, "my-copy.db")
	if err := os.WriteFile(mine, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)
	var made []string
	for i := range 10 {
		p, err := s.Backup(backups, day.Add(time.Duration(i)*24*time.Hour), 3)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, p)
	}
	// two in the same second get distinct names
	same, err := s.Backup(backups, day.Add(9*24*time.Hour), 3)
	if err != nil || same == made[9] {
		t.Fatalf("second backup in one second: %q, %v", same, err)
	}
	got, err := engine.Backups(backups)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{made[8], made[9], same}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	if filepath.Base(made[9]) != "starstreamer-20261110-040000.db" {
		t.Errorf("name %s", filepath.Base(made[9]))
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file that is not a backup was touched: %v", err)
	}
	if fi, err := os.Stat(made[9]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v, %v", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(backups, ".backup-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A backup taken while writers move coins between two accounts in one
// transaction each always holds a total from one instant: never half a
// transfer.
func TestBackupIsAConsistentSnapshotUnderWrites(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "ss.db"))
	const total = 1000
	if err := s.Update("rpg", func(tx *engine.Tx) error {
		if err := tx.Set("a", json.RawMessage(strconv.Itoa(total))); err != nil {
			return err
		}
		return tx.Set("b", json.RawMessage("0"))
	}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				from, to := "a", "b"
				if (i+w)%2 == 1 {
					from, to = to, from
				}
				err := s.Update("rpg", func(tx *engine.Tx) error {
					f, _ := tx.Get(from)
					n, _ := strconv.Atoi(string(f))
					if n == 0 {
						return nil
					}
					g, _ := tx.Get(to)
					m, _ := strconv.Atoi(string(g))
					if err := tx.Set(from, json.RawMessage(strconv.Itoa(n-1))); err != nil {
						return err
					}
					return tx.Set(to, json.RawMessage(strconv.Itoa(m+1)))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	backups := engine.BackupsDir(s.Path())
	var paths []string
	for i := range 5 {
		p, err := s.Backup(backups, time.Now().Add(time.Duration(i)*time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	for _, p := range paths {
		b := openStore(t, p)
		var sum int
		for _, k := range []string{"a", "b"} {
			v, err := b.Get("rpg", k)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := strconv.Atoi(string(v))
			sum += n
		}
		if sum != total {
			t.Errorf("%s holds %d coins, want %d", filepath.Base(p), sum, total)
		}
	}
}

// The documented restore: stop the engine, copy a backup over the store.
func TestRestoringABackupBringsBackItsState(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data", "starstreamer.db")
	s, err := engine.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("rpg", "bal:alice", json.RawMessage("42")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("panel", "x"); err != nil {
		t.Fatal(err)
	}
	backup, err := s.Backup(engine.BackupsDir(data), time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(backup) != filepath.Join(dir, "data", "backups") {
		t.Errorf("backup in %s, want data/backups beside the store", filepath.Dir(backup))
	}
	if err := s.Set("rpg", "bal:alice", json.RawMessage("0")); err != nil { // the loss to undo
		t.Fatal(err)
	}
	s.Close()

	in, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(data, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	in.Close()
	out.Close()

	r := openStore(t, data)
	if v, err := r.Get("rpg", "bal:alice"); err != nil || string(v) != "42" {
		t.Errorf("restored balance %s, %v; want 42", v, err)
	}
	var panel string
	if err := r.Setting("panel", &panel); err != nil || panel != "x" {
		t.Errorf("restored setting %q, %v", panel, err)
	}
	if err := r.Set("rpg", "after", json.RawMessage("1")); err != nil {
		t.Errorf("the restored store does not take writes: %v", err)
	}
}
