package engine

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher turns file-system events under the scripts folder into one debounced
// call per module: "rpg" when scripts/rpg.lua or anything under scripts/rpg/
// changed. It watches the folder, not the files, so editors that save by writing
// a temporary file and renaming it over the original (vim, VS Code, JetBrains) are
// seen like a write in place. New sub-folders are watched as they appear.
type Watcher struct {
	dir      string
	debounce time.Duration
	onChange func(module string)
	log      *slog.Logger

	fsw    *fsnotify.Watcher
	mu     sync.Mutex
	timers map[string]*time.Timer
	warned map[string]bool // ignored .lua files already logged (Run's goroutine only)
}

// NewWatcher watches dir (and its sub-folders) and calls onChange(module) once a
// module's files have been quiet for debounce. onChange runs on its own goroutine
// per call; calls for one module never overlap.
func NewWatcher(dir string, debounce time.Duration, log *slog.Logger, onChange func(module string)) (*Watcher, error) {
	if log == nil {
		log = slog.Default()
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &Watcher{dir: dir, debounce: debounce, onChange: onChange, log: log, fsw: fsw, timers: map[string]*time.Timer{}, warned: map[string]bool{}}
	if err := w.addTree(dir); err != nil {
		fsw.Close()
		return nil, err
	}
	return w, nil
}

func (w *Watcher) addTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("watch %s: %w", p, err)
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.fsw.Add(p); err != nil {
			return fmt.Errorf("watch %s: %w", p, err)
		}
		return nil
	})
}

// Run delivers changes until ctx is done, then closes the watcher.
func (w *Watcher) Run(ctx context.Context) {
	defer w.fsw.Close()
	var running sync.Map // module -> *sync.Mutex, so calls for one module never overlap
	fire := func(module string) {
		m, _ := running.LoadOrStore(module, &sync.Mutex{})
		mu := m.(*sync.Mutex)
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() == nil {
			w.onChange(module)
		}
	}
	for {
		select {
		case <-ctx.Done():
			w.mu.Lock()
			for _, t := range w.timers {
				t.Stop()
			}
			w.mu.Unlock()
			return
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.log.Warn("file watcher error", "dir", w.dir, "err", err)
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() && !strings.HasPrefix(fi.Name(), ".") {
					if err := w.addTree(ev.Name); err != nil {
						w.log.Warn("cannot watch new folder", "err", err)
					}
				}
			}
			module, ok := ModuleForPath(w.dir, ev.Name)
			if !ok {
				w.noteIgnored(ev)
				continue
			}
			w.mu.Lock()
			if t, ok := w.timers[module]; ok {
				t.Reset(w.debounce)
			} else {
				w.timers[module] = time.AfterFunc(w.debounce, func() {
					w.mu.Lock()
					delete(w.timers, module)
					w.mu.Unlock()
					fire(module)
				})
			}
			w.mu.Unlock()
		}
	}
}

// noteIgnored logs, once per file, a .lua file saved in the scripts folder
// that cannot be a module because of its name ("my script.lua"): without a
// word it would simply never load.
func (w *Watcher) noteIgnored(ev fsnotify.Event) {
	base := filepath.Base(ev.Name)
	name, isLua := strings.CutSuffix(base, ".lua")
	if !isLua || filepath.Dir(ev.Name) != filepath.Clean(w.dir) || strings.HasPrefix(base, ".") ||
		strings.HasSuffix(name, "_test") || ValidModuleName(name) || w.warned[ev.Name] ||
		!ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
		return
	}
	w.warned[ev.Name] = true
	w.log.Warn("file in the scripts folder ignored", "path", ev.Name, "reason", badNameReason(name, base))
}

// ModuleForPath maps a changed path under dir to the module it belongs to:
// dir/NAME.lua -> NAME, dir/NAME/<anything>.lua -> NAME, dir/NAME (the folder
// itself, created or removed) -> NAME. Editors' temporary and backup files,
// hidden files and *_test.lua files are not modules.
func ModuleForPath(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for _, part := range parts {
		if strings.HasPrefix(part, ".") {
			return "", false
		}
	}
	if len(parts) == 1 {
		name := parts[0]
		if n, ok := strings.CutSuffix(name, ".lua"); ok {
			if strings.HasSuffix(n, "_test") || !ValidModuleName(n) {
				return "", false
			}
			return n, true
		}
		// a folder module's folder appearing or disappearing
		if !ValidModuleName(name) {
			return "", false
		}
		if strings.Trim(name, "0123456789") == "" {
			// vim probes a folder with files named 4913, 5036, ...: a name made of
			// digits only is a module only while it is a folder
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				return "", false
			}
		}
		return name, true
	}
	last := parts[len(parts)-1]
	if !strings.HasSuffix(last, ".lua") || !ValidModuleName(parts[0]) {
		return "", false
	}
	return parts[0], true
}

// ValidModuleName reports whether name can be a module's name and file name:
// 1-64 of a-z, A-Z, 0-9, '_' and '-', not starting with '-'.
func ValidModuleName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
