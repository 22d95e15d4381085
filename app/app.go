package app

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
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/starstreamer/starstreamer/bindings"
	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/overlay"
	"github.com/starstreamer/starstreamer/platform/discord"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/stdlib"
	"github.com/starstreamer/starstreamer/web"
)

// Config is what the engine is built from. Main fills it from the command
// line; tests fill the fields they need (zero values are the defaults).
type Config struct {
	Scripts string        // the modules' folder (created if missing)
	Data    string        // the store file (bbolt); ignored when Store is set
	Store   *engine.Store // an already open store to use; the engine does not close it

	Addr         string   // panel and API address; non-loopback needs AllowRemote
	AllowRemote  bool     // allow a non-loopback Addr (logged as a warning)
	AllowedHosts []string // extra host names the panel answers to

	ReloadDebounce time.Duration // quiet time after a save before reloading
	HandlerTimeout time.Duration // CPU budget of one handler invocation (0: the runtime's default)
	HeapLimit      uint64        // bytes of Go heap before running handlers are stopped (0: default)
	LoadTimeout    time.Duration // top level + init() of one module (0: the registry's default)

	// BackupKeep is how many rotating backups of the store Run keeps in
	// BackupsDir(Data): one at start and one a day (0: engine.DefaultBackupKeep,
	// negative: none). Only a store the engine opened itself is backed up.
	BackupKeep int

	// Twitch is the base of every Twitch client (endpoints, knobs). Its
	// ClientID, Channel and Token, when set, come from flags: they win over
	// what the panel's Connections page stored and are read-only there.
	// Twitch connects once it has a client id, a channel and a login.
	Twitch twitch.Config
	// OBS is the base of every OBS client. Its Addr and Password, when set,
	// come from flags and win over the panel's settings (read-only there);
	// OBSOff (an empty --obs-addr given) keeps OBS off. With neither a flag
	// nor a stored setting, OBS is tried at OBSDefault ("": stays off until
	// connected from the panel).
	OBS        obs.Config
	OBSOff     bool
	OBSDefault string

	// Discord is the Discord bot's configuration; without a Token Discord
	// stays off (discord.* calls fail with a clear error). The token is a
	// secret: never logged, never shown by the panel.
	Discord discord.Config

	// Overlays is the folder of the browser-source overlays (one sub-folder
	// each; created, with the shipped alerts overlay, if missing); "" serves
	// none. Media is the folder of the images and sounds alerts may use
	// (default: media/ beside Overlays).
	Overlays string
	Media    string

	Logger *slog.Logger // nil: discard
	// Console is where Run prints the panel's one-time login link (not the
	// log: the link signs a browser in). nil: no link is printed.
	Console io.Writer

	// Seams for tests and the script test runner.

	// TwitchAPI and OBSAPI replace the platform clients (fakes); no client
	// is built for a platform whose API is given.
	TwitchAPI bindings.Twitch
	OBSAPI    bindings.OBS
	// Chat is the sink of sent chat messages (default: 200 messages, each
	// also emitted on the bus as engine.chat.sent).
	Chat *engine.ChatSink
	// Runtime, when set, makes last changes to the Lua runtime's config.
	Runtime func(*bindings.Config)
	// Loader, when set, wraps the Lua runtime as the registry's loader.
	Loader func(engine.Loader) engine.Loader
	// Web, when set, makes last changes to the panel's config; NoWeb builds
	// no panel at all.
	Web   func(*web.Config)
	NoWeb bool
}

// Engine is StarStreamer assembled: the parts in the order they are built.
// New builds them, Run runs them until its context ends, Close releases them.
type Engine struct {
	Store    *engine.Store
	Bus      *engine.Bus
	Chat     *engine.ChatSink
	Runtime  *bindings.Runtime
	Registry *engine.Registry
	Web      *web.Server      // nil with NoWeb
	Overlays *overlay.Manager // nil without Config.Overlays

	// Connections owns the Twitch and OBS clients and switches them at run
	// time (the panel's Connections page); Start starts it.
	Connections *connections.Manager
	// Discord is the Discord bot's client; nil when Discord is off.
	Discord *discord.Client

	cfg       Config
	log       *slog.Logger
	ownStore  bool
	platforms map[string]func() string
}

