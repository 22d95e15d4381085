package overlay

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Prefix is where the overlay pages live: Prefix + NAME?key=KEY.
const Prefix = "/overlay/"

// WebSocket close codes the page runtime understands.
const (
	closeGoingAway  = websocket.CloseGoingAway
	closeKeyRotated = 4003 // the key changed: retry slowly (the URL must change)
)

// ServeHTTP serves everything under /overlay/, all of it behind the overlay's
// key (?key=, because OBS browser sources cannot send headers):
//
//	GET /overlay/NAME?key=KEY              the page (HTML, its CSS and JS inlined)
//	GET /overlay/NAME/ws?key=KEY           the page's WebSocket (alerts, data, hot reload)
//	GET /overlay/NAME/media/FILE?key=KEY   an image or sound of the media folder
//
// A missing or wrong key is 403, a malformed path 400 or 404. The key is never
// logged and pages send no Referer.
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		httpError(w, http.StatusMethodNotAllowed, "overlays answer GET only")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		httpError(w, http.StatusNotFound, "not an overlay path")
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	if !ValidName(name) {
		httpError(w, http.StatusBadRequest, "not an overlay name")
		return
	}
	if !m.Exists(name) {
		httpError(w, http.StatusNotFound, "no such overlay")
		return
	}
	if !m.checkKey(name, r.URL.Query().Get("key")) {
		httpError(w, http.StatusForbidden, "this overlay needs its key: copy the browser source URL from the panel's Overlays page")
		return
	}
	switch {
	case sub == "" && !strings.HasSuffix(rest, "/"):
		m.servePage(w, r, name)
	case sub == "ws":
		m.serveWS(w, r, name)
	case strings.HasPrefix(sub, "media/"):
		m.serveMedia(w, r, strings.TrimPrefix(sub, "media/"))
	default:
		httpError(w, http.StatusNotFound, "no such overlay resource")
	}
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}

// page is an overlay's page as built from its folder.
type page struct {
	html    []byte   // index.html
	css     []file   // *.css, by name
	js      []file   // *.js, by name
	version string   // hash of html and js: a page whose version differs reloads
	skipped []string // files not inlined, with why
}

type file struct {
	name string
	text []byte
}

// files is where an overlay's files are read: its folder on disk, or the
// built-in copy of the alerts overlay when that folder does not exist.
type files interface {
	ReadFile(name string) ([]byte, error)
	List() ([]fs.DirEntry, error) // the entries directly in the folder
}

// overlayFiles opens the overlay's files; done releases them.
func (m *Manager) overlayFiles(name string) (f files, done func(), err error) {
	root, err := os.OpenRoot(filepath.Join(m.cfg.Dir, name))
	if err == nil {
		return rootFiles{root}, func() { root.Close() }, nil
	}
	if name == DefaultOverlay {
		return builtinFiles{}, func() {}, nil
	}
	return nil, nil, err
}

// rootFiles reads an overlay folder through an os.Root: regular files only,
// bounded in size, never outside the folder (see openRegular).
type rootFiles struct{ r *os.Root }

func (f rootFiles) ReadFile(name string) ([]byte, error) {
	return readRegular(f.r, name, MaxOverlayFile)
}

