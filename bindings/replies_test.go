package bindings

import (
	"context"
	"testing"
	"time"
)

// gatedTwitch holds every reply until the test lets it through.
type gatedTwitch struct {
	OfflineTwitch
	gate chan struct{}
	sent chan string
}

func (g *gatedTwitch) Reply(ctx context.Context, _, text string) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.sent <- text
	return nil
}

// A reply the engine sends for a module (a usage line, a cooldown_reply)
// counts as running until it is sent, as a handler waiting on twitch.reply
// does: whoever waits for the module to be quiet (the script tests) no longer
// sees it quiet before the reply exists. The script test "!give refuses bad
// amounts" lost the usage reply about once in 21 runs that way.
func TestEngineRepliesCountAsRunningUntilSent(t *testing.T) {
	tw := &gatedTwitch{gate: make(chan struct{}), sent: make(chan string, 4)}
	te := newTestEngine(t, map[string]string{"u.lua": `module { name = "u", permissions = { "twitch.chat" } }
command("!give", { usage = "!give @user amount", min_args = 2, user_cooldown = 60,
                   cooldown_reply = "wait {remaining}" }, function() end)`},
		func(c *Config) { c.Twitch = tw })
	running := func() int {
		t.Helper()
		ins := te.rt.wd.instances()
		if len(ins) != 1 {
			t.Fatalf("%d instances", len(ins))
		}
		in := ins[0]
		if err := in.do(context.Background(), func() {}); err != nil { // the event has been handled
			t.Fatal(err)
		}
		return in.Status().Running
	}
	for _, tc := range []struct{ line, want string }{
		{"!give", "Usage: !give @user amount"},
		{"!give @a 1", ""}, // runs, takes the cooldown
		{"!give @a 2", "wait 1m"},
	} {
		te.chatLine(tc.line)
		if tc.want == "" {
			continue
		}
		if n := running(); n != 1 {
			t.Fatalf("%s: running = %d while the reply waits, want 1", tc.line, n)
		}
		tw.gate <- struct{}{}
		if got := <-tw.sent; got != tc.want {
			t.Fatalf("%s: reply %q, want %q", tc.line, got, tc.want)
		}
		deadline := time.Now().Add(5 * time.Second)
		for running() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still running after the reply was sent", tc.line)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
