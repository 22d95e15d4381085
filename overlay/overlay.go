package overlay

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

//go:embed defaults runtime.js
var embedded embed.FS

// Events the Manager emits on the bus (Source "overlay").
const (
	EventShown = "overlay.alert.shown" // the alert is on screen in a browser source
	EventDone  = "overlay.alert.done"  // its time is over (or it was skipped)
)

// keysSetting is the store setting that keeps the overlays' keys.
const keysSetting = "overlay_keys"

// MaxData bounds one overlay.send payload (JSON).
const MaxData = 64 << 10

// Config configures a Manager. Dir and Bus are required.
type Config struct {
	Dir      string // the overlays folder: one sub-folder per overlay
	MediaDir string // images and sounds alerts may use; default Dir/../media
	Bus      *engine.Bus
	Store    *engine.Store // keeps the overlay keys; nil keeps them in memory only
	Logger   *slog.Logger

	MaxWaiting int           // alerts waiting per overlay; default 50
	History    int           // finished alerts kept for replay; default 20
	AckWait    time.Duration // how long a sent alert waits for a page to say it is on screen; default 3s
	Gap        time.Duration // pause between two alerts (the page's exit animation); default 600ms
	Debounce   time.Duration // quiet time after a file change before pages are updated; default 60ms
}

// Manager runs the overlays: the alert queue of each, the pages' WebSocket
// connections, their keys, and the hot reload of their files.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	boards map[string]*board
	keys   map[string]string
	closed bool
}

// New returns a Manager. It creates the overlays and media folders when
// missing and writes the shipped alerts overlay to Dir/alerts/ when that folder
// does not exist, so the user has its files to edit.
func New(cfg Config) (*Manager, error) {
	if cfg.Dir == "" || cfg.Bus == nil {
		return nil, errors.New("overlay: Dir and Bus are required")
	}
	if cfg.MediaDir == "" {
		cfg.MediaDir = filepath.Join(filepath.Dir(filepath.Clean(cfg.Dir)), "media")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = 50
	}
	if cfg.History <= 0 {
		cfg.History = 20
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 3 * time.Second
	}
	if cfg.Gap <= 0 {
		cfg.Gap = 600 * time.Millisecond
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 60 * time.Millisecond
	}
	m := &Manager{cfg: cfg, log: cfg.Logger.With("component", "overlay"), boards: map[string]*board{}, keys: map[string]string{}}
	for _, d := range []string{cfg.Dir, cfg.MediaDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("overlay: folder %s: %w", d, err)
		}
	}
	if err := m.writeDefault(); err != nil {
		m.log.Warn("cannot write the default alerts overlay to disk; serving the built-in one", "dir", cfg.Dir, "err", err)
	}
	if cfg.Store != nil {
		if err := cfg.Store.Setting(keysSetting, &m.keys); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return nil, fmt.Errorf("overlay: read keys: %w", err)
		}
		if m.keys == nil {
			m.keys = map[string]string{}
		}
	}
	return m, nil
}