func (f rootFiles) List() ([]fs.DirEntry, error) {
	d, err := f.r.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// builtinFiles is the embedded alerts overlay.
type builtinFiles struct{}

func (builtinFiles) ReadFile(name string) ([]byte, error) {
	return embedded.ReadFile("defaults/" + DefaultOverlay + "/" + name)
}

func (builtinFiles) List() ([]fs.DirEntry, error) {
	return embedded.ReadDir("defaults/" + DefaultOverlay)
}

// loadPage reads an overlay's folder: index.html and every .css and .js file
// directly in it (sub-folders are not read).
func (m *Manager) loadPage(name string) (*page, error) {
	fsys, done, err := m.overlayFiles(name)
	if err != nil {
		return nil, err
	}
	defer done()
	p := &page{}
	entries, err := fsys.List()
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		n := e.Name()
		ext := path.Ext(n)
		if strings.HasPrefix(n, ".") || (ext != ".css" && ext != ".js") || !e.Type().IsRegular() {
			continue
		}
		if len(p.css)+len(p.js) >= MaxOverlayJS {
			p.skipped = append(p.skipped, n+": more than 16 CSS and JS files")
			continue
		}
		b, err := fsys.ReadFile(n)
		if err != nil {
			p.skipped = append(p.skipped, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		if ext == ".css" {
			p.css = append(p.css, file{n, b})
		} else {
			p.js = append(p.js, file{n, b})
		}
	}
	p.html, err = fsys.ReadFile("index.html")
	if err != nil {
		p.html = []byte("<!doctype html><html><head><meta charset=\"utf-8\"></head><body></body></html>")
		if !os.IsNotExist(err) {
			p.skipped = append(p.skipped, fmt.Sprintf("index.html: %v", err))
		}
	}
	hsum := sha256.New()
	hsum.Write(p.html)
	for _, f := range p.js {
		hsum.Write([]byte(f.name))
		hsum.Write(f.text)
	}
	p.version = hex.EncodeToString(hsum.Sum(nil))[:16]
	for _, s := range p.skipped {
		m.log.Warn("overlay file not used", "overlay", name, "file", s)
	}
	return p, nil
}

// baseCSS keeps every overlay transparent, whatever its own CSS says about the
// page background (OBS composites the page over the scene).
const baseCSS = "html,body{background:transparent!important;margin:0;overflow:hidden}"

// render builds the HTML of a page: the overlay's CSS inlined at the end of
// <head>, the runtime and its JS at the end of <body>, all scripts carrying
// the response's nonce (the Content-Security-Policy allows nothing else).
func (p *page) render(name, nonce string) []byte {
	var head, body bytes.Buffer
	head.WriteString("<style data-file=\"(base)\">" + baseCSS + "</style>\n")
	for _, f := range p.css {
		fmt.Fprintf(&head, "<style data-file=\"%s\">%s</style>\n", f.name, neuter(f.text, "</style"))
	}
	cfg, _ := json.Marshal(map[string]string{"name": name, "version": p.version})
	fmt.Fprintf(&body, "<script nonce=\"%s\">window.__overlay=%s;</script>\n", nonce, cfg)
	rt, _ := embedded.ReadFile("runtime.js")
	fmt.Fprintf(&body, "<script nonce=\"%s\" data-file=\"(runtime)\">%s</script>\n", nonce, rt)
	for _, f := range p.js {
		fmt.Fprintf(&body, "<script nonce=\"%s\" data-file=\"%s\">%s</script>\n", nonce, f.name, neuter(f.text, "</script"))
	}
	out := insertBefore(p.html, "</head>", head.Bytes(), true)
	return insertBefore(out, "</body>", body.Bytes(), false)
}

// neuter keeps inlined text from closing its element early.
func neuter(b []byte, closer string) []byte {
	low := bytes.ToLower(b)
	if !bytes.Contains(low, []byte(closer)) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		j := bytes.Index(low[i:], []byte(closer))
		if j < 0 {
			out.Write(b[i:])
			break
		}
		out.Write(b[i : i+j])
		out.WriteString("<\\/")
		i += j + 2
	}
	return out.Bytes()
}

// insertBefore puts add before the first (or last) case-insensitive match of
// tag; without one, at the start (head) or the end (body).
func insertBefore(html []byte, tag string, add []byte, first bool) []byte {
	low := bytes.ToLower(html)
	var i int
	if first {
		i = bytes.Index(low, []byte(tag))
	} else {
		i = bytes.LastIndex(low, []byte(tag))
	}
	out := make([]byte, 0, len(html)+len(add))
	switch {
	case i >= 0:
		out = append(append(append(out, html[:i]...), add...), html[i:]...)
	case first:
		out = append(append(out, add...), html...)
	default:
		out = append(append(out, html...), add...)
	}
	return out
}

func (m *Manager) servePage(w http.ResponseWriter, r *http.Request, name string) {
	p, err := m.loadPage(name)
	if err != nil {
		m.log.Warn("overlay page not readable", "overlay", name, "err", err)
		httpError(w, http.StatusInternalServerError, "the overlay's files cannot be read (see the engine log)")
		return
	}
	var nb [16]byte
	rand.Read(nb[:])
	nonce := base64.RawStdEncoding.EncodeToString(nb[:])
	h := w.Header()
	// Nothing from outside the engine: no remote scripts, fonts, images or
	// connections, so a page cannot leak its key or be steered from elsewhere.
	// The panel may frame it (its live preview); nothing else may.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'unsafe-inline'; "+
		"img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "+
		"frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	w.Write(p.render(name, nonce))
}

func (m *Manager) serveMedia(w http.ResponseWriter, r *http.Request, name string) {
	ct, err := CheckMediaName(name)
	if err != nil {
		httpError(w, http.StatusBadRequest, "not a media file name")
		return
	}
	root, err := os.OpenRoot(m.cfg.MediaDir)
	if err != nil {
		httpError(w, http.StatusNotFound, "no media folder")
		return
	}
	defer root.Close()
	f, fi, err := openRegular(root, filepath.FromSlash(name), MaxMediaFile)
	if err != nil {
		m.log.Debug("media refused", "file", name, "err", err)
		httpError(w, http.StatusNotFound, "no such media file")
		return
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if !sniffMedia(ct, head[:n]) {
		m.log.Warn("media file content does not match its extension", "file", name, "type", ct)
		httpError(w, http.StatusUnsupportedMediaType, "the file's content does not match its extension")
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		httpError(w, http.StatusInternalServerError, "media file not readable")
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, max-age=60")
	http.ServeContent(w, r, "", fi.ModTime(), io.NewSectionReader(f, 0, fi.Size()))
}

var upgrader = websocket.Upgrader{
	ReadBufferSize: 1024, WriteBufferSize: 4096,
	// The page is served by this engine: its Origin carries the request's Host.
	CheckOrigin: func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		if o == "" {
			return true
		}
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	},
}

// client is one open page.
type client struct {
	conn    *websocket.Conn
	out     chan []byte
	preview bool
	once    sync.Once
	done    chan struct{}
	closeMu sync.Mutex
	closing []byte // close frame to send, set once
}

const clientBuffer = 64

// send queues msg for the page; a page too slow to keep up is disconnected
// (it reconnects by itself) rather than slowing the engine.
func (c *client) send(msg []byte) {
	select {
	case c.out <- msg:
	default:
		c.closeWith(websocket.ClosePolicyViolation, "too slow")
	}
}

func (c *client) closeWith(code int, text string) {
	c.once.Do(func() {
		c.closeMu.Lock()
		c.closing = websocket.FormatCloseMessage(code, text)
		c.closeMu.Unlock()
		close(c.done)
	})
}

func (m *Manager) serveWS(w http.ResponseWriter, r *http.Request, name string) {
	p, err := m.loadPage(name)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "the overlay's files cannot be read")
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	c := &client{conn: conn, out: make(chan []byte, clientBuffer), preview: r.URL.Query().Get("preview") == "1", done: make(chan struct{})}
	m.mu.Lock()
	b := m.boardLocked(name)
	m.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "overlay": name, "version": p.version, "preview": c.preview})
	if !m.join(b, c, hello) {
		conn.Close()
		return
	}
	go m.readPump(b, c)
	m.writePump(b, c)
}

const (
	pingEvery = 20 * time.Second
	readLimit = 4 << 10
)

func (m *Manager) readPump(b *board, c *client) {
	defer c.closeWith(websocket.CloseNormalClosure, "")
	c.conn.SetReadLimit(readLimit)
	c.conn.SetReadDeadline(time.Now().Add(3 * pingEvery))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(3 * pingEvery))
	})
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var msg struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		if msg.Type == "shown" {
			m.pageAck(b, c, msg.ID)
		}
	}
}

func (m *Manager) writePump(b *board, c *client) {
	ping := time.NewTicker(pingEvery)
	defer func() {
		ping.Stop()
		m.leave(b, c)
		c.closeMu.Lock()
		frame := c.closing
		c.closeMu.Unlock()
		if frame != nil {
			c.conn.WriteControl(websocket.CloseMessage, frame, time.Now().Add(time.Second))
		}
		c.conn.Close()
	}()
	for {
		select {
		case msg := <-c.out:
			c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}
