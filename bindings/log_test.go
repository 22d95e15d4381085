package bindings

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingHandler counts the bytes of the log lines written, and keeps the
// messages of the engine's own warnings about a module.
type countingHandler struct {
	mu       sync.Mutex
	bytes    int
	lines    int
	warnings []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines++
	h.bytes += len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		h.bytes += len(a.Key) + len(a.Value.String())
		return true
	})
	if r.Level == slog.LevelWarn && strings.Contains(r.Message, "logs") {
		h.warnings = append(h.warnings, r.Message)
	}
	return nil
}

// 1 MiB log fields and print made 315 MB of log from one chat line. Fields
// and messages are cut, a module's log rate is bounded, and the log says
// once that lines are being dropped.
func TestLogFloodIsCutAndRateLimited(t *testing.T) {
	h := &countingHandler{}
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"noisy.lua": `module { name = "noisy", permissions = { "twitch.chat" } }
command("!x", function(event)
  local big = string.rep("x", 1048576)
  for i = 1, 300 do
    log.info(big, { a = big, b = { big, big }, n = i })
    print(big, big)
  end
  twitch.reply(event, "noisy done")
end)
command("!y", function(event) log.info("calm") twitch.reply(event, "calm done") end)`,
	}, func(c *Config) { c.Logger = slog.New(h); c.HandlerBudget = 5 * time.Second })
	te.chatLine("!x")
	te.waitChat("noisy done")
	h.mu.Lock()
	bytes, warnings := h.bytes, append([]string(nil), h.warnings...)
	h.mu.Unlock()
	if bytes > 1<<20 {
		t.Fatalf("one chat line made %d bytes of log", bytes)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "module noisy logs more than 64 KiB a second") {
		t.Fatalf("warnings: %q", warnings)
	}
	time.Sleep(1200 * time.Millisecond) // quiet for a second: the module's lines pass again
	te.chatLine("!y")
	te.waitChat("calm done")
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.warnings) != 2 || !strings.Contains(h.warnings[1], "module noisy logs again;") {
		t.Fatalf("warnings: %q", h.warnings)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// What module{} declares is shown in the panel and the API: bounded too.
func TestModuleDeclarationIsBounded(t *testing.T) {
	for field, want := range map[string]string{
		`description = string.rep("x", 1000000)`:                                                        "module.description is 1000000 bytes, at most 4096 allowed",
		`cooldown_reply = string.rep("x", 1000000)`:                                                     "module.cooldown_reply is 1000000 bytes, at most 500 allowed",
		`dependencies = (function() local t = {} for i = 1, 100 do t[i] = "m" .. i end return t end)()`: "module.dependencies has 100 entries, at most 64 allowed",
	} {
		te := newTestEngine(t, map[string]string{"ping.lua": pingModule, "big.lua": `module { name = "big", ` + field + ` }`})
		if st := te.module("big"); st.Status != "failed" || !strings.Contains(st.LastError, want) {
			t.Errorf("%s: %s %q", field, st.Status, st.LastError)
		}
		te.chatLine("!ping")
		te.waitChat("pong m-!ping")
	}
}

// A handler failing on every event, with a huge error message, is a log
// flood too: the message is cut and the errors share the module's log rate.
func TestScriptErrorsAreCutAndRateLimited(t *testing.T) {
	h := &countingHandler{}
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"bad.lua": `module { name = "bad" }
on_event("bad.tick", function() error(string.rep("e", 1048576)) end)`,
	}, func(c *Config) { c.Logger = slog.New(h) })
	for i := 0; i < 300; i++ {
		te.emit("bad.tick", nil)
	}
	waitFor(t, 30*time.Second, func() bool { return te.module("bad").Errors >= 300 })
	if st := te.module("bad"); len(st.LastError) > 8<<10 {
		t.Fatalf("last error kept %d bytes", len(st.LastError))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bytes > 1<<20 {
		t.Fatalf("300 errors made %d bytes of log", h.bytes)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}
