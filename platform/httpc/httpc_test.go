package httpc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// server starts a test server on 127.0.0.1 and returns it with its host:port.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return s, u.Port()
}

// resolveTo is a Lookup that answers every name with addr.
func resolveTo(addr string) func(context.Context, string) ([]netip.Addr, error) {
	return func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr(addr)}, nil
	}
}

func TestHosts(t *testing.T) {
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	cases := []struct {
		name    string
		opts    Options
		url     string
		wantErr error
	}{
		{"declared loopback literal is reached", Options{Hosts: []string{"127.0.0.1"}}, "http://127.0.0.1:" + port + "/", nil},
		{"undeclared literal is refused before connecting", Options{Hosts: []string{"example.com"}}, "http://127.0.0.1:" + port + "/", ErrUndeclaredHost},
		{"no host declared refuses everything", Options{}, "http://127.0.0.1:" + port + "/", ErrUndeclaredHost},
		{"undeclared name resolving to loopback is refused", Options{Hosts: []string{"127.0.0.1"}, Lookup: resolveTo("127.0.0.1")}, "http://sneaky.test:" + port + "/", ErrUndeclaredHost},
		{"declared name resolving to loopback is refused at dial", Options{Hosts: []string{"sneaky.test"}, Lookup: resolveTo("127.0.0.1")}, "http://sneaky.test:" + port + "/", ErrRefusedAddress},
		{"declared name resolving to a mapped loopback is refused", Options{Hosts: []string{"sneaky.test"}, Lookup: resolveTo("::ffff:127.0.0.1")}, "http://sneaky.test:" + port + "/", ErrRefusedAddress},
		{"declared localhost reaches loopback", Options{Hosts: []string{"localhost"}, Lookup: resolveTo("127.0.0.1")}, "http://localhost:" + port + "/", nil},
		{"host compared case-insensitively", Options{Hosts: []string{"LocalHost."}, Lookup: resolveTo("127.0.0.1")}, "http://LOCALHOST:" + port + "/", nil},
		{"other schemes refused", Options{Hosts: []string{"127.0.0.1"}}, "file:///etc/passwd", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			defer c.Close()
			resp, err := c.Do(context.Background(), Request{URL: tc.url})
			if strings.HasPrefix(tc.url, "file:") {
				if err == nil || !strings.Contains(err.Error(), "only http and https") {
					t.Fatalf("err = %v, want scheme refusal", err)
				}
				return
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if resp.Status != 200 || string(resp.Body) != "ok" {
					t.Fatalf("got %d %q", resp.Status, resp.Body)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestAllowedAddresses(t *testing.T) {
	for _, tc := range []struct {
		host, addr string
		want       bool
	}{
		{"example.com", "93.184.216.34", true},
		{"example.com", "10.0.0.1", false},
		{"example.com", "172.16.5.5", false},
		{"example.com", "192.168.1.1", false},
		{"example.com", "169.254.169.254", false},
		{"example.com", "fe80::1", false},
		{"example.com", "fd00::1", false},
		{"example.com", "::1", false},
		{"example.com", "0.0.0.0", false},
		{"example.com", "224.0.0.1", false},
		{"example.com", "100.64.0.1", false},
		{"192.168.1.1", "192.168.1.1", true},
		{"192.168.1.1", "192.168.1.2", false},
		{"localhost", "127.0.0.1", true},
		{"localhost", "10.0.0.1", false},
	} {
		if got := allowed(tc.host, netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("allowed(%s, %s) = %v, want %v", tc.host, tc.addr, got, tc.want)
		}
	}
}

func TestRedirects(t *testing.T) {
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, "http://elsewhere.test/x", http.StatusFound)
		case "/home":
			http.Redirect(w, r, "/done", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "done")
		}
	})
	visited := false
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		visited = true
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	c := New(Options{Hosts: []string{"127.0.0.1"}, Lookup: lookup})
	base := "http://127.0.0.1:" + port
	if _, err := c.Do(context.Background(), Request{URL: base + "/away"}); !errors.Is(err, ErrUndeclaredHost) || !strings.Contains(err.Error(), "elsewhere.test") {
		t.Fatalf("redirect to undeclared host: err = %v", err)
	}
	if visited {
		t.Fatal("the undeclared redirect target was resolved")
	}
	resp, err := c.Do(context.Background(), Request{URL: base + "/home"})
	if err != nil || string(resp.Body) != "done" {
		t.Fatalf("redirect on a declared host: %v %v", resp, err)
	}
	if _, err := c.Do(context.Background(), Request{URL: base + "/loop"}); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("redirect loop: err = %v", err)
	}
}

