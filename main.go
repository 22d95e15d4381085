// Command starstreamer runs the stream-automation engine: the event bus, the
// Lua modules under scripts/, the Twitch and OBS clients and the web panel.
//
//	starstreamer [run]           run the engine (the default)
//	starstreamer twitch login    device-code login; stores tokens
//	starstreamer token           print the API token
//	starstreamer test [path]     run the *_test.lua script tests
//	starstreamer backup          a backup of the store into backups/ beside it
//	starstreamer help [command]  the commands, or one command's flags
//
// cli.go lists the commands, what each does and which flags it reads.
//
// Every flag has an environment variable: STARSTREAMER_ + the flag's name in
// upper case with '-' as '_' (--scripts -> STARSTREAMER_SCRIPTS).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/starstreamer/starstreamer/app"
	"github.com/starstreamer/starstreamer/connections"
	"github.com/starstreamer/starstreamer/engine"
	"github.com/starstreamer/starstreamer/platform/discord"
	"github.com/starstreamer/starstreamer/platform/obs"
	"github.com/starstreamer/starstreamer/platform/twitch"
	"github.com/starstreamer/starstreamer/scripttest"
	"github.com/starstreamer/starstreamer/web"
)

func main() {
	tuneGC(os.Getenv)
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// defaultGOGC is the GC target used when GOGC is not set. The engine's live
// heap is small (a few MB), so Go's default of 100 runs a collection every few
// tens of milliseconds under chat load, and the mark assists it drafts a busy
// module into are what dominates the dispatch latency tail (measured p99 at
// 10,000 events/s: ~350 µs at 100, ~120 µs at 400). 400 trades a few more MB of
// heap for that.
const defaultGOGC = 400

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}

// options are the command line, after flags and environment variables.
type options struct {
	scripts        string
	overlays       string
	media          string
	data           string
	addr           string
	allowRemote    bool
	reloadDebounce time.Duration
	handlerTimeout time.Duration
	heapLimitMiB   int
	twitchClientID string
	twitchChannel  string
	twitchToken    string
	twitchAuthURL  string
	twitchAPIURL   string
	twitchWSURL    string
	twitchSubsURL  string
	obsAddr        string
	obsPassword    string
	discordToken   string
	discordGuild   string
	discordChans   string
	discordAPIURL  string
	discordGateway string
	discordMods    string
	logLevel       string
	backups        int
	given          map[string]bool // flags given on the command line or in the environment
}

