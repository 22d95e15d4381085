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
//   - Doc: a binding's documentation; docs/lua-api.md and the editor stubs are
//     generated from Docs().
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
// the module stops. platformCall wraps this for twitch.* and obs.* calls.
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
//   - There is no per-VM memory limit in gopher-lua. Amplifiers (rep, format,
//     concat, gsub, unpack) are capped by safelib, and a watchdog stops running
//     handlers when the Go heap passes Config.HeapLimit. If a full GC does not
//     bring the heap back under the limit, each VM's reachable data is
//     estimated (estimateHeap, on its own goroutine) and the module holding the
//     most is stopped. The estimate does not see locals of suspended
//     coroutines, and a module sleeping on a huge local escapes it.
//   - A Go panic that escapes gopher-lua marks the VM corrupt; the module is
//     then rebuilt from its source by a reload.
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
//     transaction cannot stage more than that either.
//   - Per-module quotas, each an error naming the module and the cap:
//     handlers (on_event and command) registered at once, 1,000
//     (Config.MaxHandlers), commands among them 200 (Config.MaxCommands);
//     event types listed by one on_event, 64 (maxTypesPerHandler); a
//     command's usage, cooldown_reply and description 500 bytes each, 32
//     aliases; module{} texts 4 KiB, its lists 64 entries; the text of one
//     twitch.send_message or twitch.reply, 4 KiB (maxChatText).
//   - Logs (log.*, print): a message keeps its first 4 KiB, a field its
//     first 1 KiB (tables are rendered only that far), a line 32 fields; a
//     module may log 64 KiB a second with bursts of 256 KiB. Past that its
//     lines are dropped; the log says so once, and how many were dropped
//     when lines pass again (scriptLog).
//   - The chat sink (offline chat console, GET /api/chat) keeps per message
//     4 KiB of text and in all 256 KiB, dropping the oldest
//     (engine.MaxChatText, engine.MaxChatBytes).
//   - A Go function is never a coroutine's body: pcall(require, "x"),
//     coroutine.create(string.upper) and a Go function as a handler run
//     through a small Lua wrapper (luaBody), so their results are kept.
package bindings
