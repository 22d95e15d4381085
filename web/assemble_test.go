package web_test

import (
	"time"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/web"
)

// The tests of package web run against a whole engine with the real Lua
// runtime, built the way the command builds it, through app.New. web itself
// may not import the runtime (tests included), so this external file does.
func init() {
	web.Assemble = func(c web.TestCore) (web.TestCore, error) {
		e, err := app.New(app.Config{
			Scripts: c.Dir, Overlays: c.Overlays, Data: c.Data, Logger: c.Log, LoadTimeout: 3 * time.Second,
			HandlerTimeout: 500 * time.Millisecond, Addr: "127.0.0.1:8888", Web: c.Config,
		})
		if err != nil {
			return c, err
		}
		c.Server, c.Registry, c.Bus, c.Store, c.Chat, c.Close = e.Web, e.Registry, e.Bus, e.Store, e.Chat, e.Close
		c.Overlay = e.Overlays
		return c, nil
	}
}
