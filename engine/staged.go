package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// ErrConflict is returned by StagedTx.Commit when a key the transaction read,
// or a key list it made, changed after it was read: nothing was written, and
// the caller may run its function again on fresh data.
var ErrConflict = errors.New("store: the data this transaction read changed before it committed")

// StagedTx is an optimistic transaction on one module's space, for work that
// must not hold the store's write lock while it runs (a module's Lua code):
// reads are short read-only transactions, remembered; writes are staged in
// memory; Commit then checks, in one short read-write transaction, that every
// value read and every key list made is still the same, and writes everything
// or nothing. Reads see the transaction's own staged writes.
//
// A StagedTx is used by one goroutine and committed at most once.
type StagedTx struct {
	s      *Store
	ns     string
	reads  map[string][]byte // value seen by a read (nil: absent)
	lists  []listRead
	writes map[string][]byte // staged value (nil: delete)
	staged int64             // bytes of keys and values staged
	done   bool
}

type listRead struct {
	prefix string
	limit  int // what was asked of the store (0: all)
	keys   []string
}

// Stage begins a staged transaction on module ns.
func (s *Store) Stage(ns string) *StagedTx {
	return &StagedTx{s: s, ns: ns, reads: map[string][]byte{}, writes: map[string][]byte{}}
}

var errTxOver = errors.New("store: the transaction is over")

// Get returns the JSON under key (the staged value if the transaction wrote
// it) or ErrNotFound.
func (t *StagedTx) Get(key string) (json.RawMessage, error) {
	if t.done {
		return nil, errTxOver
	}
	if v, ok := t.writes[key]; ok {
		if v == nil {
			return nil, ErrNotFound
		}
		return bytes.Clone(v), nil
	}
	v, ok := t.reads[key]
	if !ok {
		var err error
		v, err = t.s.Get(t.ns, key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		t.reads[key] = v // nil when absent: Commit checks it is still absent
	}
	if v == nil {
		return nil, ErrNotFound
	}
	return bytes.Clone(v), nil
}

// stage records a write (v nil: delete), keeping the staged bytes within the
// module's quota: a transaction cannot write more than its space may hold.
func (t *StagedTx) stage(key string, v []byte) error {
	if t.done {
		return errTxOver
	}
	if old, ok := t.writes[key]; ok {
		t.staged -= int64(len(key) + len(old))
	}
	n := int64(len(key) + len(v))
	if q := t.s.quota.Load(); t.staged+n > q {
		return &QuotaError{Module: t.ns, Bytes: t.staged + n, Quota: q}
	}
	t.staged += n
	t.writes[key] = v
	return nil
}

// Set stages JSON v under key; v must be valid JSON.
func (t *StagedTx) Set(key string, v json.RawMessage) error {
	if err := checkValue(key, v); err != nil {
		return err
	}
	return t.stage(key, bytes.Clone(v))
}

// Delete stages the removal of key.
func (t *StagedTx) Delete(key string) error { return t.stage(key, nil) }

// Incr adds n to the integer under key (missing counts as 0) and stages the sum.
func (t *StagedTx) Incr(key string, n int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	var cur int64
	v, err := t.Get(key)
	switch {
	case err == nil:
		cur, err = strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("incr %q: stored value %s is not an integer", key, v)
		}
	case !errors.Is(err, ErrNotFound):
		return 0, err
	}
	sum := cur + n
	if (n > 0 && sum < cur) || (n < 0 && sum > cur) {
		return 0, fmt.Errorf("incr %q: integer overflow", key)
	}
	return sum, t.stage(key, strconv.AppendInt(nil, sum, 10))
}

// Keys lists keys with prefix, the staged writes included, at most limit
// (<= 0: all).
func (t *StagedTx) Keys(prefix string, limit int) ([]string, error) {
	if t.done {
		return nil, errTxOver
	}
	ask := 0
	if limit > 0 {
		ask = limit + len(t.writes) // staged deletes may hide some
	}
	keys, err := t.s.Keys(t.ns, prefix, ask)
	if err != nil {
		return nil, err
	}
	t.lists = append(t.lists, listRead{prefix: prefix, limit: ask, keys: keys})
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if v, ok := t.writes[k]; !ok || v != nil {
			out = append(out, k)
		}
	}
	for k, v := range t.writes {
		if v != nil && strings.HasPrefix(k, prefix) {
			if _, seen := slices.BinarySearch(keys, k); !seen {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Commit checks that nothing the transaction read has changed and writes its
// staged writes in one durable transaction: all of them, or none (then the
// error is ErrConflict, a *QuotaError or the store's own).
func (t *StagedTx) Commit() error {
	if t.done {
		return errTxOver
	}
	t.done = true
	if len(t.writes) == 0 {
		if len(t.reads) == 0 && len(t.lists) == 0 {
			return nil
		}
		return t.s.db.View(func(btx *bolt.Tx) error { return t.validate(btx.Bucket(bucketData).Bucket([]byte(t.ns))) })
	}
	return t.s.db.Update(func(btx *bolt.Tx) error {
		if err := t.validate(btx.Bucket(bucketData).Bucket([]byte(t.ns))); err != nil {
			return err
		}
		tx, err := t.s.writeTx(btx, t.ns)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(t.writes))
		for k := range t.writes {
			keys = append(keys, k)
		}
		// deletes first, so a transaction that moves data stays within the quota
		sort.Slice(keys, func(i, j int) bool {
			di, dj := t.writes[keys[i]] == nil, t.writes[keys[j]] == nil
			if di != dj {
				return di
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			if err := tx.put(k, t.writes[k]); err != nil {
				return err
			}
		}
		return nil
	})
}

// validate reports ErrConflict if a value read or a key list made differs
// from the space b now.
func (t *StagedTx) validate(b *bolt.Bucket) error {
	for k, seen := range t.reads {
		var cur []byte
		if b != nil {
			cur = b.Get([]byte(k))
		}
		if (cur == nil) != (seen == nil) || !bytes.Equal(cur, seen) {
			return fmt.Errorf("%w (key %q)", ErrConflict, k)
		}
	}
	for _, l := range t.lists {
		now, err := (&Tx{b: b}).Keys(l.prefix, l.limit)
		if err != nil {
			return err
		}
		if !slices.Equal(now, l.keys) {
			return fmt.Errorf("%w (keys with prefix %q)", ErrConflict, l.prefix)
		}
	}
	return nil
}
