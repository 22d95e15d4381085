package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
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
