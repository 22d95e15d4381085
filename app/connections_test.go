package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
)

// TestHoldersWithoutClients: with nothing connected, the Twitch holder sends
// chat to the console and the OBS holder fails fast with a clear error.
func TestHoldersWithoutClients(t *testing.T) {
	store, err := engine.OpenStore(filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m, err := connections.New(connections.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	sink := engine.NewChatSink(10, nil)
	tw := twitchHolder{m: m, sink: sink}
	ctx := context.Background()
	if err := tw.SendMessage(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	if got := sink.Recent(); len(got) != 1 || got[0].Text != "hi" || got[0].Online {
		t.Fatalf("chat sink = %+v", got)
	}
	if login, _ := tw.BotAccount(); login != "" {
		t.Error("a bot login with no client")
	}
	ob := obsHolder{m: m}
	if err := ob.SetScene(ctx, "A"); !errors.Is(err, ErrOBSNotConnected) {
		t.Fatalf("SetScene with OBS off: %v", err)
	}
	if _, err := ob.Call(ctx, "GetVersion", nil); !errors.Is(err, ErrOBSNotConnected) {
		t.Fatalf("Call with OBS off: %v", err)
	}
}
