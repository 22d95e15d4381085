package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/platform/twitch/twitchtest"
)

func TestFlagsComeFromEnvironmentThenCommandLine(t *testing.T) {
	env := map[string]string{"STARSTREAMER_SCRIPTS": "/env/scripts", "STARSTREAMER_RELOAD_DEBOUNCE": "250ms", "STARSTREAMER_ADDR": "127.0.0.1:9999"}
	fs, o := newFlagSet(findCommand("run"))
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
	fs, _ := newFlagSet(findCommand("run"))
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
	fs, _ := newFlagSet(findCommand("run"))
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

func TestHelpCommandExitsZeroWithTheCommands(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errOut.String())
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "\n  "+c.name) {
				t.Errorf("%v does not list %q:\n%s", args, c.name, out.String())
			}
		}
	}
}

// Each command's --help (and `help COMMAND`) prints that command's usage
// and only the flags it reads.
func TestEachCommandHasItsOwnHelp(t *testing.T) {
	seen := map[string]string{}
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		var out, out2, errOut bytes.Buffer
		if code := run(context.Background(), append(strings.Fields(c.name), "--help"), &out, &errOut); code != 0 {
			t.Fatalf("%s --help: exit %d, stderr %s", c.name, code, errOut.String())
		}
		if code := run(context.Background(), append([]string{"help"}, strings.Fields(c.name)...), &out2, &errOut); code != 0 || out2.String() != out.String() {
			t.Errorf("help %s (exit %d) differs from %s --help", c.name, code, c.name)
		}
		text := out.String()
		if !strings.HasPrefix(text, "Usage: starstreamer "+c.name) {
			t.Errorf("%s --help starts %q", c.name, text[:min(len(text), 60)])
		}
		if other, ok := seen[text]; ok {
			t.Errorf("%s --help prints the same text as %s --help", c.name, other)
		}
		seen[text] = c.name
		fs, _ := newFlagSet(findCommand("run"))
		fs.VisitAll(func(f *flag.Flag) {
			listed := strings.Contains(text, "  -"+f.Name+" ") || strings.Contains(text, "  -"+f.Name+"\n")
			if listed != c.takes(f.Name) {
				t.Errorf("%s --help lists --%s: %v, but the command reads it: %v", c.name, f.Name, listed, c.takes(f.Name))
			}
		})
	}
}

func TestUnknownCommandsAndFlagsExitTwoSayingWhy(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"help", "frob"}, `no command "frob"`},
		{[]string{"twitch"}, "starstreamer twitch login"},
		{[]string{"token", "--scripts", "x"}, "`starstreamer token --help` lists its flags"},
		{[]string{"run", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tt.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}

// `starstreamer test scripts/dice.lua` runs the module's tests.
func TestTestCommandTakesAModuleFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"dice.lua":      "module { name = \"dice\", permissions = { \"twitch.chat\" } }\ncommand(\"!roll\", function(e) twitch.reply(e, \"rolled 4\") end)\n",
		"dice_test.lua": "test(\"rolls\", function(t) t.eq(t.chat(\"alice\", \"!roll\"), { \"rolled 4\" }) end)\n",
	}
	for name, code := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"test", filepath.Join(dir, "dice.lua")}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "dice_test.lua\t1 tests, 0 failed") {
		t.Errorf("report %q", out.String())
	}
}

// `starstreamer backup` writes a backup straight from the store when no
// engine runs, and asks the engine over its API when one holds the store.
func TestBackupCommandWithAndWithoutARunningEngine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data", "ss.db")
	s, err := engine.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("rpg", "bal:alice", []byte("42")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	checkBackup := func(out string) {
		t.Helper()
		path := strings.TrimSpace(out)
		if filepath.Dir(path) != filepath.Join(dir, "data", "backups") {
			t.Fatalf("backup at %q, want it in data/backups", path)
		}
		b, err := engine.OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if v, err := b.Get("rpg", "bal:alice"); err != nil || string(v) != "42" {
			t.Fatalf("backup holds %s, %v", v, err)
		}
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"backup", "--data", data}, &out, &errOut); code != 0 {
		t.Fatalf("backup without an engine: exit %d: %s", code, errOut.String())
	}
	checkBackup(out.String())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--data", data, "--scripts", filepath.Join(dir, "scripts"), "--addr", addr, "--obs-addr", "", "--log-level", "error"}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the engine did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"backup", "--data", data, "--addr", addr}, &out, &errOut); code != 0 {
		t.Fatalf("backup with a running engine: exit %d: %s", code, errOut.String())
	}
	checkBackup(out.String())
	all, err := engine.Backups(engine.BackupsDir(data))
	if err != nil || len(all) != 3 { // ours, the engine's at start, the engine's on request
		t.Errorf("backups %v, %v; want 3", all, err)
	}
}
func TestTokenPrintsTheTokenAndALoginLink(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data", "s.db")
	if err := os.MkdirAll(filepath.Dir(data), 0o755); err != nil {
		t.Fatal(err)
	}
	// Stopped engine: the token on stdout, a hint (no link) on stderr.
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "--data", data}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	tok := strings.TrimSpace(out.String())
	if len(tok) != 64 || strings.Count(out.String(), "\n") != 1 || !strings.Contains(errOut.String(), "not running") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	// Running engine (it holds the store and wrote the token file): stdout is
	// still only the token, stderr has a one-time login link made from it.
	store, err := engine.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := os.WriteFile(app.TokenFile(data), []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"token", "--data", data, "--addr", "127.0.0.1:9999"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if out.String() != tok+"\n" || !strings.Contains(errOut.String(), "http://127.0.0.1:9999/login?code=") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}