// New builds the engine: store -> bus -> platforms -> Lua runtime ->
// registry -> web. Nothing runs yet: no module is loaded, no client
// connects, nothing listens. The watcher is made by Run.
func New(cfg Config) (_ *Engine, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, log: log, platforms: map[string]func() string{}}
	if !cfg.NoWeb {
		if err := checkAddr(cfg.Addr, cfg.AllowRemote, log); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.Scripts, 0o755); err != nil {
		return nil, fmt.Errorf("scripts folder %s: %w", cfg.Scripts, err)
	}
	e.Store = cfg.Store
	if e.Store == nil {
		if e.Store, err = engine.OpenStore(cfg.Data); err != nil {
			return nil, err
		}
		e.ownStore = true
		defer func() {
			if err != nil {
				e.Store.Close()
			}
		}()
	}

	e.Bus = engine.NewBus(engine.BusOptions{Logger: log})
	e.Chat = cfg.Chat
	if e.Chat == nil {
		e.Chat = engine.NewChatSink(200, e.Bus)
	}

	if cfg.Overlays != "" {
		e.Overlays, err = overlay.New(overlay.Config{Dir: cfg.Overlays, MediaDir: cfg.Media, Bus: e.Bus, Store: e.Store, Logger: log})
		if err != nil {
			return nil, err
		}
	}

	rc := bindings.Config{
		Bus: e.Bus, Store: e.Store, Logger: log, Chat: e.Chat,
		HandlerBudget: cfg.HandlerTimeout, HeapLimit: cfg.HeapLimit,
		Twitch: cfg.TwitchAPI, OBS: cfg.OBSAPI,
		Stdlib: stdlib.Source,
	}
	if e.Overlays != nil {
		rc.Overlay = e.Overlays
	}
	if err := e.buildConnections(&rc); err != nil {
		return nil, err
	}
	if err := e.buildDiscord(&rc); err != nil {
		return nil, err
	}
	if cfg.Runtime != nil {
		cfg.Runtime(&rc)
	}
	e.Runtime = bindings.NewRuntime(rc)
	var loader engine.Loader = e.Runtime
	if cfg.Loader != nil {
		loader = cfg.Loader(loader)
	}
	e.Registry = engine.NewRegistry(engine.RegistryConfig{Dir: cfg.Scripts, Bus: e.Bus, Store: e.Store, Loader: loader, Logger: log, LoadTimeout: cfg.LoadTimeout})

	if !cfg.NoWeb {
		wc := web.Config{
			Addr: cfg.Addr, AllowRemote: cfg.AllowRemote, AllowedHosts: cfg.AllowedHosts,
			Registry: e.Registry, Bus: e.Bus, Store: e.Store, Chat: e.Chat, Logger: log,
			Platforms: e.platformStates, Connections: e.Connections,
			Permissions: webPermissions(),
		}
		if e.Overlays != nil {
			wc.Overlays = e.Overlays
		}
		if e.ownStore && cfg.BackupKeep >= 0 {
			wc.Backup = e.Backup
		}
		if cfg.Web != nil {
			cfg.Web(&wc)
		}
		if e.Web, err = web.New(wc); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// buildConnections makes the connection manager (from the flags and the
// stored settings) and hands the runtime holders that follow its clients. A
// platform whose fake is given (TwitchAPI, OBSAPI) uses the fake instead.
func (e *Engine) buildConnections(rc *bindings.Config) error {
	cfg := e.cfg
	base := cfg.Twitch
	flags := connections.Flags{
		TwitchClientID: base.ClientID, TwitchChannel: base.Channel, TwitchToken: base.Token,
		OBSAddr: cfg.OBS.Addr, OBSAddrSet: cfg.OBS.Addr != "" || cfg.OBSOff,
		OBSPassword: cfg.OBS.Password, OBSPasswordSet: cfg.OBS.Password != "",
		OBSDefaultAddr: cfg.OBSDefault,
	}
	if cfg.OBSOff {
		flags.OBSAddr = ""
	}
	if base.Logger == nil {
		base.Logger = e.log.With("platform", "twitch")
	}
	oc := cfg.OBS
	if oc.Logger == nil {
		oc.Logger = e.log.With("platform", "obs")
	}
	m, err := connections.New(connections.Config{
		Store: e.Store, Logger: e.log, Twitch: base, OBS: oc, Flags: flags,
		Emit: func(source, typ string, data map[string]any) { e.emitFrom(source)(typ, data) },
		Modules: func() []engine.ModuleState {
			if e.Registry == nil {
				return nil
			}
			return e.Registry.Modules()
		},
		TwitchOff: cfg.TwitchAPI != nil, OBSOff: cfg.OBSAPI != nil,
	})
	if err != nil {
		return err
	}
	e.Connections = m
	if cfg.TwitchAPI != nil {
		e.platforms["twitch"] = func() string { return "connected" }
	} else {
		h := twitchHolder{m: m, sink: e.Chat}
		rc.Twitch, rc.BotAccount = h, h.BotAccount
		e.platforms["twitch"] = func() string { return m.Status().Twitch.State }
	}
	if cfg.OBSAPI != nil {
		e.platforms["obs"] = func() string { return "connected" }
	} else {
		rc.OBS = obsHolder{m: m}
		e.platforms["obs"] = func() string { return m.Status().OBS.State }
	}
	return nil
}

// emitFrom is how a platform client puts its events on the bus.
func (e *Engine) emitFrom(source string) func(string, map[string]any) {
	return func(typ string, data map[string]any) {
		if err := e.Bus.Emit(&engine.Event{Type: typ, Data: data, Source: source}); err != nil {
			e.log.Warn("platform event refused", "source", source, "type", typ, "err", err)
		}
	}
}

func (e *Engine) platformStates() map[string]string {
	out := map[string]string{}
	for k, f := range e.platforms {
		out[k] = f()
	}
	return out
}

// StopTimeout bounds how long stopping the modules may take at the engine's
// exit (SIGTERM): with the panel's shutdown after it, the process ends within
// 5 s whatever the scripts do.
const StopTimeout = 2500 * time.Millisecond

// Close stops every module (running its shutdown()), the panel's live feed,
// and closes the store when the engine opened it.
func (e *Engine) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	e.Registry.StopAll(ctx)
	e.release()
}

