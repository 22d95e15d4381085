package bindings

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// quotaHit records that the module ran into the cap on what; msg is the
// error the script gets (it is raised to the script as well).
func (in *instance) quotaHit(what, msg string) {
	in.strike("the cap on " + what + ": " + msg)
}

// strike counts one offence; the maxStrikes-th within strikeWindow
// quarantines the module (owner goroutine). Strikes are kept per module
// name, so that a rebuild (a VM that panicked is reloaded) does not start the
// count over.
func (in *instance) strike(reason string) {
	if in.quarantined || in.stopAsked || in.exiting || !in.started.Load() {
		return
	}
	if n := in.rt.offences.add(in.name, time.Now()); n < maxStrikes {
		return
	}
	in.quarantined = true
	in.rt.offences.forget(in.name) // loaded again by hand, it starts afresh
	why := fmt.Sprintf("quarantined: cut %d times within %v; the last time: %s (fix the script, then load it again)", maxStrikes, strikeWindow, reason)
	in.rt.log.Error("module quarantined", "module", in.name, "reason", why)
	if in.reg != nil {
		go in.reg.Quarantine(context.Background(), in.name, why)
	}
}

// offences are the recent strikes of each module.
type offences struct {
	mu sync.Mutex
	m  map[string][]time.Time
}

// add records a strike at now and returns the module's strikes within the window.
func (o *offences) add(module string, now time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string][]time.Time{}
	}
	kept := o.m[module][:0]
	for _, t := range o.m[module] {
		if now.Sub(t) < strikeWindow {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	o.m[module] = kept
	return len(kept)
}

func (o *offences) forget(module string) {
	o.mu.Lock()
	delete(o.m, module)
	o.mu.Unlock()
}

// A module may use on average cpuShare of one core, with cpuCredit of
// credit for bursts. Chains of invocations the module starts itself (timers
// re-arming themselves, events it emits to its own handlers, calls to its
// own exports) each stay within the per-invocation budget, yet together can
// keep a core busy forever: they all draw on this one meter.
const (
	cpuShare  = 0.5
	cpuCredit = 5 * time.Second
)

// cpuMeter is the module's CPU credit (owner goroutine).
type cpuMeter struct {
	credit time.Duration
	at     time.Time
}

// spend draws used from the module's CPU credit; a slice that ends in debt
// is a strike.
func (in *instance) spend(now time.Time, used time.Duration) {
	m := &in.cpu
	if m.at.IsZero() {
		m.credit = cpuCredit
	} else {
		m.credit = min(cpuCredit, m.credit+time.Duration(float64(now.Sub(m.at))*cpuShare))
	}
	m.at = now
	m.credit -= used
	if m.credit < 0 {
		m.credit = 0
		in.strike(fmt.Sprintf("it used more than %.0f%% of a CPU core for longer than %v", cpuShare*100, cpuCredit))
	}
}
