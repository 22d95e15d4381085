package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/time/rate"
)

var logGroup = register(Group{
	Name: "log", Section: "Logging", Order: 60, core: (*instance).installLog,
	Docs: []Doc{
		{Name: "log.info", Syntax: "log.info(msg [, fields])", Context: "anywhere", Summary: "Logs msg at info level with the module's name, the calling line and the fields table. A message keeps its first 4 KiB, a field its first 1 KiB, a line its first 32 fields; a module may log 64 KiB a second (bursts of 256 KiB), past that its lines are dropped and the log says so once."},
		{Name: "log.debug", Syntax: "log.debug(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at debug level (shown with --log-level debug)."},
		{Name: "log.warn", Syntax: "log.warn(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at warn level."},
		{Name: "log.error", Syntax: "log.error(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at error level."},
	},
})

// Limits of what a module writes to the engine's log (log.*, print): 1 MiB
// fields and print made 315 MB of log from one chat line.
const (
	maxLogMessage  = 4 << 10  // bytes of a message kept
	maxLogField    = 1 << 10  // bytes of one field's value kept
	maxLogFields   = 32       // fields of one line kept
	logBytesPerSec = 64 << 10 // a module's sustained log rate
	logBurstBytes  = 256 << 10
	maxErrorText   = 4 << 10 // bytes of a script error's message kept (status, log, error event)
)

// scriptLog is a module's way to the engine's log: it truncates and
// rate-limits.
type scriptLog struct {
	in       *instance
	limit    *rate.Limiter
	mu       sync.Mutex // script errors may be reported from other goroutines (a full mailbox)
	dropping bool
	dropped  int
	lastDrop time.Time
}

// line logs one line of the module, or drops it when the module is over its
// rate; the first drop is reported, and the count when lines pass again.
func (sl *scriptLog) line(L *lua.LState, lvl slog.Level, msg string, fields lua.LValue) {
	log := sl.in.rt.log
	if !log.Enabled(context.Background(), lvl) {
		return
	}
	msg = truncate(sl.in.redact(msg), maxLogMessage)
	attrs := []any{"module", sl.in.name, "at", callerWhere(L)}
	size := len(msg) + 64
	if ft, ok := fields.(*lua.LTable); ok {
		if v, err := fromLua(ft); err == nil {
			if m, ok := v.(map[string]any); ok {
				keys := sortedKeys(m)
				if len(keys) > maxLogFields {
					attrs = append(attrs, "fields_dropped", len(keys)-maxLogFields)
					keys = keys[:maxLogFields]
				}
				for _, k := range keys {
					fv := sl.redacted(m[k])
					attrs = append(attrs, truncate(k, 64), fv)
					size += len(k) + valueSize(fv)
				}
			} else {
				fv := sl.redacted(v)
				attrs = append(attrs, "fields", fv)
				size += valueSize(fv)
			}
		} else {
			attrs = append(attrs, "fields_error", truncate(err.Error(), maxLogField))
		}
	}
	sl.emit(lvl, msg, size, attrs)
}

// emit writes one line of size bytes, or drops it when the module is over
// its rate (any goroutine).
func (sl *scriptLog) emit(lvl slog.Level, msg string, size int, attrs []any) {
	log := sl.in.rt.log
	now := time.Now()
	sl.mu.Lock()
	defer sl.mu.Unlock()
	// once dropping, the module must keep quiet for a second before its
	// lines pass again, so a steady flood is reported once, not on and off
	if (sl.dropping && now.Sub(sl.lastDrop) < time.Second) || !sl.limit.AllowN(now, size) {
		sl.lastDrop = now
		if !sl.dropping {
			sl.dropping = true
			log.Warn(fmt.Sprintf("module %s logs more than %d KiB a second: its log lines are dropped until it logs less", sl.in.name, logBytesPerSec>>10), "module", sl.in.name)
		}
		sl.dropped++
		return
	}
	if sl.dropping {
		sl.dropping = false
		log.Warn(fmt.Sprintf("module %s logs again; %d of its lines were dropped", sl.in.name, sl.dropped), "module", sl.in.name, "dropped", sl.dropped)
		sl.dropped = 0
	}
	log.Log(context.Background(), lvl, msg, attrs...)
}

// redacted is logValue with the module's secret config values masked
// (strings before they are cut, tables once rendered).
func (sl *scriptLog) redacted(v any) any {
	if len(sl.in.secrets) == 0 {
		return logValue(v)
	}
	if s, ok := v.(string); ok {
		return logValue(sl.in.redact(s))
	}
	if s, ok := logValue(v).(string); ok {
		return sl.in.redact(s)
	}
	return logValue(v)
}

// logValue bounds a field value: strings keep their first maxLogField bytes,
// tables are shown as at most maxLogField bytes of JSON-like text (written
// only that far, however large the table).
func logValue(v any) any {
	switch x := v.(type) {
	case string:
		return truncate(x, maxLogField)
	case map[string]any, []any:
		var b strings.Builder
		if !render(&b, x, maxLogField) {
			b.WriteString("…")
		}
		return b.String()
	}
	return v
}

// render writes v to b while b is shorter than limit; false when it stopped.
func render(b *strings.Builder, v any, limit int) bool {
	if b.Len() >= limit {
		return false
	}
	switch x := v.(type) {
	case string:
		q, _ := json.Marshal(truncate(x, limit-b.Len()))
		b.Write(q)
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			if !render(b, k, limit) {
				return false
			}
			b.WriteByte(':')
			if !render(b, x[k], limit) {
				return false
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if !render(b, e, limit) {
				return false
			}
		}
		b.WriteByte(']')
	default:
		fmt.Fprint(b, x)
	}
	return b.Len() < limit
}

func valueSize(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	return 8
}

// truncate keeps the first max bytes of s (not splitting a UTF-8 sequence)
// and says how much was cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut > max-4 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
}

// scriptError logs a script error of the module, within the module's log
// rate like its own lines: a handler failing on every event must not flood
// the log either.
func (in *instance) scriptError(err error) {
	msg := err.Error()
	if in.logs == nil {
		in.rt.log.Warn("script error", "module", in.name, "err", msg)
		return
	}
	in.logs.emit(slog.LevelWarn, "script error", len(msg)+64, []any{"module", in.name, "err", msg})
}

func (in *instance) installLog(L *lua.LState) {
	sl := &scriptLog{in: in, limit: rate.NewLimiter(rate.Limit(logBytesPerSec), logBurstBytes)}
	in.logs = sl
	t := L.NewTable()
	for name, lvl := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			sl.line(L, lvl, L.ToStringMeta(L.Get(1)).String(), L.Get(2))
			return 0
		}))
	}
	L.SetGlobal("log", t)
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		var b strings.Builder
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				b.WriteByte('\t')
			}
			s := L.ToStringMeta(L.Get(i)).String()
			if b.Len()+len(s) > maxLogMessage {
				b.WriteString(truncate(s, max(maxLogMessage-b.Len(), 0)))
				break
			}
			b.WriteString(s)
		}
		sl.line(L, slog.LevelInfo, b.String(), lua.LNil)
		return 0
	}))
}
