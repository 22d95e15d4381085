package connections

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/twitch"
)

func newStore(t *testing.T) *engine.Store {
	t.Helper()
	s, err := engine.OpenStore(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestOBSTargetPrecedence: a flag wins over the panel's setting, which wins
// over the default address.
func TestOBSTargetPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		flags    Flags
		stored   func(*settings)
		wantAddr string
		wantPass string
		wantOn   bool
	}{
		{"nothing: the default address", Flags{OBSDefaultAddr: "127.0.0.1:4455"}, nil, "127.0.0.1:4455", "", true},
		{"nothing and no default: off", Flags{}, nil, "", "", false},
		{"stored beats the default", Flags{OBSDefaultAddr: "127.0.0.1:4455"},
			func(s *settings) { s.OBS.Set, s.OBS.Addr, s.OBS.Password = true, "10.0.0.2:4455", "pw" }, "10.0.0.2:4455", "pw", true},
		{"stored off", Flags{OBSDefaultAddr: "127.0.0.1:4455"},
			func(s *settings) { s.OBS.Set, s.OBS.Addr, s.OBS.Off = true, "10.0.0.2:4455", true }, "10.0.0.2:4455", "", false},
		{"a flag beats what is stored", Flags{OBSAddr: "127.0.0.1:9999", OBSAddrSet: true, OBSPassword: "flagpw", OBSPasswordSet: true},
			func(s *settings) { s.OBS.Set, s.OBS.Addr, s.OBS.Password = true, "10.0.0.2:4455", "pw" }, "127.0.0.1:9999", "flagpw", true},
		{"an empty --obs-addr turns OBS off", Flags{OBSAddrSet: true, OBSDefaultAddr: "127.0.0.1:4455"}, nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore(t)
			if tt.stored != nil {
				var s settings
				tt.stored(&s)
				if err := store.SetSetting(SettingsSetting, s); err != nil {
					t.Fatal(err)
				}
			}
			m, err := New(Config{Store: store, Flags: tt.flags})
			if err != nil {
				t.Fatal(err)
			}
			addr, pass, on := m.obsTarget()
			if addr != tt.wantAddr || pass != tt.wantPass || on != tt.wantOn {
				t.Fatalf("obsTarget = %q, %q, %v; want %q, %q, %v", addr, pass, on, tt.wantAddr, tt.wantPass, tt.wantOn)
			}
			st := m.Status().OBS
			if st.HasPassword != (tt.wantPass != "") {
				t.Errorf("has_password = %v", st.HasPassword)
			}
		})
	}
}

func TestTokenStoreForgetsWithAnEmptyPair(t *testing.T) {
	ts := TokenStore{Store: newStore(t)}
	if _, ok, err := ts.LoadTokens(); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	if err := ts.SaveTokens(twitch.Tokens{AccessToken: "a", RefreshToken: "r", Login: "x"}); err != nil {
		t.Fatal(err)
	}
	if tok, ok, _ := ts.LoadTokens(); !ok || tok.AccessToken != "a" {
		t.Fatalf("after save: %v %v", tok, ok)
	}
	if err := ts.SaveTokens(twitch.Tokens{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ts.LoadTokens(); ok {
		t.Fatal("an empty pair counts as a login")
	}
}

func TestChangesRefusedByFlagsOrInput(t *testing.T) {
	m, err := New(Config{Store: newStore(t), Flags: Flags{TwitchToken: "tok", TwitchChannel: "chan", OBSPassword: "p", OBSPasswordSet: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ce *ConflictError
	var ie *InputError
	if _, err := m.StartTwitchLogin(ctx); !errors.As(err, &ce) || ce.Flag != "--twitch-token" {
		t.Errorf("login with --twitch-token: %v", err)
	}
	if err := m.LogoutTwitch(ctx); !errors.As(err, &ce) {
		t.Errorf("logout with --twitch-token: %v", err)
	}
	if err := m.SetTwitch(ctx, "cid", "other"); !errors.As(err, &ce) || ce.Field != "channel" {
		t.Errorf("another channel than the flag's: %v", err)
	}
	other := "q"
	if _, err := m.SetOBS(ctx, "127.0.0.1:4455", &other); !errors.As(err, &ce) || ce.Field != "password" {
		t.Errorf("another password than the flag's: %v", err)
	}
	if _, err := m.SetOBS(ctx, "127.0.0.1", nil); !errors.As(err, &ie) || ie.Field != "addr" {
		t.Errorf("an address without a port: %v", err)
	}
	if st := m.Status().Twitch; st.State != StateNotConfigured || len(st.Fixed) != 2 {
		t.Errorf("twitch status = %+v", st)
	}
}