// newFlagSet returns the flag set of command c: only the flags c reads,
// each filling its field of the returned options. Help and errors are
// printed by run, not by the flag set.
func newFlagSet(c *command) (*flag.FlagSet, *options) {
	o := &options{}
	all := flag.NewFlagSet("all", flag.ContinueOnError)
	all.StringVar(&o.scripts, "scripts", "./scripts", "folder of the Lua modules")
	all.StringVar(&o.overlays, "overlays", "", "folder of the OBS browser-source overlays (default: overlays/ beside the scripts folder)")
	all.StringVar(&o.media, "media", "", "folder of the images and sounds alerts may use (default: media/ beside the scripts folder)")
	all.StringVar(&o.data, "data", "./data/starstreamer.db", "the store (bbolt file)")
	all.StringVar(&o.addr, "addr", "127.0.0.1:8888", "address of the web panel and API")
	all.BoolVar(&o.allowRemote, "allow-remote", false, "allow --addr to be a non-loopback address (the panel is then reachable from the network)")
	all.DurationVar(&o.reloadDebounce, "reload-debounce", 100*time.Millisecond, "quiet time after a file change before the module reloads")
	all.DurationVar(&o.handlerTimeout, "handler-timeout", time.Second, "run-time budget of one handler invocation")
	all.IntVar(&o.heapLimitMiB, "heap-limit", 1024, "MiB of Go heap past which running handlers are stopped")
	all.StringVar(&o.twitchClientID, "twitch-client-id", "", "Twitch application client id (empty: Twitch offline)")
	all.StringVar(&o.twitchChannel, "twitch-channel", "", "broadcaster login of the channel")
	all.StringVar(&o.twitchToken, "twitch-token", "", "a user access token (skips the stored login)")
	all.StringVar(&o.twitchAuthURL, "twitch-auth-url", "https://id.twitch.tv", "Twitch OAuth base URL")
	all.StringVar(&o.twitchAPIURL, "twitch-api-url", "https://api.twitch.tv/helix", "Twitch Helix base URL")
	all.StringVar(&o.twitchWSURL, "twitch-eventsub-url", "wss://eventsub.wss.twitch.tv/ws", "Twitch EventSub WebSocket URL")
	all.StringVar(&o.twitchSubsURL, "twitch-subscriptions-url", "", "EventSub subscriptions endpoint (default: the API URL + /eventsub/subscriptions)")
	all.StringVar(&o.obsAddr, "obs-addr", "127.0.0.1:4455", "obs-websocket address (empty: OBS off)")
	all.StringVar(&o.obsPassword, "obs-password", "", "obs-websocket password")
	all.StringVar(&o.discordToken, "discord-token", "", "Discord bot token (empty: Discord off; a secret, never logged)")
	all.StringVar(&o.discordGuild, "discord-guild", "", "id of the Discord server (guild) the bot serves")
	all.StringVar(&o.discordChans, "discord-channels", "", "comma-separated ids of the channels the bot may post in (empty: any channel of the guild it can post in)")
	all.StringVar(&o.discordAPIURL, "discord-api-url", discord.DefaultAPIURL, "Discord REST base URL")
	all.StringVar(&o.discordGateway, "discord-gateway-url", "", "Discord gateway WebSocket URL (empty: ask the REST API)")
	all.StringVar(&o.discordMods, "discord-moderator-roles", strings.Join(discord.DefaultModeratorRoles, ","), "comma-separated Discord role names that count as moderator for commands (the guild owner is the broadcaster)")
	all.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	all.IntVar(&o.backups, "backups", engine.DefaultBackupKeep, "backups of the store to keep in backups/ beside it: one at start, one a day (0: none)")
	fs := flag.NewFlagSet("starstreamer "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	all.VisitAll(func(f *flag.Flag) {
		if c.takes(f.Name) {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	return fs, o
}

// parseFlags applies environment variables, then the command line (which wins).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "STARSTREAMER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			// fs.Set (not f.Value.Set) so that fs.Visit counts it as given
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelp(args[0]) {
			printOverview(stdout)
			return 0
		}
		args = append([]string{"run"}, args...)
	}
	name, args := args[0], args[1:]
	if name == "twitch" {
		if len(args) == 0 || (args[0] != "login" && !isHelp(args[0])) {
			fmt.Fprintln(stderr, "starstreamer: the twitch command is `starstreamer twitch login`")
			return 2
		}
		if args[0] == "login" {
			args = args[1:]
		}
		name = "twitch login"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(stderr, "starstreamer: unknown command %q\n\n", name)
		printOverview(stderr)
		return 2
	}
	if c.name == "help" {
		return help(args, stdout, stderr)
	}
	fs, o := newFlagSet(c)
	if err := parseFlags(fs, args, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, c)
			return 0
		}
		fmt.Fprintf(stderr, "starstreamer %s: %v\n(`starstreamer %s --help` lists its flags)\n", c.name, err, c.name)
		return 2
	}
	if fs.NArg() > 0 && c.args == "" {
		fmt.Fprintf(stderr, "starstreamer %s: unexpected argument %q (`starstreamer %s --help` shows how it is called)\n", c.name, fs.Arg(0), c.name)
		return 2
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	log, err := newLogger(o.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "starstreamer:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch c.name {
	case "run":
		cfg := o.appConfig(log)
		cfg.Console = stderr
		err = app.Run(ctx, cfg)
	case "token":
		err = printToken(o, stdout, stderr)
	case "twitch login":
		err = twitchLogin(ctx, o, stdout, log)
	case "test":
		return runScriptTests(fs.Args(), o, stdout, stderr)
	case "backup":
		err = backup(ctx, o, stdout)
	}
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	return 0
}

// help is `starstreamer help [command]`.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printOverview(stdout)
		return 0
	}
	name := strings.Join(args, " ")
	if name == "twitch" {
		name = "twitch login"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(stderr, "starstreamer help: no command %q\n\n", name)
		printOverview(stderr)
		return 2
	}
	printHelp(stdout, c)
	return 0
}

// backup is `starstreamer backup`: a backup of the store in backups/ beside
// it, by the engine itself when one runs on the store (bbolt lets one
// process open it: the engine is asked over its API, with the token it left
// beside the store), else straight from the store.
func backup(ctx context.Context, o *options, stdout io.Writer) error {
	keep := o.backups
	if keep <= 0 {
		keep = engine.DefaultBackupKeep
	}
	store, err := engine.OpenStore(o.data)
	if err == nil {
		defer store.Close()
		path, err := store.Backup(engine.BackupsDir(o.data), time.Now(), keep)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
		return nil
	}
	if !errors.Is(err, engine.ErrLocked) {
		return err
	}
	tok, ferr := os.ReadFile(app.TokenFile(o.data))
	if ferr != nil {
		return fmt.Errorf("%w (and no API token beside it to ask the engine: %v)", err, ferr)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+o.addr+"/api/backup", nil)
	if rerr != nil {
		return fmt.Errorf("backup: --addr %q: %w", o.addr, rerr)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, rerr := http.DefaultClient.Do(req)
	if rerr != nil {
		return fmt.Errorf("the store is held by an engine, which did not answer on --addr %s: %w", o.addr, rerr)
	}
	defer resp.Body.Close()
	var body struct{ Path, Error string }
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the engine on %s refused the backup: %d %s", o.addr, resp.StatusCode, body.Error)
	}
	fmt.Fprintln(stdout, body.Path)
	return nil
}