func (e *Engine) release() {
	if e.Overlays != nil {
		e.Overlays.Close()
	}
	if e.Web != nil {
		e.Web.Close()
	}
	if e.ownStore {
		e.Store.Close()
	}
}

// Run runs the engine until ctx is cancelled or the panel fails: the
// platform clients, the panel (listening before modules load, so that the
// API answers at once), every module of the scripts folder and the watcher
// that reloads them. The bus holds events until every module has loaded, so
// modules see the first events (twitch.connected, obs.connected) too. On the
// way out every module's shutdown() runs and the store is closed.
func Run(ctx context.Context, cfg Config) error {
	started := time.Now()
	e, err := New(cfg)
	if err != nil {
		return err
	}
	log := e.log
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		// modules stop first, while the platforms still answer their shutdown();
		// whatever the scripts do, that takes at most StopTimeout
		sctx, scancel := context.WithTimeout(context.Background(), StopTimeout)
		e.Registry.StopAll(sctx)
		scancel()
		cancel()
		wg.Wait()
		e.release()
	}()
	// The panel's port first: a second engine on a taken port must fail
	// before it loads (and runs) any module.
	var ln net.Listener
	if e.Web != nil {
		if ln, err = listen(cfg.Addr); err != nil {
			return err
		}
	}
	if e.ownStore && cfg.BackupKeep >= 0 {
		// one now, before any module writes, then one a day
		if path, err := e.Backup(); err != nil {
			log.Warn("no backup of the store at start", "err", err)
		} else {
			log.Info("store backed up", "file", path)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(24 * time.Hour)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if path, err := e.Backup(); err != nil {
						log.Warn("daily backup of the store failed", "err", err)
					} else {
						log.Info("store backed up", "file", path)
					}
				}
			}
		}()
	}
	// Events wait on the bus until every module has loaded: a module sees
	// twitch.connected, obs.connected and whatever the panel or a platform
	// sends meanwhile, however long the modules before it take to load.
	e.Bus.Hold()
	e.Connections.Start(ctx)
	if e.Discord != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Discord.Run(ctx); err != nil {
				log.Warn("Discord is off", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		e.Connections.Wait()
	}()

	if e.Overlays != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Overlays.Run(ctx); err != nil {
				log.Warn("overlay files are not watched: saved changes reach open browser sources only when they reload", "err", err)
			}
		}()
	}

	webErr := make(chan error, 1)
	if e.Web != nil {
		if err := writeTokenFile(cfg.Data, e.Store); err != nil {
			log.Warn("cannot write the API token file; `starstreamer token` works only while the engine is stopped", "err", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			webErr <- e.Web.Serve(ctx, ln)
		}()
		if cfg.Console != nil {
			fmt.Fprintf(cfg.Console, "Open the panel with this one-time link (valid 15 minutes; `starstreamer token` prints a new one):\n  %s\n", e.Web.LoginURL())
		}
	}

	running, err := e.Registry.LoadAll(ctx)
	if err != nil {
		return err
	}
	e.Bus.Release()
	watcher, err := engine.NewWatcher(cfg.Scripts, cfg.ReloadDebounce, log, func(module string) { e.Registry.FileChanged(ctx, module) })
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		watcher.Run(ctx)
	}()
	log.Info("starstreamer is running", "panel", "http://"+cfg.Addr+"/", "modules", running, "scripts", cfg.Scripts, "data", cfg.Data, "startup_ms", time.Since(started).Milliseconds())

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

