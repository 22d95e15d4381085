package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/starstreamer/starstreamer/platform/httpc"
	lua "github.com/yuin/gopher-lua"
)

var httpGroup = register(Group{
	Name: "http", Section: "Web requests", Order: 110, Install: installHTTP,
	Permissions: []Permission{
		{Name: "http:HOST", Family: "http:", Risk: "high",
			Words: "Send requests to HOST on the web and read its answers (what it sends there may include anything the module knows, such as chat messages and its config)"},
	},
	Docs: []Doc{
		{Name: "http.request", Syntax: "http.request{ method, url, headers, body, json, timeout } -> { status, headers, body, json } | nil, err", Context: "handler", Permission: "http:HOST", Yields: true,
			Summary: "Sends a web request to a host the module declared: permissions = { \"http:api.example.com\" } (one per host, without scheme or port; a request to any other host raises an error naming the permission). method defaults to GET; headers is a table of name = text; body a text, or json a table sent as JSON (Content-Type application/json). timeout in seconds (default 10, at most 30). The answer's headers have lower-case names; json is the decoded body when the answer is JSON. A status of 404 or 500 is an answer, not an error: check status. Loopback, private and link-local addresses are reached only when declared as the literal address (\"http:127.0.0.1\"), even if a declared name resolves to them; redirects are followed only to declared hosts (at most 5); answers over 1 MiB are an error; at most 4 requests of a module run at once; no cookies are kept."},
		{Name: "http.get", Syntax: "http.get(url [, headers]) -> response | nil, err", Context: "handler", Permission: "http:HOST", Yields: true,
			Summary: "http.request{ url = url, headers = headers }."},
		{Name: "http.post", Syntax: "http.post(url, body_or_table [, headers]) -> response | nil, err", Context: "handler", Permission: "http:HOST", Yields: true,
			Summary: "POSTs a text body, or a table as JSON; see http.request."},
	},
})

// Web is what the http binding sends requests through: one per module, for
// the hosts it declared (platform/httpc's Client, or the test fakes).
type Web interface {
	Do(ctx context.Context, r httpc.Request) (*httpc.Response, error)
	Close()
}

// maxHTTPHeaders bounds the headers of one request.
const maxHTTPHeaders = 50

func installHTTP(m Module, L *lua.LState) {
	var client Web // made at the first request: the permissions are known then
	m.OnStop(func() {
		if client != nil {
			client.Close()
		}
	})
	web := func() Web {
		if client == nil {
			var hosts []string
			for _, p := range m.Declared() {
				if h, ok := strings.CutPrefix(p, "http:"); ok {
					hosts = append(hosts, h)
				}
			}
			client = m.Web(hosts)
		}
		return client
	}
	do := func(L *lua.LState, what string, r httpc.Request) int {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			L.RaiseError("%s: %q is not an http or https URL", what, shortURL(r.URL))
		}
		host := httpc.NormalizeHost(u.Hostname())
		m.Need(L, "http:"+host, fmt.Sprintf("%s to %s", what, host))
		m.Acts(L, what)
		c := web()
		return m.Wait(L, what, func(ctx context.Context) (func() []lua.LValue, error) {
			resp, err := c.Do(ctx, r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			var decoded any
			if isJSON(resp.Header.Get("Content-Type")) && len(resp.Body) > 0 {
				if json.Unmarshal(resp.Body, &decoded) != nil {
					decoded = nil
				}
			}
			headers := map[string]any{}
			for k, vs := range resp.Header {
				headers[strings.ToLower(k)] = strings.Join(vs, ", ")
			}
			return func() []lua.LValue {
				t := L.NewTable()
				t.RawSetString("status", lua.LNumber(resp.Status))
				t.RawSetString("body", lua.LString(resp.Body))
				t.RawSetString("headers", m.ToLua(headers))
				if decoded != nil {
					t.RawSetString("json", m.ToLua(decoded))
				}
				return []lua.LValue{t}
			}, nil
		})
	}
	t := L.NewTable()
	t.RawSetString("request", L.NewFunction(func(L *lua.LState) int {
		opts := L.CheckTable(1)
		r := httpc.Request{Header: http.Header{}}
		str := func(k string) string {
			switch v := opts.RawGetString(k).(type) {
			case lua.LString:
				return string(v)
			case *lua.LNilType:
				return ""
			default:
				L.ArgError(1, fmt.Sprintf("http.request: %s must be a text, not a %s", k, v.Type()))
			}
			return ""
		}
		r.Method, r.URL = str("method"), str("url")
		if r.URL == "" {
			L.ArgError(1, "http.request: url is required")
		}
		if body := opts.RawGetString("body"); body != lua.LNil {
			r.Body = []byte(str("body"))
		}
		setHeaders(L, &r, opts.RawGetString("headers"), 1)
		if j := opts.RawGetString("json"); j != lua.LNil {
			if r.Body != nil {
				L.ArgError(1, "http.request: give body or json, not both")
			}
			encodeJSON(L, &r, j, 1)
		}
		switch v := opts.RawGetString("timeout").(type) {
		case lua.LNumber:
			if v <= 0 {
				L.ArgError(1, "http.request: timeout must be a positive number of seconds")
			}
			r.Timeout = time.Duration(float64(v) * float64(time.Second))
		case *lua.LNilType:
		default:
			L.ArgError(1, "http.request: timeout must be a number of seconds")
		}
		return do(L, "http.request", r)
	}))
	t.RawSetString("get", L.NewFunction(func(L *lua.LState) int {
		r := httpc.Request{Method: http.MethodGet, URL: L.CheckString(1), Header: http.Header{}}
		setHeaders(L, &r, L.Get(2), 2)
		return do(L, "http.get", r)
	}))
	t.RawSetString("post", L.NewFunction(func(L *lua.LState) int {
		r := httpc.Request{Method: http.MethodPost, URL: L.CheckString(1), Header: http.Header{}}
		setHeaders(L, &r, L.Get(3), 3)
		switch v := L.Get(2).(type) {
		case lua.LString:
			r.Body = []byte(v)
		case *lua.LTable:
			encodeJSON(L, &r, v, 2)
		case *lua.LNilType:
			r.Body = []byte{}
		default:
			L.ArgError(2, "http.post: the body is a text or a table (sent as JSON)")
		}
		return do(L, "http.post", r)
	}))
	L.SetGlobal("http", t)
}

// setHeaders copies a Lua table of name = text into r.Header.
func setHeaders(L *lua.LState, r *httpc.Request, v lua.LValue, arg int) {
	if v == lua.LNil {
		return
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(arg, "headers must be a table of name = text")
	}
	n := 0
	t.ForEach(func(k, v lua.LValue) {
		ks, kok := k.(lua.LString)
		if !kok || v.Type() != lua.LTString && v.Type() != lua.LTNumber {
			L.ArgError(arg, "headers must be a table of name = text")
		}
		if n++; n > maxHTTPHeaders {
			L.ArgError(arg, fmt.Sprintf("at most %d headers", maxHTTPHeaders))
		}
		r.Header.Set(string(ks), v.String())
	})
}

// encodeJSON sets r's body to v as JSON.
func encodeJSON(L *lua.LState, r *httpc.Request, v lua.LValue, arg int) {
	val, err := fromLua(v)
	if err != nil {
		L.ArgError(arg, "json: "+err.Error())
	}
	b, err := json.Marshal(val)
	if err != nil {
		L.ArgError(arg, "json: "+err.Error())
	}
	r.Body = b
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// shortURL keeps an error from carrying a whole URL (which may hold a token).
func shortURL(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
