package bindings

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// store.set inside store.update's function deadlocked the whole store (and
// SIGTERM): it now joins the update's transaction.
func TestStoreCallsInsideUpdateJoinIt(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": pingModule,
		"s.lua": `module { name = "s", permissions = { "twitch.chat", "store" } }
command("!u", function(event)
  local ok, v = store.update(function(tx)
    store.set("a", 1)          -- joins the transaction
    tx.set("b", store.get("a") + 1)
    store.incr("c", 5)
    return store.get("b") .. "/" .. #store.keys("")
  end)
  local bad_ok, err = store.update(function(tx) store.set("x", 1) error("undo", 0) end)
  local nest_ok, nest = store.update(function(tx) store.update(function() end) end)
  twitch.reply(event, table.concat({tostring(ok), v, tostring(store.get("a")), tostring(store.get("b")), tostring(store.get("c")),
    tostring(bad_ok), err, tostring(store.get("x")), tostring(nest_ok), tostring(nest)}, ","))
end)`,
	})
	te.chatLine("!u")
	m := te.waitChat("true,")
	want := "true,2/3,1,2,5,nil,undo,nil,nil,"
	if !strings.HasPrefix(m.Text, want) || !strings.Contains(m.Text, "cannot be nested") {
		t.Fatalf("got %q, want %q... and a nesting error", m.Text, want)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
	done := make(chan struct{})
	go func() { te.reg.StopAll(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("StopAll hangs")
	}
}

// A store.update whose function runs long holds no lock: other modules'
// store writes (and cooldowns) go on meanwhile.
func TestLongStoreUpdateStallsNobody(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"slow.lua": `module { name = "slow", permissions = { "twitch.chat", "store" } }
command("!slow", function(event)
  store.update(function(tx)
    tx.set("k", 1)
    emit("slow.inside", {})
    local t0 = os.clock() while os.clock() - t0 < 0.6 do end
  end)
  twitch.reply(event, "slow done")
end)`,
	}, func(c *Config) { c.HandlerBudget = 3 * time.Second })
	wrote := make(chan error, 1)
	onEvent(t, te, "slow.inside", func() { wrote <- te.store.Set("other", "k", json.RawMessage(`1`)) })
	te.chatLine("!slow")
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("another module's write waited for the update")
	}
	for _, m := range te.chat.Recent() {
		if m.Text == "slow done" {
			t.Fatal("the update finished before the other write: the test proves nothing")
		}
	}
	te.waitChat("slow done")
}

// When data the function read changes before it commits, the function runs
// again on the fresh data: no update is lost, and it stays all-or-nothing.
func TestStoreUpdateRetriesOnConflict(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"c.lua": `module { name = "c", permissions = { "twitch.chat", "store" } }
local runs = 0
command("!add", function(event)
  local ok, n = store.update(function(tx)
    runs = runs + 1
    local n = (tx.get("n") or 0) + 1
    tx.set("n", n)
    if runs == 1 then
      emit("c.inside", {})
      local t0 = os.clock() while os.clock() - t0 < 0.5 do end
    end
    return n
  end)
  twitch.reply(event, "n=" .. tostring(n) .. " runs=" .. runs)
end)`,
	}, func(c *Config) { c.HandlerBudget = 3 * time.Second })
	onEvent(t, te, "c.inside", func() {
		if err := te.store.Set("c", "n", json.RawMessage(`100`)); err != nil {
			t.Error(err)
		}
	})
	te.chatLine("!add")
	te.waitChat("n=101 runs=2")
	if got, _ := te.store.Get("c", "n"); string(got) != "101" {
		t.Fatalf("stored n = %s", got)
	}
}

func TestStoreQuotaIsPerModuleWithAClearError(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"ping.lua": `module { name = "ping", permissions = { "twitch.chat", "store" } }
command("!ping", function(event) store.set("seen", true) twitch.reply(event, "pong " .. event.data.message_id) end)`,
		"hog.lua": `module { name = "hog", permissions = { "twitch.chat", "store" } }
command("!x", function()
  local v = string.rep("x", 200000)
  for i = 1, 1000 do store.set("k" .. i, v) end
end)`,
	}, func(c *Config) { c.HandlerBudget = 3 * time.Second }) // each durable write may take a while on a busy disk
	te.store.SetModuleQuota(1 << 20)
	te.chatLine("!x")
	waitFor(t, 5*time.Second, func() bool { return te.module("hog").Errors > 0 })
	if st := te.module("hog"); !strings.Contains(st.LastError, "store.set: store: module hog would hold") || !strings.Contains(st.LastError, "over its quota of 1048576 bytes") {
		t.Fatalf("error %q", st.LastError)
	}
	if n, _ := te.store.ModuleBytes("hog"); n > 1<<20 {
		t.Fatalf("hog holds %d bytes", n)
	}
	te.chatLine("!ping")
	te.waitChat("pong m-!ping")
}

// onEvent runs fn (on its own goroutine) for each event of type typ.
func onEvent(t *testing.T, te *testEngine, typ string, fn func()) {
	t.Helper()
	_, err := te.bus.Subscribe(&engine.Subscription{Patterns: []string{typ}, Where: "test", Handler: func(*engine.Event) error { fn(); return nil }})
	if err != nil {
		t.Fatal(err)
	}
}

// Listing keys is one Go call: a module with millions of tiny keys cannot
// make it build a list of all of them.
func TestStoreKeysListsAtMostACap(t *testing.T) {
	te := newTestEngine(t, map[string]string{
		"k.lua": `module { name = "k", permissions = { "twitch.chat", "store" } }
command("!k", function(event)
  store.update(function(tx) for i = 1, 100001 do tx.set("k" .. i, 0) end end)
  local ok, err = pcall(store.keys, "", 0)
  local ok2, err2 = pcall(store.keys, "", 200000)
  twitch.reply(event, tostring(ok) .. " " .. tostring(err) .. " | " .. tostring(ok2) .. " " .. tostring(err2) .. " | " .. #store.keys("k1", 0))
end)`,
	}, func(c *Config) { c.HandlerBudget = 10 * time.Second })
	te.chatLine("!k")
	waitFor(t, 20*time.Second, func() bool { return len(te.chat.Recent()) > 0 || te.module("k").Errors > 0 })
	if st := te.module("k"); st.Errors > 0 {
		t.Fatal(st.LastError)
	}
	m := te.waitChat("|")
	for _, want := range []string{"false", "store.keys: more than 100000 keys with prefix", "limit 200000: one call lists at most 100000 keys", "| 11113", "false store.keys: more"} {
		if !strings.Contains(m.Text, want) {
			t.Fatalf("reply %q lacks %q", m.Text, want)
		}
	}
}
