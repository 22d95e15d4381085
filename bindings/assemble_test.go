package bindings_test

import (
	"time"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/bindings"
)

// The tests of package bindings build their engine the way the command does,
// through app.New; app imports bindings, so only an external test file can.
func init() {
	bindings.Assemble = func(c bindings.TestCore) (bindings.TestCore, error) {
		e, err := app.New(app.Config{
			Scripts: c.Dir, Data: c.Data, Logger: c.Log, Chat: c.Chat, NoWeb: true,
			LoadTimeout: 2 * time.Second, Runtime: c.Config,
		})
		if err != nil {
			return c, err
		}
		c.Runtime, c.Registry, c.Bus, c.Store, c.Close = e.Runtime, e.Registry, e.Bus, e.Store, e.Close
		return c, nil
	}
}
