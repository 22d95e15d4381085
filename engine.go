package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/stdlib"
	"github.com/starstreamer/starstreamer/web"
)

// knownBots are chat bots filter.not_bot() skips besides our own login.
var knownBots = []string{"nightbot", "streamelements", "streamlabs", "moobot", "fossabot", "wizebot", "soundalerts", "sery_bot"}

// runEngine wires the engine together and runs it until ctx is cancelled:
// store -> bus -> platforms -> Lua runtime -> registry (modules) -> watcher -> web.
// On the way out, every module's shutdown() runs and the store is closed.
func runEngine(ctx context.Context, o *options, log *slog.Logger) error {
	started := time.Now()
	if err := checkAddr(o.addr, o.allowRemote); err != nil {
		return err
	}
	if err := os.MkdirAll(o.scripts, 0o755); err != nil {
		return fmt.Errorf("scripts folder %s: %w", o.scripts, err)
	}
	store, err := engine.OpenStore(o.data)
	if err != nil {
		return err
	}
	defer store.Close()

	bus := engine.NewBus(engine.BusOptions{Logger: log})
	chat := engine.NewChatSink(200, bus)
	emitFrom := func(source string) func(string, map[string]any) {
		return func(typ string, data map[string]any) {
			if err := bus.Emit(&engine.Event{Type: typ, Data: data, Source: source}); err != nil {
				log.Warn("platform event refused", "source", source, "type", typ, "err", err)
			}
		}
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// runClient runs a platform client until ctx ends; it reconnects by itself,
	// so an error here means it could not start at all.
	runClient := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error(name+" stopped", "err", err)
			}
		}()
	}

	bots := append([]string{}, knownBots...)
	var tw bindings.Twitch
	var botLogin func() string
	platform := map[string]func() string{}
	if o.twitchClientID != "" && o.twitchChannel != "" {
		client, err := twitch.New(twitchConfig(o, log), tokenStore{store}, emitFrom("twitch"))
		if err != nil {
			return err
		}
		tw = twitchAdapter{c: client, sink: chat}
		channel := strings.ToLower(strings.TrimPrefix(o.twitchChannel, "#"))
		botLogin = func() string {
			// the broadcaster's own account chats as the bot: its login says
			// nothing, and data.from_bot marks the bot's lines
			if l := client.BotLogin(); l != channel {
				return l
			}
			return ""
		}
		platform["twitch"] = func() string { return connState(client.Connected()) }
		runClient("twitch", client.Run)
	} else {
		log.Info("Twitch is not configured (--twitch-client-id and --twitch-channel): offline, bot messages go to the panel's chat console")
		platform["twitch"] = func() string { return "offline" }
	}
	var obsAPI bindings.OBS
	if o.obsAddr != "" {
		client := obs.New(obs.Config{Addr: o.obsAddr, Password: o.obsPassword, Logger: log.With("platform", "obs")}, emitFrom("obs"))
		obsAPI = client
		platform["obs"] = func() string { return connState(client.Connected()) }
		runClient("obs", client.Run)
	} else {
		log.Info("OBS is off (--obs-addr is empty)")
		platform["obs"] = func() string { return "offline" }
	}

	rt := bindings.NewRuntime(bindings.Config{
		Bus: bus, Store: store, Logger: log, Chat: chat,
		HandlerBudget: o.handlerTimeout, HeapLimit: uint64(o.heapLimitMiB) << 20,
		Twitch: tw, OBS: obsAPI, BotNames: bots, BotLogin: botLogin, Stdlib: stdlib.Source,
	})
	reg := engine.NewRegistry(engine.RegistryConfig{Dir: o.scripts, Bus: bus, Store: store, Loader: rt, Logger: log})
	defer reg.StopAll(context.Background())

	srv, err := web.New(web.Config{
		Addr: o.addr, AllowRemote: o.allowRemote, Registry: reg, Bus: bus, Store: store, Chat: chat, Logger: log,
		Platforms: func() map[string]string {
			out := map[string]string{}
			for k, f := range platform {
				out[k] = f()
			}
			return out
		},
	})
	if err != nil {
		return err
	}
	if err := writeTokenFile(o.data, store); err != nil {
		log.Warn("cannot write the API token file; `starstreamer token` works only while the engine is stopped", "err", err)
	}
	// Listen before loading modules, so that the API answers at once.
	webErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		webErr <- srv.Run(ctx)
	}()

	running, err := reg.LoadAll(ctx)
	if err != nil {
		return err
	}
	watcher, err := engine.NewWatcher(o.scripts, o.reloadDebounce, log, func(module string) { reg.FileChanged(ctx, module) })
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		watcher.Run(ctx)
	}()
	log.Info("starstreamer is running", "panel", "http://"+o.addr+"/", "modules", running, "scripts", o.scripts, "data", o.data, "startup_ms", time.Since(started).Milliseconds())

	select {
	case <-ctx.Done():
		log.Info("shutting down: running the modules' shutdown()")
		return nil
	case err := <-webErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("web panel: %w", err)
		}
		return nil
	}
}

