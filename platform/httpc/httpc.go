package httpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults and ceilings of a Client.
const (
	DefaultMaxBody       = 1 << 20
	DefaultTimeout       = 10 * time.Second
	MaxTimeout           = 30 * time.Second
	DefaultMaxRedirects  = 5
	DefaultMaxConcurrent = 4
)

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	// Hosts are the declared hosts: names or IP literals, without port.
	Hosts         []string
	MaxBody       int64
	MaxRedirects  int
	MaxConcurrent int
	// Lookup, when set, resolves names instead of the system resolver
	// (tests). The dialer's address check applies to what it returns.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Client is one module's guarded HTTP client; safe for concurrent use.
type Client struct {
	hosts   map[string]bool
	maxBody int64
	maxRedi int
	sem     chan struct{}
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	hc      *http.Client
	tr      *http.Transport
}

// Request is one request. Timeout 0 means DefaultTimeout; it is clamped to MaxTimeout.
type Request struct {
	Method  string
	URL     string
	Header  http.Header
	Body    []byte
	Timeout time.Duration
}

// Response is a whole answer, its body read within MaxBody.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrUndeclaredHost is wrapped by the error for a host the module did not declare.
var ErrUndeclaredHost = errors.New("host not declared")

// ErrRefusedAddress is wrapped by the error for a connection to a refused address.
var ErrRefusedAddress = errors.New("address refused")

// NormalizeHost is the form hosts are compared in: lower case, no brackets
// around an IPv6 literal, no trailing dot.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// ValidHost reports whether h can be declared: an IP literal or a DNS name
// of letters, digits, '-' and '.', without port, scheme or path.
func ValidHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// New returns a client for the declared hosts of o.
func New(o Options) *Client {
	c := &Client{hosts: map[string]bool{}, maxBody: o.MaxBody, maxRedi: o.MaxRedirects, lookup: o.Lookup}
	for _, h := range o.Hosts {
		c.hosts[NormalizeHost(h)] = true
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.maxRedi <= 0 {
		c.maxRedi = DefaultMaxRedirects
	}
	n := o.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	c.sem = make(chan struct{}, n)
	c.tr = &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            c.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           4,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  MaxTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.hc = &http.Client{Transport: c.tr, CheckRedirect: c.checkRedirect} // no Jar: no cookies kept
	return c
}

// Declared reports whether host may be reached.
func (c *Client) Declared(host string) bool { return c.hosts[NormalizeHost(host)] }

// Close drops idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.maxRedi {
		return fmt.Errorf("stopped after %d redirects", c.maxRedi)
	}
	if err := c.checkURL(req.URL); err != nil {
		return fmt.Errorf("redirect not followed: %w", err)
	}
	return nil
}

func (c *Client) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs, not %q", u.Scheme)
	}
	if u.User != nil {
		return errors.New("no user:password in URLs (send an Authorization header)")
	}
	h := NormalizeHost(u.Hostname())
	if !c.hosts[h] {
		return fmt.Errorf("%w: %s (declare the permission \"http:%s\")", ErrUndeclaredHost, h, h)
	}
	return nil
}

// refused reports whether a is of a class reached only by literal declaration.
func refused(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsPrivate() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || netip.MustParsePrefix("0.0.0.0/8").Contains(a)
}

// allowed reports whether a connection for host may go to address a.
func allowed(host string, a netip.Addr) bool {
	a = a.Unmap()
	if !refused(a) {
		return true
	}
	if lit, err := netip.ParseAddr(host); err == nil {
		return lit.Unmap() == a
	}
	return host == "localhost" && a.IsLoopback()
}

// dial connects to addr ("host:port" as requested) through a dialer whose
// Control checks each resolved address before the connection is made.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	host = NormalizeHost(host)
	if !c.hosts[host] {
		return nil, fmt.Errorf("%w: %s", ErrUndeclaredHost, host)
	}
	d := &net.Dialer{Timeout: MaxTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s is not an address", ErrRefusedAddress, address)
		}
		if !allowed(host, ap.Addr()) {
			return fmt.Errorf("%w: %s resolves to %s (loopback, private, link-local and similar addresses are reached only when declared as the literal address)", ErrRefusedAddress, host, ap.Addr())
		}
		return nil
	}}
	if c.lookup == nil {
		return d.DialContext(ctx, network, addr)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.DialContext(ctx, network, addr)
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("%s: no address", host)
	}
	return nil, first
}

// Do sends r and reads the whole answer. Errors name the host, never the body.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if err := c.checkURL(u); err != nil {
		return nil, err
	}
	if int64(len(r.Body)) > c.maxBody {
		return nil, fmt.Errorf("request body is %d bytes, at most %d allowed", len(r.Body), c.maxBody)
	}
	t := r.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	t = min(t, MaxTimeout)
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: waited for one of %d concurrent requests to end: %w", u.Hostname(), cap(c.sem), ctx.Err())
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "StarStreamer")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, cleanErr(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", u.Hostname(), cleanErr(err))
	}
	if int64(len(b)) > c.maxBody {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", u.Hostname(), c.maxBody)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// cleanErr drops url.Error's repetition of the method and whole URL (which
// may carry a secret such as a webhook token) and keeps the cause.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ""
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Hostname()
		}
		if ue.Timeout() {
			return fmt.Errorf("%s: timed out: %w", host, ue.Err)
		}
		return fmt.Errorf("%s: %w", host, ue.Err)
	}
	return err
}