// appConfig is the engine's configuration from the command line.
func (o *options) appConfig(log *slog.Logger) app.Config {
	return app.Config{
		Scripts: o.scripts, Data: o.data,
		Overlays: besideScripts(o.overlays, o.scripts, "overlays"), Media: besideScripts(o.media, o.scripts, "media"),
		Addr: o.addr, AllowRemote: o.allowRemote,
		ReloadDebounce: o.reloadDebounce, HandlerTimeout: o.handlerTimeout, HeapLimit: uint64(o.heapLimitMiB) << 20,
		Twitch: twitchConfig(o, log),
		// --obs-addr and --obs-password count only when given (on the command
		// line or in the environment): otherwise the panel's settings apply,
		// and OBS is tried at the default address until the panel says else.
		OBS:        obs.Config{Addr: o.givenValue("obs-addr", o.obsAddr), Password: o.givenValue("obs-password", o.obsPassword), Logger: log.With("platform", "obs")},
		OBSOff:     o.given["obs-addr"] && o.obsAddr == "",
		OBSDefault: obs.DefaultAddr,
		Discord:    discordConfig(o),
		Logger:     log,
		BackupKeep: backupKeep(o.backups),
	}
}

// discordConfig is the Discord bot's configuration from the command line.
func discordConfig(o *options) discord.Config {
	list := func(s string) []string {
		out := []string{}
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	return discord.Config{Token: o.discordToken, Guild: o.discordGuild, Channels: list(o.discordChans),
		APIURL: o.discordAPIURL, GatewayURL: o.discordGateway, ModeratorRoles: list(o.discordMods)}
}

// backupKeep maps --backups (0: none) to app.Config.BackupKeep (negative: none).
func backupKeep(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// besideScripts is dir, or when empty the folder name next to the scripts folder.
func besideScripts(dir, scripts, name string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(filepath.Dir(filepath.Clean(scripts)), name)
}

// givenValue is v when the flag was given (command line or environment), else "".
func (o *options) givenValue(flag, v string) string {
	if o.given[flag] {
		return v
	}
	return ""
}

func twitchConfig(o *options, log *slog.Logger) twitch.Config {
	return twitch.Config{
		ClientID: o.twitchClientID, Channel: o.twitchChannel, Token: o.twitchToken,
		AuthURL: o.twitchAuthURL, APIURL: o.twitchAPIURL, EventSubURL: o.twitchWSURL, SubscriptionsURL: o.twitchSubsURL,
		Logger: log.With("platform", "twitch"),
	}
}

// printToken prints the API token on stdout (scripts read it: TOKEN=$(starstreamer
// token)) and, when the engine runs, a one-time login link for the panel on
// stderr.
func printToken(o *options, stdout, stderr io.Writer) error {
	store, err := engine.OpenStore(o.data)
	if err != nil {
		// the engine is running and holds the store: it wrote the token file
		b, ferr := os.ReadFile(app.TokenFile(o.data))
		if ferr != nil {
			return err
		}
		tok := strings.TrimSpace(string(b))
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "Open the panel with this one-time link (valid 15 minutes):\n  %s\n", web.LoginURL(o.addr, tok))
		return nil
	}
	defer store.Close()
	tok, err := web.Token(store)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintln(stderr, "The engine is not running: start it, then run `starstreamer token` again for a one-time login link to the panel (or sign in with the token above).")
	return nil
}

// twitchLogin is `starstreamer twitch login`: the client id comes from
// --twitch-client-id, else from the panel's Connections page.
func twitchLogin(ctx context.Context, o *options, stdout io.Writer, log *slog.Logger) error {
	store, err := engine.OpenStore(o.data)
	if err != nil {
		return err
	}
	defer store.Close()
	cfg := twitchConfig(o, log)
	if cfg.ClientID == "" {
		if cfg.ClientID, _, err = connections.StoredTwitch(store); err != nil {
			return err
		}
	}
	if cfg.ClientID == "" {
		return errors.New("twitch login needs the application's client id: save it on the panel's Connections page, or pass --twitch-client-id (or STARSTREAMER_TWITCH_CLIENT_ID); create the application at dev.twitch.tv with the 'Public' client type")
	}
	return twitch.DeviceLogin(ctx, cfg, connections.TokenStore{Store: store}, stdout)
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// runScriptTests runs the *_test.lua files under path (default: --scripts) and
// exits 1 when any test failed.
func runScriptTests(args []string, o *options, stdout, stderr io.Writer) int {
	path := o.scripts
	if len(args) > 0 {
		path = args[0]
	}
	failed, err := scripttest.Run(path, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "starstreamer test:", err)
		return 2
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d failed\n", failed)
		return 1
	}
	return 0
}
