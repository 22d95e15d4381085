package bindings

// Doc describes one Lua binding for script authors: the API reference
// (docs/lua-api.md) and the editor type stubs are generated from these. Each
// belongs to a Group of the binding table (see Docs).
type Doc struct {
	Name       string // "twitch.send_message"
	Syntax     string // "twitch.send_message(text) -> ok, err"
	Context    string // where it may be called: "load" (top level), "handler" (handlers, timers, init, exports)
	Permission string // capability the module must declare, "" for none
	Yields     bool   // waits (the handler yields; others run meanwhile)
	Summary    string
	Section    string // the API reference's heading, from its group
}
