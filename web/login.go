package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// LoginCodeTTL is how long a login link stays valid after it was made.
const LoginCodeTTL = 15 * time.Minute

// LoginCode makes a one-time code for the panel's login link. It is made from
// the API token, so whoever can read the token (the engine at start,
// `starstreamer token` on the same machine) can make one and nobody else can;
// the panel accepts each code once, within LoginCodeTTL of its making. The
// format is ISSUED.NONCE.MAC: the unix second it was made, 8 random bytes, and
// an HMAC-SHA256 of both keyed by the token (16 bytes, hex).
func LoginCode(token string, now time.Time) string {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	issued := strconv.FormatInt(now.Unix(), 10)
	n := hex.EncodeToString(nonce[:])
	return issued + "." + n + "." + loginMAC(token, issued, n)
}

func loginMAC(token, issued, nonce string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("starstreamer login v1\x00" + issued + "\x00" + nonce))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// LoginURL is the login link of the panel at addr with a fresh one-time code.
// A panel bound to every interface is linked through 127.0.0.1.
func LoginURL(addr, token string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return "http://" + addr + "/login?code=" + LoginCode(token, time.Now())
}

// LoginURL is this panel's login link with a fresh one-time code (printed at start).
func (s *Server) LoginURL() string { return LoginURL(s.Addr(), s.token) }

var errBadCode = errors.New("this login link is not valid: it was used already, is older than 15 minutes or than this run of the engine, or is not from this engine. Print a new one with: starstreamer token")

// redeem accepts a login code once: made with this engine's token, at most
// LoginCodeTTL ago and not before this server started (used codes are
// remembered in memory only, so an older one could otherwise be replayed after
// a restart). Used codes are forgotten once they expire.
func (s *Server) redeem(code string, now time.Time) error {
	if len(code) > 128 {
		return errBadCode
	}
	parts := strings.Split(code, ".")
	if len(parts) != 3 {
		return errBadCode
	}
	sec, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return errBadCode
	}
	issued := time.Unix(sec, 0)
	if now.Sub(issued) > LoginCodeTTL || issued.Sub(now) > time.Minute || sec < s.started.Unix() {
		return errBadCode
	}
	if !hmac.Equal([]byte(parts[2]), []byte(loginMAC(s.token, parts[0], parts[1]))) {
		return errBadCode
	}
	s.codesMu.Lock()
	defer s.codesMu.Unlock()
	for n, exp := range s.usedCodes {
		if now.After(exp) {
			delete(s.usedCodes, n)
		}
	}
	if _, used := s.usedCodes[parts[1]]; used {
		return errBadCode
	}
	s.usedCodes[parts[1]] = issued.Add(LoginCodeTTL + time.Minute)
	return nil
}
