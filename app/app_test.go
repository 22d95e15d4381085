package app

import (
	"log/slog"
	"testing"
)

func TestNonLoopbackAddressNeedsAllowRemote(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:8888", false, true},
		{"localhost:8888", false, true},
		{"[::1]:8888", false, true},
		{"0.0.0.0:8888", false, false},
		{"192.168.1.5:8888", false, false},
		{"0.0.0.0:8888", true, true},
	} {
		if err := checkAddr(tc.addr, tc.allow, slog.New(slog.DiscardHandler)); (err == nil) != tc.ok {
			t.Errorf("checkAddr(%s, %v) = %v", tc.addr, tc.allow, err)
		}
	}
}