// checkAddr refuses a non-loopback panel address unless allowed, and warns when it is.
func checkAddr(addr string, allowRemote bool, log *slog.Logger) error {
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
	log.Warn("the web panel listens on a non-loopback address: anyone who can reach it and has the token can control the engine", "addr", addr)
	return nil
}

// TokenFile is where a running engine leaves the API token (mode 0600) for
// `starstreamer token`, which cannot open the store while the engine holds it.
func TokenFile(data string) string { return filepath.Join(filepath.Dir(data), "api-token") }

func writeTokenFile(data string, store *engine.Store) error {
	tok, err := web.Token(store)
	if err != nil {
		return err
	}
	return os.WriteFile(TokenFile(data), []byte(tok+"\n"), 0o600)
}

// Backup writes a backup of the store into BackupsDir beside it, keeping
// the newest Config.BackupKeep, and returns its path. The panel's
// POST /api/backup (and so `starstreamer backup` while the engine runs)
// calls it.
func (e *Engine) Backup() (string, error) {
	return e.Store.Backup(engine.BackupsDir(e.Store.Path()), time.Now(), e.cfg.BackupKeep)
}

// listen opens the panel's address. A port in use is said plainly, with
// the flag that picks another.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		alt := "127.0.0.1:8889"
		if host, port, err := net.SplitHostPort(addr); err == nil {
			if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65535 {
				alt = net.JoinHostPort(host, strconv.Itoa(n+1))
			}
		}
		return nil, fmt.Errorf("the panel's address %s is already in use: is another starstreamer running? Stop it, or start this one on another address, e.g. --addr %s", addr, alt)
	}
	return nil, fmt.Errorf("the panel cannot listen on %s: %w", addr, err)
}

// webPermissions hands the bindings' permission vocabulary to the panel,
// which may not import the runtime.
func webPermissions() []web.Permission {
	var out []web.Permission
	for _, p := range bindings.Permissions() {
		out = append(out, web.Permission{Name: p.Name, Description: p.Words, Risk: p.Risk, Known: true, Reserved: p.Reserved, Family: p.Family})
	}
	return out
}
