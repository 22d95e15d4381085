package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is the engine's one bbolt file: module enable flags, config overrides and
// permission approvals, each module's key/value space, cooldowns, settings and
// tokens. Values are JSON. Every write is durable (fsynced) when the call returns.
type Store struct {
	db   *bolt.DB
	path string
}

// Top-level buckets.
var (
	bucketModules   = []byte("modules")   // module name -> ModuleSettings JSON
	bucketData      = []byte("data")      // module name -> nested bucket of key -> JSON
	bucketCooldowns = []byte("cooldowns") // "module\x00command\x00user" -> unix nanos
	bucketSettings  = []byte("settings")  // free-form engine settings (tokens, panel)
)

// ErrNotFound is returned when a key does not exist.
var ErrNotFound = errors.New("not found")

// MaxKeyLen and MaxValueLen bound what a module can put in its space.
const (
	MaxKeyLen   = 512
	MaxValueLen = 1 << 20
)

// OpenStore opens (creating when needed) the store at path.
func OpenStore(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("store: %s is locked: is another starstreamer running on it? %w", path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketModules, bucketData, bucketCooldowns, bucketSettings} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// ---- module key/value spaces ----

func checkKey(key string) error {
	if key == "" {
		return errors.New("key is empty")
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("key is %d bytes, at most %d allowed", len(key), MaxKeyLen)
	}
	return nil
}

// Get returns the JSON stored under key in module ns, or ErrNotFound.
func (s *Store) Get(ns, key string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketData).Bucket([]byte(ns))
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(key))
		if v == nil {
			return ErrNotFound
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// Update runs fn in one read-write transaction on module ns: every Set, Incr and
// Delete in fn commits together or not at all (fn returning an error, or panicking,
// rolls everything back).
func (s *Store) Update(ns string, fn func(tx *Tx) error) error {
	if ns == "" {
		return errors.New("store: module namespace is empty")
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		b, err := btx.Bucket(bucketData).CreateBucketIfNotExists([]byte(ns))
		if err != nil {
			return err
		}
		return fn(&Tx{b: b})
	})
}

// View runs fn in a read-only transaction on module ns.
func (s *Store) View(ns string, fn func(tx *Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{b: btx.Bucket(bucketData).Bucket([]byte(ns))})
	})
}

// Set stores raw JSON under key.
func (s *Store) Set(ns, key string, v json.RawMessage) error {
	return s.Update(ns, func(tx *Tx) error { return tx.Set(key, v) })
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ns, key string) error {
	return s.Update(ns, func(tx *Tx) error { return tx.Delete(key) })
}

// Incr adds n to the integer under key (missing counts as 0) and returns the sum.
func (s *Store) Incr(ns, key string, n int64) (int64, error) {
	var out int64
	err := s.Update(ns, func(tx *Tx) error {
		var err error
		out, err = tx.Incr(key, n)
		return err
	})
	return out, err
}

// Keys lists the keys of ns beginning with prefix, in byte order, at most limit
// of them (limit <= 0: no limit).
func (s *Store) Keys(ns, prefix string, limit int) ([]string, error) {
	var out []string
	err := s.View(ns, func(tx *Tx) error {
		var err error
		out, err = tx.Keys(prefix, limit)
		return err
	})
	return out, err
}

// Tx is a transaction on one module's space. It is valid only inside the
// function given to Update or View.
type Tx struct{ b *bolt.Bucket }

// Get returns the JSON under key or ErrNotFound.
func (t *Tx) Get(key string) (json.RawMessage, error) {
	if t.b == nil {
		return nil, ErrNotFound
	}
	v := t.b.Get([]byte(key))
	if v == nil {
		return nil, ErrNotFound
	}
	return bytes.Clone(v), nil
}

var errReadOnly = errors.New("store: write in a read-only transaction")

