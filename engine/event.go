package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
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

// Event sources. Source says who put an event on the bus; it is set by that
// code (the Twitch and OBS clients, the registry, the web API, the Lua emit
// binding), never read from the event's own data.
const (
	SourceEngine  = "engine"  // the engine itself: engine.* events
	SourceTwitch  = "twitch"  // the Twitch client (EventSub)
	SourceOBS     = "obs"     // the OBS client
	SourceDiscord = "discord" // the Discord client (gateway)
	SourceAPI     = "api"     // POST /api/events with the API token (the streamer's tools: a Stream Deck, curl)
	SourcePanel   = "panel"   // the web panel: test events and the chat console
	SourceTest    = "test"    // script tests and test harnesses
	SourceOverlay = "overlay" // the overlay server: overlay.alert.shown and .done
	// SourceModulePrefix + NAME is the source of an event module NAME emitted.
	SourceModulePrefix = "module:"
)

// TypeOwner returns the source that owns event type t ("twitch", "obs",
// "discord", "overlay" or "engine" for twitch.*, obs.*, discord.*, overlay.*
// and engine.*), or "" for a type any module may
// emit. A module's emit of an owned type is refused: no module speaks for a
// platform or for the engine. (The API and the panel may fire twitch.* and
// obs.* test events; they are marked with their own source.)
func TypeOwner(t string) string {
	for _, owner := range []string{SourceTwitch, SourceOBS, SourceDiscord, SourceOverlay, SourceEngine} {
		if len(t) > len(owner) && t[len(owner)] == '.' && t[:len(owner)] == owner {
			return owner
		}
	}
	return ""
}

// VouchesForUsers reports whether events from source are believed when their
// data says who the user is and what they are (broadcaster, moderator, vip,
// subscriber): the platform itself, the streamer through the panel or the API
// token, and tests. A module's events are not: their user levels count as
// "everyone", so a module cannot pass a spoofed broadcaster to a command.
func VouchesForUsers(source string) bool {
	switch source {
	case SourceTwitch, SourceDiscord, SourcePanel, SourceAPI, SourceTest:
		return true
	}
	return false
}

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

// KindOf names the kind of a plain value (Event.Data, module config) the way
// a script sees it: "number", "string", "boolean", "table" or "nil"; other Go
// types by their Go name. Every message that says "must be a number, not a
// string" uses it.
func KindOf(v any) string {
	if v == nil {
		return "nil"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Map, reflect.Slice:
		return "table"
	}
	return reflect.TypeOf(v).String()
}
