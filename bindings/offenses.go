package bindings

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Repeat offenders: a module whose Lua is cut again and again (CPU budget,
// memory limit, a quota) is quarantined, so that it stops burning CPU and
// flooding the log while the stream goes on.
const (
	maxStrikes   = 5
	strikeWindow = time.Minute
)

// cut records that a slice of this module was stopped for reason (gate).
// Stops of the module itself are not the module's fault, and a heap cut
// stops whatever ran at that moment (memoryPressure finds the holder).
func (in *instance) cut(reason error) {
	if errors.Is(reason, errStopped) || errors.Is(reason, errHeap) || in.stopping {
		return
	}
	in.strike(reason.Error())
}

// quotaHit records that the module ran into the cap on what (a quota error is
// raised to the script as well).
func (in *instance) quotaHit(what string) {
	in.strike("it kept hitting the cap on " + what)
}

// strike counts one offence; the maxStrikes-th within strikeWindow
// quarantines the module (owner goroutine).
func (in *instance) strike(reason string) {
	if in.quarantined || in.stopping || in.exiting || !in.started.Load() {
		return
	}
	now := time.Now()
	kept := in.strikes[:0]
	for _, t := range in.strikes {
		if now.Sub(t) < strikeWindow {
			kept = append(kept, t)
		}
	}
	in.strikes = append(kept, now)
	if len(in.strikes) < maxStrikes {
		return
	}
	in.quarantined = true
	why := fmt.Sprintf("quarantined: cut %d times within %v; the last time: %s (fix the script, then load it again)", len(in.strikes), strikeWindow, reason)
	in.rt.log.Error("module quarantined", "module", in.name, "reason", why)
	if in.reg != nil {
		go in.reg.Quarantine(context.Background(), in.name, why)
	}
}
