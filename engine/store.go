package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
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

	quota atomic.Int64 // bytes (keys + values) one module's space may hold
	useMu sync.Mutex
	usage map[string]int64 // bytes held per module space, counted on its first write
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

// MaxKeyLen and MaxValueLen bound what a module can put in its space;
// DefaultModuleQuota bounds the sum of its keys and values (SetModuleQuota).
const (
	MaxKeyLen          = 512
	MaxValueLen        = 1 << 20
	DefaultModuleQuota = 16 << 20
)

// QuotaError is returned by a write that would take a module's space over
// its quota. Nothing of the transaction is written.
type QuotaError struct {
	Module       string
	Bytes, Quota int64 // what the space would hold, and may hold
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("store: module %s would hold %d bytes, over its quota of %d bytes (delete keys it no longer needs)", e.Module, e.Bytes, e.Quota)
}

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
			return nil, &lockedError{path: path, cause: err}
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
	st := &Store{db: db, path: path, usage: map[string]int64{}}
	st.quota.Store(DefaultModuleQuota)
	return st, nil
}

// ErrLocked is in the chain of OpenStore's error when another process has
// the store open (bbolt allows one at a time).
var ErrLocked = errors.New("store is in use by another process")

// lockedError says who probably holds the store. Its text does not end with
// bbolt's bare "timeout", which told a user nothing.
type lockedError struct {
	path  string
	cause error
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("store: %s is in use by another process: is another starstreamer running on it? Stop it, or give this one its own --data", e.path)
}

func (e *lockedError) Unwrap() []error { return []error{ErrLocked, e.cause} }

// SetModuleQuota sets how many bytes (keys plus values) each module's space
// may hold; writes that would go past it fail with a *QuotaError, writes that
// shrink a space over its quota still work. n <= 0 restores the default.
func (s *Store) SetModuleQuota(n int64) {
	if n <= 0 {
		n = DefaultModuleQuota
	}
	s.quota.Store(n)
}

// ModuleBytes is how many bytes (keys plus values) module ns holds.
func (s *Store) ModuleBytes(ns string) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = bucketBytes(tx.Bucket(bucketData).Bucket([]byte(ns)))
		return nil
	})
	return n, err
}

func bucketBytes(b *bolt.Bucket) int64 {
	var n int64
	if b == nil {
		return 0
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n += int64(len(k) + len(v))
	}
	return n
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
		tx, err := s.writeTx(btx, ns)
		if err != nil {
			return err
		}
		return fn(tx)
	})
}

// writeTx is the Tx of module ns inside the read-write bolt transaction btx.
// Its writes keep the module's byte count, which the store learns by counting
// the space once (under bolt's write lock, so no write is missed) and then
// follows on each commit.
func (s *Store) writeTx(btx *bolt.Tx, ns string) (*Tx, error) {
	b, err := btx.Bucket(bucketData).CreateBucketIfNotExists([]byte(ns))
	if err != nil {
		return nil, err
	}
	s.useMu.Lock()
	used, ok := s.usage[ns]
	s.useMu.Unlock()
	if !ok {
		used = bucketBytes(b)
		s.useMu.Lock()
		s.usage[ns] = used
		s.useMu.Unlock()
	}
	tx := &Tx{b: b, s: s, ns: ns, used: used}
	btx.OnCommit(func() {
		if tx.delta != 0 {
			s.useMu.Lock()
			s.usage[ns] += tx.delta
			s.useMu.Unlock()
		}
	})
	return tx, nil
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
type Tx struct {
	b     *bolt.Bucket
	s     *Store // nil in a read-only transaction
	ns    string
	used  int64 // bytes of the space when the transaction began
	delta int64 // and how much its writes added
}

// put writes (v != nil) or deletes key, keeping the space within its quota.
func (t *Tx) put(key string, v []byte) error {
	k := []byte(key)
	old := t.b.Get(k)
	d := int64(len(v)) - int64(len(old))
	if old == nil && v != nil {
		d += int64(len(k))
	} else if old != nil && v == nil {
		d -= int64(len(k))
	}
	if d > 0 && t.s != nil {
		if q := t.s.quota.Load(); t.used+t.delta+d > q {
			return &QuotaError{Module: t.ns, Bytes: t.used + t.delta + d, Quota: q}
		}
	}
	var err error
	if v == nil {
		if old == nil {
			return nil
		}
		err = t.b.Delete(k)
	} else {
		err = t.b.Put(k, v)
	}
	if err == nil {
		t.delta += d
	}
	return err
}

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
	if err := checkValue(key, v); err != nil {
		return err
	}
	return t.put(key, v)
}

// checkValue checks a key and the JSON value to be stored under it.
func checkValue(key string, v json.RawMessage) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(v) > MaxValueLen {
		return fmt.Errorf("value for %q is %d bytes, at most %d allowed", key, len(v), MaxValueLen)
	}
	if !json.Valid(v) {
		return fmt.Errorf("value for %q is not valid JSON", key)
	}
	return nil
}

// Delete removes key.
func (t *Tx) Delete(key string) error {
	if t.b == nil {
		return errReadOnly
	}
	return t.put(key, nil)
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
	return sum, t.put(key, strconv.AppendInt(nil, sum, 10))
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
