// Package bindings is the Lua side of StarStreamer: it builds one sandboxed
// gopher-lua VM per module instance and implements every binding a script sees
// (module, on_event, command, emit, twitch.*, obs.*, store.*, log.*, sleep,
// after, every, export, call, require, pcall).
//
// There are a few central types:
//
//   - Runtime: the engine.Loader. Compiles a module once per content hash
//     (compile once, run per VM) and builds instances.
//   - instance: one loaded version of a module; an engine.Instance and an
//     engine.Target. One goroutine owns its LState; all other goroutines only
//     post to its mailbox.
//   - invocation: one run of Lua code (a handler for an event, a timer, an
//     export, the top level, init() or shutdown()) on a coroutine.
//   - Group: one group of bindings, one value of the binding table (groups.go):
//     its docs, the permissions it introduces, its install function and, through
//     Module.OnStop, its cleanup. docs/lua-api.md, the editor stubs, the
//     permission vocabulary (module{} and the panel's approval dialog, handed to
//     web through the app package) and teardown all derive from the table.
//   - Module: what a binding group sees of its module (name, Need, Acts, Wait,
//     ToLua, OnStop, the platforms), not the instance. The runtime's own
//     language groups (module, events, lang, timers, store, export) are part
//     of the invocation machinery and install through the instance (core).
//   - Doc: a binding's documentation, listed in its group.
//
// # Adding a binding group
//
// One file: a package-level `var _ = register(Group{...})` with Name, Section,
// Order, Permissions, Docs and Install, and the install function, which
// builds the group's global table from Module only. Waiting calls use
// m.Wait, acting ones m.Acts, gated ones m.Need. A new platform the group
// drives also needs its Go interface here, a Config field and a Module
// accessor, and one line in the app package that sets it.
//
// # Writing a binding
//
// A binding that does not wait returns its values at once. A binding that waits
// (a request, a timer) must not block the owner goroutine: it ends with
//
//	return in.yieldFor(L, "name", func(ctx context.Context, resume func(func() []lua.LValue)) {
//	        go func() { res := work(ctx); resume(func() []lua.LValue { return toLua(res) }) }()
//	})
//
// start runs on the owner goroutine; resume may be called from any goroutine,
// exactly once, and its function runs back on the owner goroutine, where the
// values become the binding's results. ctx ends when the invocation is killed or
// the module stops. platformCall (Module.Wait for a group) wraps this for
// platform calls.
//
// The Twitch actions of twitch_actions.go (timeout, ban, polls, rewards,
// raids, followers, ...) are one table, twitchActionSpecs: each entry is the
// binding's Doc (name, syntax, permission) and how it reads its Lua
// arguments into a TwitchAction, which Twitch.TwitchAction performs. Users
// are accepted as a login, an id, a user table or an event carrying one;
// settings tables are checked against their known keys. Reading
// (followers, is_following, is_subscribed) needs no permission.
//
// The http group (http.go) is gated per host: http:HOST is a permission
// family (Permission.Family), one permission per declared host. Its client,
// made at the module's first request from the hosts it declared, is
// Config.Web (platform/httpc's guarded client by default: declared hosts
// only, resolved addresses checked in the dialer, capped body, time and
// concurrency); the host is checked with Need before the request leaves.
//
// A binding that acts outside the VM (sends, stores, emits, calls another
// module, reaches the network) first calls in.acts(L, "name"): the top level
// of a script may not act (nor wait), so loading a module, to inspect a pasted
// script or to read one that awaits approval, has no effect outside it. Only
// init(), handlers, timers and exports act, and init() runs only once the
// module may go live. The trust model is written down in docs/trust.md.
//
// # Caveats
//
//   - An LState is owned by one goroutine; nothing else may touch it or any
//     LValue made by it. Values cross VMs only as copies (fromLua / toLua).
//   - A yield works only straight from the invocation's own coroutine. pcall,
//     xpcall and try are yield-transparent (the protected function runs as a
//     child coroutine); a waiting binding called under table.sort, a gsub
//     callback, a metamethod, an iterator or a script's own coroutine raises an
//     error instead of corrupting the call (see yieldable).
//   - The CPU budget (Config.HandlerBudget) is wall-clock time while the
//     invocation's Lua runs, summed over its slices; time spent waiting does
//     not count. On a machine with more busy VMs than cores a handler can be
//     stopped early, so keep the budget generous.
//   - There is no per-VM memory limit in gopher-lua: see Containment below.
//   - A Go panic that escapes gopher-lua marks the VM corrupt; a live module
//     is then rebuilt from its source by a reload, once per version (one
//     that panics while loading just fails).
//
// # Errors and warnings that say what was meant
//
//   - A parse error at the end of the file names the line of the block,
//     bracket, string or comment left open (unclosed.go).
//   - "attempt to call a non-function object" is rewritten on the error path
//     from the calls compiled on the failing line and the VM's globals:
//     "twitch.sendMessage is nil — did you mean twitch.send_message?"
//     (explain.go); indexing a nil name likewise ("twitc is nil (indexed
//     with 'send_message') — did you mean twitch?"). A CPU-budget cut names
//     the line that was running.
//   - At load, a static pass over the compiled code (lint.go) warns about
//     globals nobody defines and missing constant fields of the API tables,
//     with the nearest name. It reads instructions, not types: it warns only
//     where it is sure of the shape, never rejects a script, and its warnings
//     are on the module's status (InstanceStatus.Warnings) and in the log.
//   - A handler's error on an event is also an engine.script.error event
//     (errorevent.go), which the panel's chat console shows; a failing
//     handler of that event raises no other.
//
// # Limits: single Go calls, sizes and quotas
//
// No Go function a script can reach runs long or allocates past a cap in one
// call (gopher-lua checks the budget only between instructions):
//
//   - Compiling (script files, required files, load(), POST
//     /api/scripts/inspect): at most 256 KiB per chunk (maxSourceBytes), code
//     nested at most 200 levels (maxASTDepth), and constants costing the
//     compiler's linear constant search at most 2,000,000 comparisons
//     (maxConstWork), all checked on the AST before compiling.
//   - safelib: string results of rep, format (also %q), concat and gsub at
//     most 1 MiB; patterns 1,000,000 steps, depth 200, 16 KiB; unpack,
//     select and string.byte 8,000 values; table.sort 10,000,000 work units
//     (one per comparison plus one per KiB of string compared) with the
//     context checked every 1,024; os.date formats 256 bytes.
//   - A value copied out of a VM (store, emit, call, log fields, obs.call):
//     depth 32, 100,000 values, 4 MiB of strings and keys (maxValueBytes).
//   - Files a user can place (scripts/*.lua, module folders, test files)
//     are opened without blocking, must be regular files, and their size is
//     checked before reading (engine.ReadScriptFile): 1 MiB per module.
//   - store.update runs no Lua inside a bolt transaction: its function works
//     on an engine.StagedTx (reads remembered, writes staged in memory), then
//     one short durable bolt transaction checks that nothing read changed and
//     writes all or nothing; on a change the function runs again, at most 5
//     times (maxUpdateAttempts). store.* calls inside the function join the
//     staged transaction; a nested store.update is an error.
//   - A module's store space holds at most 16 MiB of keys and values
//     (engine.DefaultModuleQuota, Store.SetModuleQuota); a write past it is an
//     error naming the module and the quota (engine.QuotaError), a staged
//     transaction cannot stage more than that either. One store.keys or
//     tx.keys call lists at most 100,000 keys (maxKeysListed).
//   - Per-module quotas, each an error naming the module and the cap:
//     handlers (on_event and command) registered at once, 1,000
//     (Config.MaxHandlers), commands among them 200 (Config.MaxCommands);
//     event types listed by one on_event, 64 (maxTypesPerHandler); a
//     command's usage, cooldown_reply and description 500 bytes each, 32
//     aliases; module{} texts 4 KiB, its lists 64 entries; the text of one
//     twitch.send_message or twitch.reply, 4 KiB (maxChatText); a login
//     for twitch.user 64 bytes, an OBS scene, source or request name 1 KiB.
//   - Logs (log.*, print): a message keeps its first 4 KiB, a field its
//     first 1 KiB (tables are rendered only that far), a line 32 fields; a
//     module may log 64 KiB a second with bursts of 256 KiB. Past that its
//     lines are dropped until it has been quiet for a second; the log says so
//     once, and how many were dropped when lines pass again (scriptLog). The module's script errors share
//     that rate, and an error message keeps its first 4 KiB (maxErrorText)
//     in the status, the log and the error event.
//   - The chat sink (offline chat console, GET /api/chat) keeps per message
//     4 KiB of text and in all 256 KiB, dropping the oldest
//     (engine.MaxChatText, engine.MaxChatBytes).
//   - A Go function is never a coroutine's body: pcall(require, "x"),
//     coroutine.create(string.upper) and a Go function as a handler run
//     through a small Lua wrapper (luaBody), so their results are kept; the
//     wrapper's own position is dropped from their errors (withoutGoBody).
//
// # Containment: what runs where, under which budget
//
// No script, file or request can end the process, hang it, starve the other
// modules or outlive the engine. The runtime keeps these invariants:
//
//   - One gate. Every entry into Lua from Go goes through instance.gate:
//     resuming an invocation (handler, timer, export, top level, init(),
//     shutdown()), a Lua filter, an xpcall message handler (also one that
//     runs after a wait). The gate arms the CPU budget, times the slice,
//     feeds the module's CPU meter, and recovers a Go panic. Metamethods,
//     comparators and callbacks reached from Go run inside the slice that
//     called them, so under its budget. Nothing else calls Lua: Go reads
//     globals and fields raw (RawGet: init, shutdown, module{} fields,
//     handler options), so a metatable on _G runs nowhere but in Lua.
//   - One owner. Only the instance's goroutine touches its LState; it runs
//     one slice at a time; other goroutines post to its mailbox.
//   - The runtime's threads are its own. The thread of an invocation and the
//     children pcall/xpcall/try run on can never be resumed, yielded or
//     named from Lua: coroutine.* (coroutines.go) acts only on coroutines
//     the script made (create/wrap), reports their status (running, normal,
//     suspended, dead), refuses to resume a running or normal one, and
//     refuses a yield outside such a coroutine or across a Go call.
//   - Bounded Go recursion. Lua call depth is 200 frames per thread
//     (vmOptions), coroutines resuming coroutines nest at most 32 deep, and
//     yield-transparent pcall children nest at most 32 deep (deeper ones are
//     plain protected calls on the same thread).
//   - A stop preempts. Stop (unload, reload, SIGTERM) runs on the mailbox's
//     control lane, ahead of queued work: events delivered before it are
//     handled for at most 1 s (stopDrain), then dropped and counted;
//     shutdown() runs with its own budget of 500 ms of Lua and 2 s in all;
//     a slice still running at either deadline is cut; teardown runs once.
//     Both phases fit in Stop's context deadline; the engine gives all
//     modules 2.5 s on SIGTERM (app.StopTimeout), so the process ends in 5 s.
//   - Repeat offenders. Each cut of a started module's slice (CPU budget,
//     its CPU share, a VM panic) and each hit of a quota below is a strike;
//     5 strikes within a minute (kept per module name, across rebuilds)
//     quarantine the module through Registry.Quarantine: stopped, shown as
//     failed with the reason, until loaded again. Heap cuts are not
//     strikes (they stop whatever runs at that moment; see memory below),
//     nor are stops.
//
// Budgets and caps of one module:
//
//   - CPU: Config.HandlerBudget (default 1 s) of run time per invocation,
//     summed over its slices; a Lua filter has its own; shutdown() 500 ms.
//     Over all its invocations, chains included (timers re-arming
//     themselves, events it emits to its own handlers, calls to its own
//     exports), a module may use half a core on average with 5 s of credit
//     (cpuShare, cpuCredit); a slice that ends in debt is a strike.
//   - Invocations in progress (most asleep): Config.MaxRunning (1000); past
//     it new ones fail, so `return call("self.f", n + 1)` ends there. A
//     tail-called waiting binding keeps its invocation and its results.
//   - Mailbox: Config.MailboxSize events (10,000); past it events for that
//     module are dropped, counted and reported on its status.
//   - Timers: 256 alive; after() and every() at least 50 ms apart; sleep at
//     least 10 ms and at most an hour.
//   - Coroutines of the script: 1000 alive (finished or collected ones do
//     not count).
//   - Emits: Config.EmitRate a second (5,000, bursts of 10,000).
//   - call: 64 arguments and 64 results, sharing one copy budget; call
//     results on their way to a module at most 64 MiB (maxPendingBytes).
//   - Memory: the watchdog stops running slices when the Go heap passes
//     Config.HeapLimit; if a full GC does not bring it back, every module's
//     holdings are estimated and the largest holder (at least a quarter of
//     the limit) is stopped. A module's holdings are what its globals,
//     registry, handlers, timers and exports reach, the stacks of its
//     coroutines (invocations asleep, pcall children, its own coroutines),
//     the events queued in any mailbox that it emitted (each counted once;
//     events from outside count for the mailbox that holds them) and the
//     call results on their way to it.
package bindings
