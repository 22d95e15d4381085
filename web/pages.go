package web

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed assets
var assetFS embed.FS

//go:embed pages/*.html
var pageFS embed.FS

var pageNames = []string{"modules", "events", "chat", "overlays", "connections"}

var pageTitles = map[string]string{"modules": "Modules", "events": "Live events", "chat": "Chat console", "overlays": "Overlays", "connections": "Connections", "login": "Sign in"}

var pageTmpl = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, p := range append(pageNames, "login") {
		out[p] = template.Must(template.ParseFS(pageFS, "pages/layout.html", "pages/"+p+".html"))
	}
	return out
}()

type pageData struct {
	Page, Title, Addr, Error string
	SignedOut                bool // the sign-in page: no navigation, no scripts
}

func (s *Server) render(c echo.Context, code int, name string, d pageData) error {
	d.Page, d.Title, d.Addr = name, pageTitles[name], s.Addr()
	var buf bytes.Buffer
	if err := pageTmpl[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.HTMLBlob(code, buf.Bytes())
}

// page serves one panel page to a signed-in browser; any other client gets
// the sign-in page. Fetching a page never hands out a session: the browser
// proves it holds the token first (loginPage, login).
func (s *Server) page(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, _ := s.authorized(c.Request()); !ok {
			return s.render(c, http.StatusUnauthorized, "login", pageData{SignedOut: true})
		}
		return s.render(c, http.StatusOK, name, pageData{})
	}
}

// loginPage is GET /login: with ?code= (the one-time link printed at start
// and by `starstreamer token`) it redeems the code, sets the session cookie
// and sends the browser on to /modules, so the code leaves the address bar;
// without, it shows the sign-in form.
func (s *Server) loginPage(c echo.Context) error {
	code := c.QueryParam("code")
	if code == "" {
		return s.render(c, http.StatusOK, "login", pageData{SignedOut: true})
	}
	if err := s.redeem(code, time.Now()); err != nil {
		return s.render(c, http.StatusUnauthorized, "login", pageData{SignedOut: true, Error: err.Error()})
	}
	c.SetCookie(s.sessionCookie())
	return c.Redirect(http.StatusSeeOther, "/modules")
}

// login takes the API token from the sign-in form and sets the session cookie.
func (s *Server) login(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, 4<<10)
	tok := strings.TrimSpace(r.PostFormValue("token"))
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		return s.render(c, http.StatusUnauthorized, "login", pageData{SignedOut: true, Error: "That is not the API token. Print it with: starstreamer token"})
	}
	c.SetCookie(s.sessionCookie())
	return c.Redirect(http.StatusSeeOther, "/modules")
}

func (s *Server) asset(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	data, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil || name == "" {
		return fail(http.StatusNotFound, "no asset %q", truncate(name, 80))
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, ct, data)
}
