package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

func TestFlagsComeFromEnvironmentThenCommandLine(t *testing.T) {
	env := map[string]string{"STARSTREAMER_SCRIPTS": "/env/scripts", "STARSTREAMER_RELOAD_DEBOUNCE": "250ms", "STARSTREAMER_ADDR": "127.0.0.1:9999"}
	fs, o := newFlagSet("t", io.Discard)
	if err := parseFlags(fs, []string{"--addr", "127.0.0.1:7777"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if o.scripts != "/env/scripts" || o.reloadDebounce != 250*time.Millisecond || o.addr != "127.0.0.1:7777" {
		t.Fatalf("got scripts=%s debounce=%v addr=%s", o.scripts, o.reloadDebounce, o.addr)
	}
	if o.data != "./data/starstreamer.db" || o.handlerTimeout != time.Second || o.obsAddr != "127.0.0.1:4455" {
		t.Fatalf("defaults changed: %+v", o)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	fs, _ := newFlagSet("t", io.Discard)
	err := parseFlags(fs, nil, func(k string) string {
		if k == "STARSTREAMER_HANDLER_TIMEOUT" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "STARSTREAMER_HANDLER_TIMEOUT") {
		t.Fatalf("err = %v", err)
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	fs, _ := newFlagSet("t", io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(out.String(), "-"+f.Name) {
			t.Errorf("--help does not list --%s", f.Name)
		}
	})
}

// TestTwitchLoginUsesTheClientIDSavedOnThePanel: `starstreamer twitch login`
// without --twitch-client-id takes the one the Connections page saved.
func TestTwitchLoginUsesTheClientIDSavedOnThePanel(t *testing.T) {
	tw := twitchtest.New(twitchtest.Options{DeviceInterval: 1})
	t.Cleanup(tw.Close)
	tw.SetDeviceFlow(twitchtest.DeviceFlow{Token: twitchtest.Token{Access: "cli-access", Refresh: "cli-refresh", UserID: "1", Login: "me", Scopes: twitch.Scopes}})
	data := filepath.Join(t.TempDir(), "ss.db")
	store, err := engine.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := connections.New(connections.Config{Store: store})
	if err == nil {
		err = m.SetTwitch(context.Background(), "panelclient", "me")
	}
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"twitch", "login", "--data", data, "--twitch-auth-url", tw.AuthURL()}, &out, &errOut); code != 0 {
		t.Fatalf("twitch login: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if dev := tw.CallsTo("POST", "/oauth2/device"); len(dev) != 1 || !strings.Contains(dev[0].Body, "client_id=panelclient") {
		t.Fatalf("device requests: %+v", dev)
	}
	store, err = engine.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if tok, ok, _ := (connections.TokenStore{Store: store}).LoadTokens(); !ok || tok.Login != "me" {
		t.Fatalf("stored login = %v, %v", tok, ok)
	}
}
