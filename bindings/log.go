package bindings

import (
	"context"
	"log/slog"

	lua "github.com/yuin/gopher-lua"
)

var logDocs = []Doc{
	{Name: "log.info", Syntax: "log.info(msg [, fields])", Context: "anywhere", Summary: "Logs msg at info level with the module's name, the calling line and the fields table."},
	{Name: "log.debug", Syntax: "log.debug(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at debug level (shown with --log-level debug)."},
	{Name: "log.warn", Syntax: "log.warn(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at warn level."},
	{Name: "log.error", Syntax: "log.error(msg [, fields])", Context: "anywhere", Summary: "Like log.info, at error level."},
}

func (in *instance) installLog(L *lua.LState) {
	t := L.NewTable()
	for name, lvl := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			msg := L.ToStringMeta(L.Get(1)).String()
			if len(msg) > 4096 {
				msg = msg[:4096] + "…"
			}
			attrs := []any{"module", in.name, "at", callerWhere(L)}
			if ft, ok := L.Get(2).(*lua.LTable); ok {
				if v, err := fromLua(ft); err == nil {
					if m, ok := v.(map[string]any); ok {
						for _, k := range sortedKeys(m) {
							attrs = append(attrs, k, m[k])
						}
					} else {
						attrs = append(attrs, "fields", v)
					}
				}
			}
			in.rt.log.Log(context.Background(), lvl, msg, attrs...)
			return 0
		}))
	}
	L.SetGlobal("log", t)
}