// writeDefault copies the embedded alerts overlay to Dir/alerts/ unless that
// folder exists (edited or not, it is the user's from then on).
func (m *Manager) writeDefault() error {
	dst := filepath.Join(m.cfg.Dir, DefaultOverlay)
	if _, err := os.Lstat(dst); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.MkdirTemp(m.cfg.Dir, ".alerts-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sub, _ := fs.Sub(embedded, "defaults/"+DefaultOverlay)
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// Dir is the overlays folder.
func (m *Manager) Dir() string { return m.cfg.Dir }

// MediaDir is the media folder.
func (m *Manager) MediaDir() string { return m.cfg.MediaDir }

// Exists reports whether name is an overlay: a folder under Dir, or the
// built-in alerts overlay.
func (m *Manager) Exists(name string) bool {
	if !ValidName(name) {
		return false
	}
	if name == DefaultOverlay {
		return true
	}
	fi, err := os.Lstat(filepath.Join(m.cfg.Dir, name))
	return err == nil && fi.IsDir()
}

// Names lists the overlays, sorted.
func (m *Manager) Names() []string {
	names := []string{DefaultOverlay}
	entries, _ := os.ReadDir(m.cfg.Dir)
	for _, e := range entries {
		if e.IsDir() && ValidName(e.Name()) && e.Name() != DefaultOverlay {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Key returns the overlay's key, creating it on first use. It is the secret in
// the browser source's URL.
func (m *Manager) Key(name string) (string, error) {
	if !m.Exists(name) {
		return "", fmt.Errorf("no overlay %q (create the folder overlays/%s/)", name, name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if k := m.keys[name]; k != "" {
		return k, nil
	}
	return m.newKeyLocked(name)
}

// RotateKey gives the overlay a new key; pages open with the old one are
// disconnected (their browser sources need the new URL).
func (m *Manager) RotateKey(name string) (string, error) {
	if !m.Exists(name) {
		return "", fmt.Errorf("no overlay %q", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, err := m.newKeyLocked(name)
	if err != nil {
		return "", err
	}
	if b := m.boards[name]; b != nil {
		for c := range b.clients {
			c.closeWith(closeKeyRotated, "the overlay's key was changed")
		}
	}
	return k, nil
}

func (m *Manager) newKeyLocked(name string) (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("overlay key: %w", err)
	}
	k := base64.RawURLEncoding.EncodeToString(b[:])
	keys := make(map[string]string, len(m.keys)+1)
	for n, v := range m.keys {
		keys[n] = v
	}
	keys[name] = k
	if m.cfg.Store != nil {
		if err := m.cfg.Store.SetSetting(keysSetting, keys); err != nil {
			return "", fmt.Errorf("overlay: store key: %w", err)
		}
	}
	m.keys = keys
	return k, nil
}

// checkKey reports whether key is the overlay's key (constant time). An
// overlay without a key yet has none that matches.
func (m *Manager) checkKey(name, key string) bool {
	m.mu.Lock()
	want := m.keys[name]
	m.mu.Unlock()
	return want != "" && key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(want)) == 1
}

// Alert queues an alert from a script's fields (see ParseAlert) and returns its id.
func (m *Manager) Alert(ctx context.Context, module string, fields map[string]any) (string, error) {
	a, err := ParseAlert(fields)
	if err != nil {
		return "", err
	}
	a.Module = module
	if err := m.Queue(&a); err != nil {
		return "", err
	}
	return a.ID, nil
}

// Queue checks a parsed alert's overlay and media and puts it at the end of
// its overlay's queue. It fails when the queue is full: alerts wait while no
// browser source is open, up to Config.MaxWaiting.
func (m *Manager) Queue(a *Alert) error {
	if !m.Exists(a.Overlay) {
		return fmt.Errorf("no overlay %q (create the folder overlays/%s/ or use %q)", a.Overlay, a.Overlay, DefaultOverlay)
	}
	for _, f := range []string{a.Image, a.Sound} {
		if f == "" {
			continue
		}
		if err := m.checkMedia(f); err != nil {
			return err
		}
	}
	if a.ID == "" {
		a.ID = engine.NewEventID()
	}
	a.Queued = time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the overlays are shut down")
	}
	b := m.boardLocked(a.Overlay)
	if len(b.queue) >= m.cfg.MaxWaiting {
		return fmt.Errorf("the %s overlay has %d alerts waiting, the most it keeps: is its browser source open in OBS?", a.Overlay, len(b.queue))
	}
	b.queue = append(b.queue, a)
	m.advanceLocked(b)
	return nil
}

// checkMedia reports whether name is a servable file of the media folder.
func (m *Manager) checkMedia(name string) error {
	ct, err := CheckMediaName(name)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(m.cfg.MediaDir)
	if err != nil {
		return fmt.Errorf("media folder: %w", err)
	}
	defer root.Close()
	f, _, err := openRegular(root, filepath.FromSlash(name), MaxMediaFile)
	if err != nil {
		return fmt.Errorf("media file %q: %w", name, err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := f.Read(head)
	if !sniffMedia(ct, head[:n]) {
		return fmt.Errorf("media file %q is not a %s file (its content does not match its extension)", name, ct)
	}
	return nil
}

// Send sends data (plain values) to every open page of the overlay, for
// counters, goals and custom widgets. The last value per data.id (or
// data.widget) is kept and sent to pages that open later.
func (m *Manager) Send(ctx context.Context, module, name string, data any) error {
	if !m.Exists(name) {
		return fmt.Errorf("no overlay %q (create the folder overlays/%s/)", name, name)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("overlay data: %w", err)
	}
	if len(raw) > MaxData {
		return fmt.Errorf("overlay data is %d bytes of JSON, at most %d", len(raw), MaxData)
	}
	msg, _ := json.Marshal(map[string]any{"type": "data", "data": json.RawMessage(raw)})
	key := ""
	if d, ok := data.(map[string]any); ok {
		for _, k := range []string{"id", "widget"} {
			if s, ok := d[k].(string); ok {
				key = s
				break
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the overlays are shut down")
	}
	b := m.boardLocked(name)
	b.remember(key, msg)
	b.broadcast(msg, true)
	return nil
}

// Info describes one overlay for the panel.
type Info struct {
	Name     string   `json:"name"`
	Key      string   `json:"key"`
	Sources  int      `json:"sources"`  // open browser sources (not counting previews)
	Previews int      `json:"previews"` // open panel previews
	Paused   bool     `json:"paused"`
	Current  *Alert   `json:"current"`
	Waiting  []*Alert `json:"waiting"`
	History  []*Alert `json:"history"` // newest last
	Builtin  bool     `json:"builtin"` // served from the built-in copy (no folder on disk)
}

// List describes every overlay.
func (m *Manager) List() ([]Info, error) {
	var out []Info
	for _, n := range m.Names() {
		i, err := m.Info(n)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// Info describes one overlay.
func (m *Manager) Info(name string) (Info, error) {
	key, err := m.Key(name)
	if err != nil {
		return Info{}, err
	}
	_, statErr := os.Stat(filepath.Join(m.cfg.Dir, name))
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.boardLocked(name)
	i := Info{Name: name, Key: key, Paused: b.paused, Waiting: slices.Clone(b.queue), History: slices.Clone(b.history), Builtin: statErr != nil}
	if i.Waiting == nil {
		i.Waiting = []*Alert{}
	}
	if i.History == nil {
		i.History = []*Alert{}
	}
	if b.cur != nil {
		i.Current = b.cur.a
	}
	for c := range b.clients {
		if c.preview {
			i.Previews++
		} else {
			i.Sources++
		}
	}
	return i, nil
}

// Pause stops (or resumes) the overlay's queue after the alert on screen.
func (m *Manager) Pause(name string, paused bool) error {
	return m.withBoard(name, func(b *board) {
		b.paused = paused
		m.advanceLocked(b)
	})
}

// Skip ends the alert on screen now.
func (m *Manager) Skip(name string) error {
	return m.withBoard(name, func(b *board) {
		if b.cur != nil {
			m.finishLocked(b, b.cur, true)
		}
	})
}

// Clear drops the waiting alerts and returns how many there were.
func (m *Manager) Clear(name string) (int, error) {
	n := 0
	err := m.withBoard(name, func(b *board) {
		n = len(b.queue)
		b.queue = nil
	})
	return n, err
}

// Replay queues the last n finished alerts again (oldest first) and returns
// how many were queued.
func (m *Manager) Replay(name string, n int) (int, error) {
	queued := 0
	err := m.withBoard(name, func(b *board) {
		if n > len(b.history) {
			n = len(b.history)
		}
		for _, old := range b.history[len(b.history)-n:] {
			if len(b.queue) >= m.cfg.MaxWaiting {
				break
			}
			a := *old
			a.ID, a.Queued = engine.NewEventID(), time.Now()
			b.queue = append(b.queue, &a)
			queued++
		}
		m.advanceLocked(b)
	})
	return queued, err
}

// testAlerts are the samples the panel's "test alert" buttons queue.
var testAlerts = map[string]Alert{
	"follow":        {Title: "New follower", Text: "TestViewer"},
	"sub":           {Title: "New subscriber · tier 1", Text: "TestViewer"},
	"resub":         {Title: "Resubscribed · 14 months", Text: "TestViewer"},
	"gift":          {Title: "Gift bomb · 10 subs", Text: "TestViewer"},
	"raid":          {Title: "Raid · 250 viewers", Text: "TestStreamer"},
	"cheer":         {Title: "1000 bits", Text: "TestViewer", Accent: "#1db2a5"},
	"channel_point": {Title: "Hydrate!", Text: "TestViewer"},
	"hype_train":    {Title: "Hype train · level 2", Text: "Level 2 reached!"},
}

// TestKinds lists the kinds Test accepts.
func TestKinds() []string {
	out := make([]string, 0, len(testAlerts))
	for k := range testAlerts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Test queues a sample alert of a kind (see TestKinds) on an overlay. While
// no browser source is open it is not queued but shown in the panel's
// previews only (previewOnly true), so trying the look of an overlay never
// leaves a test alert waiting for the stream.
func (m *Manager) Test(name, kind string) (a *Alert, previewOnly bool, err error) {
	t, ok := testAlerts[kind]
	if !ok {
		return nil, false, fmt.Errorf("no test alert %q (known: %v)", kind, TestKinds())
	}
	if !m.Exists(name) {
		return nil, false, fmt.Errorf("no overlay %q", name)
	}
	a = &t
	a.Overlay, a.Kind, a.Duration, a.Module = name, kind, DefaultDuration, "panel"
	m.mu.Lock()
	b := m.boardLocked(name)
	if b.sources() == 0 {
		a.ID, a.Queued = engine.NewEventID(), time.Now()
		b.broadcast(alertMessage(a), true)
		m.mu.Unlock()
		time.AfterFunc(time.Duration(a.Duration*float64(time.Second)), func() {
			end, _ := json.Marshal(map[string]any{"type": "end", "id": a.ID})
			m.mu.Lock()
			defer m.mu.Unlock()
			b.broadcast(end, true)
		})
		return a, true, nil
	}
	m.mu.Unlock()
	if err := m.Queue(a); err != nil {
		return nil, false, err
	}
	return a, false, nil
}

func (m *Manager) withBoard(name string, fn func(*board)) error {
	if !m.Exists(name) {
		return fmt.Errorf("no overlay %q", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(m.boardLocked(name))
	return nil
}

// Close disconnects every page and stops the queues' timers.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, b := range m.boards {
		if b.cur != nil {
			b.cur.stop()
		}
		if b.gapTimer != nil {
			b.gapTimer.Stop()
		}
		for c := range b.clients {
			c.closeWith(closeGoingAway, "the engine is stopping")
		}
	}
}