func connState(ok bool) string {
	if ok {
		return "connected"
	}
	return "disconnected"
}

// checkAddr refuses a non-loopback panel address unless allowed, and warns when it is.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if !allowRemote {
		return fmt.Errorf("--addr %s is not a loopback address: the panel would be reachable from the network; add --allow-remote if you really want that", addr)
	}
	slog.Warn("the web panel listens on a non-loopback address: anyone who can reach it and has the token can control the engine", "addr", addr)
	return nil
}

// tokenFile is where a running engine leaves the API token (mode 0600) for
// `starstreamer token`, which cannot open the store while the engine holds it.
func tokenFile(data string) string { return filepath.Join(filepath.Dir(data), "api-token") }

func writeTokenFile(data string, store *engine.Store) error {
	tok, err := web.Token(store)
	if err != nil {
		return err
	}
	return os.WriteFile(tokenFile(data), []byte(tok+"\n"), 0o600)
}

func printToken(o *options, stdout io.Writer) error {
	store, err := engine.OpenStore(o.data)
	if err != nil {
		// the engine is running and holds the store: it wrote the token file
		if b, ferr := os.ReadFile(tokenFile(o.data)); ferr == nil {
			fmt.Fprint(stdout, string(b))
			return nil
		}
		return err
	}
	defer store.Close()
	tok, err := web.Token(store)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func twitchLogin(ctx context.Context, o *options, stdout io.Writer) error {
	if o.twitchClientID == "" {
		return errors.New("twitch login needs --twitch-client-id (or STARSTREAMER_TWITCH_CLIENT_ID): create an application at dev.twitch.tv with the 'Public' client type and device code flow")
	}
	store, err := engine.OpenStore(o.data)
	if err != nil {
		return err
	}
	defer store.Close()
	return twitch.DeviceLogin(ctx, twitchConfig(o, slog.Default()), tokenStore{store}, stdout)
}

func twitchConfig(o *options, log *slog.Logger) twitch.Config {
	return twitch.Config{
		ClientID: o.twitchClientID, Channel: o.twitchChannel, Token: o.twitchToken,
		AuthURL: o.twitchAuthURL, APIURL: o.twitchAPIURL, EventSubURL: o.twitchWSURL, SubscriptionsURL: o.twitchSubsURL,
		Logger: log.With("platform", "twitch"),
	}
}

// tokenStore keeps the Twitch tokens in the engine's store.
type tokenStore struct{ s *engine.Store }

const twitchTokensKey = "twitch_tokens"

func (t tokenStore) LoadTokens() (twitch.Tokens, bool, error) {
	var tok twitch.Tokens
	err := t.s.Setting(twitchTokensKey, &tok)
	if errors.Is(err, engine.ErrNotFound) {
		return tok, false, nil
	}
	return tok, err == nil, err
}

func (t tokenStore) SaveTokens(tok twitch.Tokens) error { return t.s.SetSetting(twitchTokensKey, tok) }

// twitchAdapter presents the Twitch client as the bindings' Twitch. Sent chat
// messages are also recorded in the chat sink, so the panel's console shows them.
type twitchAdapter struct {
	c    *twitch.Client
	sink *engine.ChatSink
}

func (a twitchAdapter) SendMessage(ctx context.Context, text string) error {
	err := a.c.SendMessage(ctx, text)
	if err == nil {
		a.sink.Add(engine.ChatMessage{Module: bindings.ModuleFrom(ctx), Text: text, Online: true})
	}
	return err
}

func (a twitchAdapter) Reply(ctx context.Context, parent, text string) error {
	err := a.c.Reply(ctx, parent, text)
	if err == nil {
		a.sink.Add(engine.ChatMessage{Module: bindings.ModuleFrom(ctx), Text: text, ReplyTo: parent, Online: true})
	}
	return err
}

func (a twitchAdapter) CreateClip(ctx context.Context) (bindings.TwitchClip, error) {
	c, err := a.c.CreateClip(ctx)
	return bindings.TwitchClip{ID: c.ID, URL: c.URL, EditURL: c.EditURL}, err
}

func (a twitchAdapter) Stream(ctx context.Context) (bindings.TwitchStream, error) {
	s, err := a.c.Stream(ctx)
	return bindings.TwitchStream{Live: s.Live, StartedAt: s.StartedAt, Title: s.Title, Game: s.Game, Viewers: s.Viewers}, err
}

func (a twitchAdapter) User(ctx context.Context, login string) (bindings.TwitchUser, error) {
	u, err := a.c.User(ctx, login)
	return bindings.TwitchUser{ID: u.ID, Login: u.Login, DisplayName: u.DisplayName}, err
}