// Set stores JSON v under key; v must be valid JSON.
func (t *Tx) Set(key string, v json.RawMessage) error {
	if t.b == nil {
		return errReadOnly
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if len(v) > MaxValueLen {
		return fmt.Errorf("value for %q is %d bytes, at most %d allowed", key, len(v), MaxValueLen)
	}
	if !json.Valid(v) {
		return fmt.Errorf("value for %q is not valid JSON", key)
	}
	return t.b.Put([]byte(key), v)
}

// Delete removes key.
func (t *Tx) Delete(key string) error {
	if t.b == nil {
		return errReadOnly
	}
	return t.b.Delete([]byte(key))
}

// Incr adds n to the integer under key.
func (t *Tx) Incr(key string, n int64) (int64, error) {
	if t.b == nil {
		return 0, errReadOnly
	}
	if err := checkKey(key); err != nil {
		return 0, err
	}
	var cur int64
	if v := t.b.Get([]byte(key)); v != nil {
		var err error
		cur, err = strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("incr %q: stored value %s is not an integer", key, v)
		}
	}
	sum := cur + n
	if (n > 0 && sum < cur) || (n < 0 && sum > cur) {
		return 0, fmt.Errorf("incr %q: integer overflow", key)
	}
	return sum, t.b.Put([]byte(key), strconv.AppendInt(nil, sum, 10))
}

// Keys lists keys with prefix, at most limit (<= 0: all).
func (t *Tx) Keys(prefix string, limit int) ([]string, error) {
	out := []string{}
	if t.b == nil {
		return out, nil
	}
	c := t.b.Cursor()
	p := []byte(prefix)
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		out = append(out, string(k))
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// ---- module settings ----

// ModuleSettings is what the engine remembers about a module between runs.
type ModuleSettings struct {
	Enabled *bool          `json:"enabled,omitempty"` // nil: the default (enabled)
	Config  map[string]any `json:"config,omitempty"`  // overrides of module{config=...}
	// Approval of a script installed from the panel: the permissions the user
	// approved. NeedsApproval marks a module that may not load until the
	// permissions it declares equal Approved.
	NeedsApproval bool     `json:"needs_approval,omitempty"`
	Approved      []string `json:"approved,omitempty"`
	ApprovedHash  string   `json:"approved_hash,omitempty"`
}

// ModuleSettings returns the stored settings of module name (zero value if none).
func (s *Store) ModuleSettings(name string) (ModuleSettings, error) {
	var ms ModuleSettings
	err := s.getJSON(bucketModules, name, &ms)
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	return ms, err
}

// UpdateModuleSettings changes the settings of module name atomically.
func (s *Store) UpdateModuleSettings(name string, fn func(*ModuleSettings)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModules)
		var ms ModuleSettings
		if v := b.Get([]byte(name)); v != nil {
			if err := json.Unmarshal(v, &ms); err != nil {
				return fmt.Errorf("store: settings of module %s: %w", name, err)
			}
		}
		fn(&ms)
		v, err := json.Marshal(ms)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), v)
	})
}

// ---- cooldowns ----

func cooldownKey(module, command, user string) []byte {
	return []byte(module + "\x00" + command + "\x00" + user)
}

// CooldownUntil returns when the cooldown of (module, command, user) ends; the
// zero time when none is stored. user "" is the command's global cooldown.
func (s *Store) CooldownUntil(module, command, user string) (time.Time, error) {
	var t time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCooldowns).Get(cooldownKey(module, command, user))
		if v == nil {
			return nil
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("store: cooldown %s/%s: %w", module, command, err)
		}
		t = time.Unix(0, n)
		return nil
	})
	return t, err
}

// SetCooldowns stores several cooldown ends in one transaction.
func (s *Store) SetCooldowns(module, command string, until map[string]time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCooldowns)
		for user, t := range until {
			if err := b.Put(cooldownKey(module, command, user), strconv.AppendInt(nil, t.UnixNano(), 10)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ---- settings ----

// Setting reads the engine setting key into v; ErrNotFound when absent.
func (s *Store) Setting(key string, v any) error { return s.getJSON(bucketSettings, key, v) }

// SetSetting stores v as JSON under the engine setting key.
func (s *Store) SetSetting(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSettings).Put([]byte(key), data) })
}

func (s *Store) getJSON(bucket []byte, key string, v any) error {
	return s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bucket).Get([]byte(key))
		if data == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("store: %s/%s: %w", bucket, key, err)
		}
		return nil
	})
}
