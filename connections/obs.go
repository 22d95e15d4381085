package connections

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/platform/obs"
)

// obsTarget is the effective OBS address and password, and whether OBS is on.
func (m *Manager) obsTarget() (addr, password string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fl, s := m.cfg.Flags, m.set.OBS
	switch {
	case fl.OBSAddrSet:
		addr, on = fl.OBSAddr, fl.OBSAddr != ""
	case s.Set:
		addr, on = s.Addr, s.Addr != "" && !s.Off
	default:
		addr = fl.OBSDefaultAddr
		on = addr != ""
	}
	password = s.Password
	if fl.OBSPasswordSet {
		password = fl.OBSPassword
	}
	return addr, password, on
}

// startOBS starts a client when OBS is on (m.op held, none running).
func (m *Manager) startOBS() {
	m.mu.Lock()
	ctx := m.ctx
	m.mu.Unlock()
	if ctx == nil || m.cfg.OBSOff {
		return
	}
	addr, password, on := m.obsTarget()
	if !on {
		m.log.Info("OBS is off: connect it on the panel's Connections page (or set --obs-addr)")
		return
	}
	cfg := m.cfg.OBS
	cfg.Addr, cfg.Password = addr, password
	if cfg.Logger == nil {
		cfg.Logger = m.cfg.Logger.With("platform", "obs")
	}
	c := obs.New(cfg, m.emit("obs"))
	c.OnChange(m.notify)
	rctx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	m.obsRun = r
	m.mu.Unlock()
	m.obs.Store(c)
	m.goRun(func() {
		defer close(r.done)
		if err := c.Run(rctx); err != nil {
			m.log.Error("obs stopped", "err", err)
		}
	})
	m.notify()
}

// stopOBS stops the running client, if any (m.op held).
func (m *Manager) stopOBS() {
	m.mu.Lock()
	r := m.obsRun
	m.obsRun = nil
	m.mu.Unlock()
	r.stop()
	m.obs.Store(nil)
}

// SetOBS stores the OBS address and password (nil: keep the stored one) and
// connects with them, replacing the current connection. It waits up to
// ConnectWait for the first attempt and returns the state then: connected,
// or an error saying why not (the client keeps retrying).
func (m *Manager) SetOBS(ctx context.Context, addr string, password *string) (OBSStatus, error) {
	addr = strings.TrimSpace(addr)
	fl := m.cfg.Flags
	if fl.OBSAddrSet && addr != fl.OBSAddr {
		return OBSStatus{}, &ConflictError{"addr", "--obs-addr"}
	}
	if fl.OBSPasswordSet && password != nil && *password != fl.OBSPassword {
		return OBSStatus{}, &ConflictError{"password", "--obs-password"}
	}
	if err := checkAddr(addr); err != nil {
		return OBSStatus{}, err
	}
	m.op.Lock()
	m.mu.Lock()
	next := m.set
	next.OBS.Set, next.OBS.Addr, next.OBS.Off = true, addr, false
	if password != nil {
		next.OBS.Password = *password
	}
	m.mu.Unlock()
	if err := m.cfg.Store.SetSetting(SettingsSetting, next); err != nil {
		m.op.Unlock()
		return OBSStatus{}, fmt.Errorf("saving the OBS settings: %w", err)
	}
	m.stopOBS()
	m.mu.Lock()
	m.set = next
	m.mu.Unlock()
	m.log.Info("obs settings changed", "addr", addr, "password_set", next.OBS.Password != "")
	changed := make(chan struct{}, 1)
	defer m.OnChange(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})()
	m.startOBS()
	c := m.obs.Load()
	m.op.Unlock()

	timer := time.NewTimer(m.cfg.ConnectWait)
	defer timer.Stop()
	for c != nil {
		if st := c.Status(); st.Connected || st.LastError != nil {
			break
		}
		select {
		case <-changed:
		case <-timer.C:
			return m.obsStatus(), nil
		case <-ctx.Done():
			return m.obsStatus(), nil
		}
	}
	return m.obsStatus(), nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return &InputError{"addr", fmt.Sprintf("%q is not host:port (OBS's default is %s)", addr, obs.DefaultAddr)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return &InputError{"addr", fmt.Sprintf("port %q is not a number from 1 to 65535", port)}
	}
	return nil
}

// DisconnectOBS turns OBS off (and remembers it) until SetOBS.
func (m *Manager) DisconnectOBS() error {
	if m.cfg.Flags.OBSAddrSet {
		return &ConflictError{"addr", "--obs-addr"}
	}
	m.op.Lock()
	defer m.op.Unlock()
	addr, _, _ := m.obsTarget()
	m.mu.Lock()
	next := m.set
	next.OBS.Set, next.OBS.Addr, next.OBS.Off = true, addr, true
	m.mu.Unlock()
	if err := m.cfg.Store.SetSetting(SettingsSetting, next); err != nil {
		return fmt.Errorf("saving the OBS settings: %w", err)
	}
	m.stopOBS()
	m.mu.Lock()
	m.set = next
	m.mu.Unlock()
	m.log.Info("obs turned off from the panel")
	m.notify()
	return nil
}

func (m *Manager) obsStatus() OBSStatus {
	addr, password, on := m.obsTarget()
	st := OBSStatus{Addr: addr, HasPassword: password != "", Fixed: []string{}}
	if m.cfg.Flags.OBSAddrSet {
		st.Fixed = append(st.Fixed, "addr")
	}
	if m.cfg.Flags.OBSPasswordSet {
		st.Fixed = append(st.Fixed, "password")
	}
	c := m.obs.Load()
	if !on || c == nil {
		st.State = StateOffline
		return st
	}
	cs := c.Status()
	st.OBSVersion, st.WebSocketVersion = cs.OBSVersion, cs.WebSocketVersion
	if !cs.Since.IsZero() {
		since := cs.Since
		st.Since = &since
	}
	switch {
	case cs.Connected:
		st.State = StateConnected
	case cs.LastError != nil:
		st.State, st.LastError = StateError, cs.LastError.Error()
	default:
		st.State = StateConnecting
	}
	return st
}