func TestCaps(t *testing.T) {
	release := make(chan struct{})
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(make([]byte, 2000))
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	c := New(Options{Hosts: []string{"127.0.0.1"}, MaxBody: 1000, MaxConcurrent: 1})
	base := "http://127.0.0.1:" + port
	if _, err := c.Do(context.Background(), Request{URL: base + "/big"}); err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Fatalf("oversized answer: err = %v", err)
	}
	if _, err := c.Do(context.Background(), Request{Method: "POST", URL: base + "/", Body: make([]byte, 1001)}); err == nil || !strings.Contains(err.Error(), "request body") {
		t.Fatalf("oversized request: err = %v", err)
	}
	start := time.Now()
	_, err := c.Do(context.Background(), Request{URL: base + "/slow", Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("slow answer: err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("slow answer took %v with a 100 ms timeout", time.Since(start))
	}
	// one slot: a second request waits and gives up within its own timeout
	done := make(chan error)
	go func() {
		_, err := c.Do(context.Background(), Request{URL: base + "/slow", Timeout: 5 * time.Second})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Do(context.Background(), Request{URL: base + "/", Timeout: 100 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "concurrent") {
		t.Fatalf("second request beyond the cap: err = %v", err)
	}
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("first request: %v", err)
	}
}

func TestJSONBothWaysAndNoCookies(t *testing.T) {
	var cookieSeen bool
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("s"); err == nil {
			cookieSeen = true
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"echo": in["hello"], "ct": r.Header.Get("Content-Type")})
	})
	c := New(Options{Hosts: []string{"127.0.0.1"}})
	for range 2 {
		resp, err := c.Do(context.Background(), Request{Method: "post", URL: "http://127.0.0.1:" + port + "/",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"hello":"world"}`)})
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]string
		if err := json.Unmarshal(resp.Body, &out); err != nil || out["echo"] != "world" || out["ct"] != "application/json" {
			t.Fatalf("answer %s (%v)", resp.Body, err)
		}
	}
	if cookieSeen {
		t.Fatal("a cookie was kept and sent back")
	}
}

func TestNoProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://192.0.2.1:9")
	t.Setenv("http_proxy", "http://192.0.2.1:9")
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "direct") })
	c := New(Options{Hosts: []string{"127.0.0.1"}})
	resp, err := c.Do(context.Background(), Request{URL: "http://127.0.0.1:" + port + "/", Timeout: 2 * time.Second})
	if err != nil || string(resp.Body) != "direct" {
		t.Fatalf("%v %v", resp, err)
	}
}

func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{"discord.com": true, "127.0.0.1": true, "::1": true, "a_b.example": true,
		"": false, "discord.com:443": false, "https://x": false, "a/b": false, "a..b": false} {
		if ValidHost(h) != want {
			t.Errorf("ValidHost(%q) = %v", h, !want)
		}
	}
}

// TestSystemResolverPathChecksTheResolvedAddress: without an injected
// Lookup the dialer resolves the name itself and Control still sees the
// resolved address: localhost declared is reached through the system's
// resolver (loopback is allowed for it; other names are covered by
// TestAllowedAddresses and the injected Lookup cases).
func TestSystemResolverPathChecksTheResolvedAddress(t *testing.T) {
	_, port := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := New(Options{Hosts: []string{"localhost"}})
	if resp, err := c.Do(context.Background(), Request{URL: "http://localhost:" + port + "/"}); err != nil || string(resp.Body) != "ok" {
		t.Fatalf("localhost declared: %v %v", resp, err)
	}
}
