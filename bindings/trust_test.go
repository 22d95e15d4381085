package bindings

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/engine"
)

// victimModule exports a function and answers a broadcaster-only command; a
// call of either leaves a chat line behind.
const victimModule = `module { name = "victim", permissions = { "twitch.chat" } }
export { poke = function() twitch.send_message("victim poked") return 1 end }
command("!admin", { permission = "broadcaster" }, function(event) twitch.reply(event, "admin ran") end)
on_event("spoof.chat", { trigger = trigger.command("!admin2", { permission = "broadcaster" }) }, function(event)
  twitch.send_message("admin2 ran")
end)
on_event("spoof.chat", { trigger = trigger.command("!open") }, function(event) twitch.send_message("open ran") end)
on_event("spoof.chat", { filter = filter.moderator() }, function(event) twitch.send_message("moderator filter passed") end)
`

// actingTopLevel tries, at its top level, everything that acts outside the VM,
// each under pcall so that the load goes on after a refusal.
const actingTopLevel = `module { name = "actor", permissions = { "twitch.chat", "store", "call", "obs.control" } }
refusals = {}
local function try(what, f, ...)
  local args = { ... }
  local ok, err = pcall(function() return f(unpack(args)) end)
  if ok then error(what .. " worked at the top level") end
  refusals[#refusals + 1] = tostring(err)
end
try("chat", twitch.send_message, "actor chatted")
try("reply", twitch.reply, { data = { message_id = "m" } }, "actor replied")
try("emit", emit, "actor.loaded", { x = 1 })
try("store.set", store.set, "k", 1)
try("store.incr", store.incr, "n", 1)
try("store.get", store.get, "k")
try("call", call, "victim.poke")
try("obs", obs.set_scene, "BRB")
try("twitch.user", twitch.user, "someone")
try("sleep", sleep, 0)
after(0.01, function() twitch.send_message("actor timer fired") end)
command("!actor", function(event) twitch.reply(event, "actor answered " .. #refusals) end)
function init() log.info("init") end
`

func TestTopLevelHasNoEffectOutsideTheVM(t *testing.T) {
	te := newTestEngine(t, map[string]string{"victim.lua": victimModule})
	var seen atomic.Int32
	if _, err := te.bus.Subscribe(&engine.Subscription{Patterns: []string{"actor.*"}, Handler: func(*engine.Event) error { seen.Add(1); return nil }}); err != nil {
		t.Fatal(err)
	}

	t.Run("inspection leaves no trace and registers everything", func(t *testing.T) {
		info, err := te.reg.Inspect(context.Background(), []byte(actingTopLevel))
		if err != nil {
			t.Fatalf("inspect: %v", err)
		}
		if info.Module.Name != "actor" || len(info.Commands) != 1 || info.Timers != 1 {
			t.Fatalf("inspect read %+v", info)
		}
		time.Sleep(50 * time.Millisecond) // the timer would have fired by now
		if msgs := te.chat.Recent(); len(msgs) != 0 {
			t.Fatalf("inspection chatted: %v", msgs)
		}
		if n := seen.Load(); n != 0 {
			t.Fatalf("inspection emitted %d events", n)
		}
		for _, space := range []string{"", "actor"} {
			if keys, _ := te.store.Keys(space, "", 10); len(keys) != 0 {
				t.Fatalf("inspection wrote the store of %q: %v", space, keys)
			}
		}
	})

	t.Run("a real load refuses each act and goes live without a trace", func(t *testing.T) {
		te.write("actor.lua", actingTopLevel)
		if err := te.reg.Load(context.Background(), "actor"); err != nil {
			t.Fatalf("load: %v", err)
		}
		te.chatLine("!actor")
		te.waitChat("actor answered 10")
		te.waitChat("actor timer fired") // armed at Start, not at load
		for _, m := range te.chat.Recent() {
			if strings.Contains(m.Text, "chatted") || strings.Contains(m.Text, "replied") || strings.Contains(m.Text, "poked") {
				t.Fatalf("the top level acted: %q", m.Text)
			}
		}
		if seen.Load() != 0 {
			t.Fatal("the top level emitted")
		}
		if keys, _ := te.store.Keys("actor", "", 10); len(keys) != 0 {
			t.Fatalf("the top level wrote the store: %v", keys)
		}
	})

	t.Run("each refusal names the binding and the rule", func(t *testing.T) {
		for _, code := range []string{
			`twitch.send_message("x")`, `emit("a.b", {})`, `store.set("k", 1)`, `store.get("k")`,
			`call("victim.poke")`, `obs.current_scene()`, `twitch.stream()`,
		} {
			what := code[:strings.IndexByte(code, '(')]
			_, err := te.reg.Inspect(context.Background(), []byte(`module { name = "x", permissions = { "twitch.chat", "store", "call", "obs.control" } }`+"\n"+code))
			if err == nil || !strings.Contains(err.Error(), what+" cannot be used in top-level code") || !strings.Contains(err.Error(), ":2:") {
				t.Errorf("%s at the top level: %v", code, err)
			}
		}
	})

	t.Run("init() may act", func(t *testing.T) {
		te.write("starter.lua", `module { name = "starter", permissions = { "twitch.chat", "store", "call" } }
function init()
  store.set("started", true)
  emit("actor.started", {})
  local n = call("victim.poke")
  twitch.send_message("starter ready " .. tostring(n))
end`)
		if err := te.reg.Load(context.Background(), "starter"); err != nil {
			t.Fatalf("load: %v", err)
		}
		te.waitChat("starter ready 1")
		te.waitChat("victim poked")
		if raw, _ := te.store.Get("starter", "started"); string(raw) != "true" {
			t.Errorf("store after init: %q", raw)
		}
	})
}

