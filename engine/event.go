package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Event is one thing that happened: a chat message, a follow, a scene switch, a
// custom event a module emitted. Data holds only plain values (string, bool, int,
// int64, float64, nil, []any, map[string]any) so that every module receives its own
// copy when the event crosses into Lua.
type Event struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Data      map[string]any `json:"data"`
	Timestamp time.Time      `json:"timestamp"`
	Source    string         `json:"source"`

	emitted time.Time // monotonic instant of Bus.Emit, for dispatch latency
}

// EmittedAt is the instant the bus accepted the event (monotonic clock).
func (e *Event) EmittedAt() time.Time { return e.emitted }

// MaxTypeLen bounds event type names.
const MaxTypeLen = 128

// ValidateType reports whether t is a usable event type: non-empty, at most
// MaxTypeLen bytes, made of letters, digits and "._-:". It names the offending
// character so that a panel user or a script author can fix it.
func ValidateType(t string) error {
	if t == "" {
		return fmt.Errorf("event type is empty")
	}
	if len(t) > MaxTypeLen {
		return fmt.Errorf("event type is %d bytes long, at most %d allowed", len(t), MaxTypeLen)
	}
	for i := 0; i < len(t); i++ {
		if !typeChar(t[i]) {
			return fmt.Errorf("event type %q has %q at byte %d: use letters, digits and . _ - :", t, t[i], i)
		}
	}
	return nil
}

// ValidatePattern is ValidateType that also allows the glob '*'.
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("event pattern is empty")
	}
	if len(p) > MaxTypeLen {
		return fmt.Errorf("event pattern is %d bytes long, at most %d allowed", len(p), MaxTypeLen)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '*' && !typeChar(p[i]) {
			return fmt.Errorf("event pattern %q has %q at byte %d: use letters, digits, . _ - : and *", p, p[i], i)
		}
	}
	return nil
}

func typeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == ':'
}

// idPrefix makes event ids unique across runs; the counter makes them unique within one.
var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b[:])
}

// NewEventID returns a process-unique event id such as "3f9a1c2e-1b".
func NewEventID() string {
	n := idCounter.Add(1)
	var sb strings.Builder
	sb.Grow(len(idPrefix) + 1 + 13)
	sb.WriteString(idPrefix)
	sb.WriteByte('-')
	var buf [13]byte
	sb.Write(strconv.AppendUint(buf[:0], n, 36))
	return sb.String()
}
