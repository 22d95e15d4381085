package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starstreamer/starstreamer/engine"
)

// DefaultAddr is where the panel listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8888"

// TokenSetting is the store setting that keeps the API token.
const TokenSetting = "api_token"

// SessionCookie is the name of the panel's session cookie.
const SessionCookie = "starstreamer_session"

// Body limits.
const (
	MaxEventBody  = 64 << 10                       // POST /api/events, /api/chat, config
	MaxScriptBody = engine.MaxModuleBytes + 64<<10 // POST /api/scripts: the script plus JSON quoting
)

// Config configures a Server.
type Config struct {
	Addr        string // default 127.0.0.1:8888
	AllowRemote bool   // binding to a non-loopback address needs it (prints a warning)
	Registry    *engine.Registry
	Bus         *engine.Bus
	Store       *engine.Store
	Chat        *engine.ChatSink
	Logger      *slog.Logger
	Platforms   func() map[string]string // e.g. {"twitch": "connected", "obs": "offline"}
	Overlays    Overlays                 // nil: no /overlay pages and no Overlays page

	// Permissions is the permission vocabulary of the Lua bindings with the
	// words the approval dialog shows (the app package fills it from the
	// bindings' table: web does not import the runtime).
	Permissions []Permission
	// Connections, when set, serves the Connections page and
	// /api/connections, and its changes go out on the live feed.
	Connections Connections

	// Backup, when set, makes a backup of the store and returns its path
	// (POST /api/backup, which `starstreamer backup` uses while the engine
	// holds the store).
	Backup func() (string, error)

	// AllowedHosts are extra host names (without port) the panel answers to,
	// for example a LAN name when AllowRemote is set. Loopback names and the
	// bind address are always allowed.
	AllowedHosts []string
}

// Server is the panel and JSON API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	e       *echo.Echo
	token   string
	session string // cookie value: HMAC of the token, so it survives restarts and dies with the token
	hub     *hub
	started time.Time

	codesMu   sync.Mutex
	usedCodes map[string]time.Time // login code nonce -> when it may be forgotten

	mu    sync.RWMutex
	port  string          // the port Host and Origin must carry
	hosts map[string]bool // host names (lower case, no brackets) the panel answers to
}

// New builds the server: it loads the API token (creating it on first start)
// and subscribes the live feed to the bus. Close (or the end of Run) undoes the
// subscription.
func New(cfg Config) (*Server, error) {
	if cfg.Registry == nil || cfg.Bus == nil || cfg.Store == nil {
		return nil, errors.New("web: Registry, Bus and Store are required")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("web: address %q: %w", cfg.Addr, err)
	}
	if !isLoopback(host) && !cfg.AllowRemote {
		return nil, fmt.Errorf("web: address %q is not a loopback address: binding the panel to the network needs the explicit allow-remote option", cfg.Addr)
	}
	tok, err := Token(cfg.Store)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "web"), token: tok, started: time.Now(), usedCodes: map[string]time.Time{}}
	mac := hmac.New(sha256.New, []byte(tok))
	mac.Write([]byte("starstreamer panel session v1"))
	s.session = hex.EncodeToString(mac.Sum(nil))
	s.setAddr(host, port)
	s.hub, err = newHub(cfg.Bus, cfg.Registry, s.log)
	if err != nil {
		return nil, err
	}
	if cfg.Connections != nil {
		s.hub.connectionsFeed(cfg.Connections)
	}
	s.e = s.routes()
	return s, nil
}

// Token loads the API token from the store, creating and storing a new random
// one when there is none. `starstreamer token` prints it.
func Token(store *engine.Store) (string, error) {
	var tok string
	err := store.Setting(TokenSetting, &tok)
	if err == nil && len(tok) >= 32 {
		return tok, nil
	}
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		return "", fmt.Errorf("web: read API token: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("web: generate API token: %w", err)
	}
	tok = hex.EncodeToString(b[:])
	if err := store.SetSetting(TokenSetting, tok); err != nil {
		return "", fmt.Errorf("web: store API token: %w", err)
	}
	return tok, nil
}

// Handler is the whole server as an http.Handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.e }

// Addr is the address the server answers to (the listener's once Run started).
func (s *Server) Addr() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	return net.JoinHostPort(host, s.port)
}

// Close stops the live feed. Run calls it on the way out.
func (s *Server) Close() { s.hub.close() }

// Run listens on the configured address until ctx is done, then shuts down
// gracefully (open requests get 5 s; WebSocket clients are closed).
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened (its port becomes the one Host
// and Origin headers must carry).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.Close()
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	if _, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		s.setAddr(host, port)
	}
	if !isLoopback(host) {
		s.log.Warn("the web panel is reachable from the network: anyone who can reach it and has the token controls the engine", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("web panel listening", "url", "http://"+s.Addr()+"/")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	s.hub.close() // WebSocket connections are hijacked: Shutdown does not wait for them
	// short: the engine's SIGTERM must end the process within 5 s, modules included
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	return nil
}

func (s *Server) setAddr(host, port string) {
	hosts := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	h := strings.ToLower(strings.Trim(host, "[]"))
	switch {
	case h == "" || h == "0.0.0.0" || h == "::":
		// Every interface: answer to the machine's addresses and name.
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					hosts[ipn.IP.String()] = true
				}
			}
		}
		if name, err := os.Hostname(); err == nil && name != "" {
			hosts[strings.ToLower(name)] = true
		}
	default:
		hosts[h] = true
	}
	for _, a := range s.cfg.AllowedHosts {
		hosts[strings.ToLower(strings.Trim(a, "[]"))] = true
	}
	s.mu.Lock()
	s.port, s.hosts = port, hosts
	s.mu.Unlock()
}

// hostAllowed reports whether hostport (a Host header or an Origin's host) names
// this panel: an allowed host name with the panel's port.
func (s *Server) hostAllowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "80"
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	return port == s.port && s.hosts[host]
}

func isLoopback(host string) bool {
	h := strings.Trim(host, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// authorized reports whether r carries the API token (Bearer) or the session cookie.
func (s *Server) authorized(r *http.Request) (ok bool, via string) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.token)) == 1 {
			return true, "token"
		}
		return false, ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.session)) == 1 {
		return true, "session"
	}
	return false, ""
}

func (s *Server) sessionCookie() *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: s.session, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int((30 * 24 * time.Hour).Seconds()),
	}
}

func (s *Server) platforms() map[string]string {
	out := map[string]string{}
	if s.cfg.Platforms != nil {
		for k, v := range s.cfg.Platforms() {
			out[k] = v
		}
	}
	return out
}