func TestModuleEmitOfPlatformAndEngineTypesIsRefused(t *testing.T) {
	te := newTestEngine(t, map[string]string{"victim.lua": victimModule, "spoof.lua": `module { name = "spoof", permissions = { "twitch.chat" } }
command("!try", function(event, cmd)
  local ok, err = pcall(function() emit(cmd.args[1], { user = { id = "1", username = "streamer", broadcaster = true }, message = "!admin" }) end)
  twitch.send_message((ok and "emitted " or "refused ") .. cmd.args[1] .. ": " .. tostring(err))
end)`})
	var leaked atomic.Int32
	if _, err := te.bus.Subscribe(&engine.Subscription{Patterns: []string{"twitch.*", "obs.*", "engine.module.loaded"},
		Handler: func(e *engine.Event) error {
			if strings.HasPrefix(e.Source, engine.SourceModulePrefix) {
				leaked.Add(1)
			}
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"twitch.chat.message", "twitch.follow", "obs.scene_changed", "engine.module.loaded"} {
		te.chatLine("!try " + typ)
		m := te.waitChat(" " + typ + ":")
		owner := typ[:strings.IndexByte(typ, '.')]
		if !strings.HasPrefix(m.Text, "refused") || !strings.Contains(m.Text, owner+".* events come only from") {
			t.Errorf("emit %s: %q", typ, m.Text)
		}
	}
	te.chatLine("!try spoof.ok")
	te.waitChat("emitted spoof.ok")
	te.noChat("admin ran", 30*time.Millisecond)
	if n := leaked.Load(); n != 0 {
		t.Fatalf("%d platform or engine events from a module reached the bus", n)
	}
}

func TestSpoofedUserLevelsAreNotBelieved(t *testing.T) {
	te := newTestEngine(t, map[string]string{"victim.lua": victimModule, "spoof.lua": `module { name = "spoof", permissions = { "twitch.chat" } }
command("!spoof", function(event, cmd)
  emit("spoof.chat", { user = { id = "1", username = "streamer", broadcaster = true, moderator = true }, message = cmd.rest })
end)`})
	// A module's event claims the broadcaster: the broadcaster-only command and
	// the moderator filter ignore the claim; the open command runs, so the
	// event did arrive.
	te.chatLine("!spoof !open")
	te.waitChat("open ran")
	te.chatLine("!spoof !admin2")
	te.noChat("admin2 ran", 50*time.Millisecond)
	te.noChat("moderator filter passed", 0)
	// The same claim from a source that vouches for its users is believed.
	te.emit("spoof.chat", map[string]any{"user": map[string]any{"id": "1", "username": "streamer", "broadcaster": true}, "message": "!admin2"})
	te.waitChat("admin2 ran")
	te.waitChat("moderator filter passed")
}

func TestEventSourceIsSetByTheEmitter(t *testing.T) {
	te := newTestEngine(t, map[string]string{"src.lua": `module { name = "src", permissions = { "twitch.chat" } }
on_event("src.ping", function(event) twitch.send_message("source " .. event.source) end)
command("!ping", function(event) emit("src.ping", { source = "twitch" }) end)`})
	te.chatLine("!ping")
	te.waitChat("source module:src")
}
