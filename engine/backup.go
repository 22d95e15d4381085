package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultBackupKeep is how many backups Backups keeps when told 0.
const DefaultBackupKeep = 7

// backupPrefix and backupSuffix frame a backup's file name; the part between
// is the UTC time it was taken, so names sort by age.
const (
	backupPrefix = "starstreamer-"
	backupSuffix = ".db"
	backupTime   = "20060102-150405"
)

// BackupsDir is the folder of the rotating backups of the store at path:
// "backups" beside it.
func BackupsDir(path string) string { return filepath.Join(filepath.Dir(path), "backups") }

// WriteTo writes a consistent copy of the whole store to w: one bbolt read
// transaction, so writers go on meanwhile and the copy is the state at one
// instant (a half-done transfer is never in it). The copy is a bbolt file.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// Backup writes a backup of the store into dir (created if missing) as
// starstreamer-YYYYMMDD-HHMMSS.db (UTC), then removes the oldest backups of
// that form beyond keep (DefaultBackupKeep when keep <= 0). The file
// appears complete or not at all: it is written under a temporary name,
// synced and renamed. It returns the new file's path.
func (s *Store) Backup(dir string, now time.Time, keep int) (string, error) {
	if keep <= 0 {
		keep = DefaultBackupKeep
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: backup folder: %w", err)
	}
	name := backupPrefix + now.UTC().Format(backupTime)
	path := filepath.Join(dir, name+backupSuffix)
	for i := 2; exists(path); i++ { // two in one second
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", name, i, backupSuffix))
	}
	tmp, err := os.CreateTemp(dir, ".backup-*.tmp")
	if err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if _, err := s.WriteTo(tmp); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if err := pruneBackups(dir, keep); err != nil {
		return path, err
	}
	return path, nil
}

// Backups lists the backups in dir, oldest first.
func Backups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	// the names hold the time (a second one in the same second ends in -2)
	slices.SortFunc(out, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, backupSuffix), strings.TrimSuffix(b, backupSuffix))
	})
	return out, nil
}

// pruneBackups removes the oldest backups in dir beyond keep; files that do
// not have a backup's name are left alone.
func pruneBackups(dir string, keep int) error {
	all, err := Backups(dir)
	if err != nil {
		return err
	}
	for len(all) > keep {
		if err := os.Remove(all[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: removing an old backup: %w", err)
		}
		all = all[1:]
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
