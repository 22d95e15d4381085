package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// apiError is the body of every refusal: {"error": "..."}.
type apiError struct {
	Error string `json:"error"`
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.recoverMW, s.logMW, s.hostMW, s.originMW, s.authMW)

	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/modules") })
	for _, p := range pageNames {
		e.GET("/"+p, s.page(p))
	}
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.GET("/assets/*", s.asset)

	api := e.Group("/api")
	api.GET("/status", s.getStatus)
	api.GET("/permissions", s.getPermissions)
	api.GET("/templates", s.getTemplates)
	api.GET("/modules", s.getModules)
	api.GET("/modules/:name", s.getModule)
	api.GET("/modules/:name/review", s.reviewModule)
	api.POST("/modules/:name/config", s.setConfig)
	api.PUT("/modules/:name/config", s.setConfig)
	api.POST("/modules/:name/:action", s.moduleAction)
	api.POST("/scripts", s.installScript)
	api.POST("/scripts/inspect", s.inspectScript)
	api.POST("/events", s.postEvent)
	api.GET("/stats", s.getStats)
	api.GET("/chat", s.getChat)
	api.POST("/chat", s.postChat)
	api.GET("/commands", s.getCommands)
	api.GET("/connections", s.getConnections)
	api.PUT("/connections/twitch", s.putTwitch)
	api.POST("/connections/twitch/login", s.twitchLogin)
	api.DELETE("/connections/twitch", s.deleteTwitch)
	api.PUT("/connections/obs", s.putOBS)
	api.DELETE("/connections/obs", s.deleteOBS)
	api.POST("/backup", s.postBackup)
	api.GET("/ws", s.websocket)
	e.GET("/metrics", s.metrics)
	s.overlayRoutes(e)
	return e
}

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	} else {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, apiError{Error: msg})
}

func fail(code int, format string, args ...any) error {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

func (s *Server) recoverMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in request", "method", c.Request().Method, "path", c.Request().URL.Path, "panic", p)
				err = fail(http.StatusInternalServerError, "internal error")
			}
		}()
		return next(c)
	}
}

// logMW logs each request at debug level, refusals at info. It logs the path
// only: never headers, cookies or the query (which could carry secrets).
func (s *Server) logMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		}
		lvl := slog.LevelDebug
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			lvl = slog.LevelInfo
		}
		s.log.Log(c.Request().Context(), lvl, "http", "method", c.Request().Method, "path", c.Request().URL.Path,
			"status", status, "ms", float64(time.Since(start).Microseconds())/1e3, "remote", c.Request().RemoteAddr)
		return err
	}
}

// hostMW refuses requests whose Host is not the panel's own address: a page on
// another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its
// own name as Host.
func (s *Server) hostMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h := c.Request().Host; !s.hostAllowed(h) {
			return fail(http.StatusForbidden, "refused: Host %q is not this panel's address (open http://%s/ instead)", truncate(h, 100), s.Addr())
		}
		return next(c)
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// originMW refuses state-changing requests and WebSocket upgrades that a
// browser made on behalf of another site (CSRF, cross-site WebSocket hijacking).
// Requests without an Origin (curl, a Stream Deck plugin) pass; they still need
// the token.
func (s *Server) originMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if safeMethod(r.Method) && !isWebSocket(r) {
			return next(c)
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if o == "null" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || !s.hostAllowed(u.Host) {
				return fail(http.StatusForbidden, "refused: cross-site request from origin %q", truncate(o, 100))
			}
		}
		switch r.Header.Get("Sec-Fetch-Site") {
		case "cross-site", "same-site":
			return fail(http.StatusForbidden, "refused: cross-site request (Sec-Fetch-Site: %s)", r.Header.Get("Sec-Fetch-Site"))
		}
		return next(c)
	}
}

// authMW requires the API token or the session cookie on every API call (reads
// included: module config, chat, stats are the streamer's) and on /metrics.
// Pages check the session themselves (they show the sign-in page instead);
// assets and /login are open.
func (s *Server) authMW(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		p := r.URL.Path
		if !strings.HasPrefix(p, "/api/") && p != "/api" && p != "/metrics" {
			return next(c)
		}
		ok, via := s.authorized(r)
		if !ok {
			if h := r.Header.Get("Authorization"); h != "" {
				if scheme, _, _ := strings.Cut(strings.TrimSpace(h), " "); !strings.EqualFold(scheme, "Bearer") {
					// said whatever the value: it tells nothing about the token
					return fail(http.StatusUnauthorized, "refused: the Authorization header must read Bearer TOKEN (the word Bearer, a space, then the token `starstreamer token` prints); this one does not start with Bearer")
				}
				return fail(http.StatusUnauthorized, "refused: wrong API token (see `starstreamer token`)")
			}
			return fail(http.StatusUnauthorized, "refused: this call needs the API token (Authorization: Bearer TOKEN; print it with `starstreamer token`) or the panel's session")
		}
		c.Set("via", via)
		return next(c)
	}
}

// source names where an API event came from: "panel" for the page, "api" for
// token holders.
func source(c echo.Context) string {
	if v, _ := c.Get("via").(string); v == "session" {
		return "panel"
	}
	return "api"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
