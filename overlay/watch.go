package overlay

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run watches the overlays folder until ctx ends and brings saved files into
// the open pages: a changed .css file is swapped in place (no reload, an alert
// on screen stays), any other change (index.html, .js) reloads the pages. It
// also closes the Manager on the way out.
func (m *Manager) Run(ctx context.Context) error {
	defer m.Close()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(m.cfg.Dir); err != nil {
		return err
	}
	watched := map[string]bool{}
	addDirs := func() {
		entries, _ := os.ReadDir(m.cfg.Dir)
		for _, e := range entries {
			if e.IsDir() && ValidName(e.Name()) && !watched[e.Name()] {
				if err := w.Add(filepath.Join(m.cfg.Dir, e.Name())); err == nil {
					watched[e.Name()] = true
				}
			}
		}
	}
	addDirs()
	pending := map[string]map[string]bool{} // overlay -> changed files
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			m.log.Warn("overlay folder watcher", "err", err)
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			rel, err := filepath.Rel(m.cfg.Dir, ev.Name)
			if err != nil {
				continue
			}
			parts := strings.Split(filepath.ToSlash(rel), "/")
			if len(parts) == 1 {
				if ev.Has(fsnotify.Create) {
					addDirs()
				}
				if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
					delete(watched, parts[0])
				}
				continue
			}
			if len(parts) != 2 || !ValidName(parts[0]) || strings.HasPrefix(parts[1], ".") {
				continue
			}
			if pending[parts[0]] == nil {
				pending[parts[0]] = map[string]bool{}
			}
			pending[parts[0]][parts[1]] = true
			timer.Reset(m.cfg.Debounce)
		case <-timer.C:
			for name, files := range pending {
				m.filesChanged(name, files)
			}
			pending = map[string]map[string]bool{}
		}
	}
}

// filesChanged updates an overlay's open pages after files changed on disk.
func (m *Manager) filesChanged(name string, files map[string]bool) {
	cssOnly := true
	for f := range files {
		if filepath.Ext(f) != ".css" {
			cssOnly = false
		}
	}
	var msgs [][]byte
	if cssOnly {
		fsys, done, err := m.overlayFiles(name)
		if err != nil {
			return
		}
		for f := range files {
			text, err := fsys.ReadFile(f)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				m.log.Warn("overlay file not used", "overlay", name, "file", f, "err", err)
				continue
			}
			msg, _ := json.Marshal(map[string]string{"type": "css", "file": f, "text": string(text)})
			msgs = append(msgs, msg)
		}
		done()
	} else {
		msgs = append(msgs, []byte(`{"type":"reload"}`))
	}
	m.log.Info("overlay files changed", "overlay", name, "css_only", cssOnly, "files", len(files))
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.boards[name]
	if b == nil {
		return
	}
	for _, msg := range msgs {
		b.broadcast(msg, true)
	}
}
