package obs

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/andreykaipov/goobs/api/requests"
	"github.com/gorilla/websocket"
)

// ErrNotConnected is returned (wrapped) by every request made while the
// client has no live connection to OBS. Test for it with errors.Is.
var ErrNotConnected = errors.New("obs: not connected")

// Why a connection attempt failed, for errors.Is on Status().LastError.
var (
	// ErrRefused: nothing listens at the address.
	ErrRefused = errors.New("connection refused: is OBS running, with Tools > WebSocket Server Settings > Enable WebSocket server checked, on this address and port?")
	// ErrAuthFailed: OBS refused the password.
	ErrAuthFailed = errors.New("wrong password: OBS refused it (the password is under Tools > WebSocket Server Settings > Show Connect Info)")
	// ErrVersion: something answers at the address, but not obs-websocket 5.
	ErrVersion = errors.New("wrong version: the server at this address does not speak obs-websocket 5 (OBS 28 or newer, or the obs-websocket 5 plugin, is needed)")
)

// closeUnsupportedRPCVersion is obs-websocket's close code for an RPC
// version it does not support.
const closeUnsupportedRPCVersion = 4010

// dialError names why a connection attempt failed: one of ErrRefused,
// ErrAuthFailed, ErrVersion, wrapped with the underlying error; any other
// failure is returned as it is. silent says the WebSocket opened but no
// obs-websocket 5 Hello came; closeCode is the close code the server sent
// (0: none seen).
func dialError(addr string, err error, silent bool, closeCode int) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		closeCode = ce.Code
	}
	var kind error
	switch {
	case closeCode == closeAuthFailed:
		kind = ErrAuthFailed
	case closeCode == closeUnsupportedRPCVersion:
		kind = ErrVersion
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = ErrRefused
	case errors.Is(err, websocket.ErrBadHandshake), silent:
		kind = ErrVersion
	default:
		return fmt.Errorf("obs: connecting to %s: %w", addr, err)
	}
	return fmt.Errorf("obs: %w (connecting to %s: %w)", kind, addr, err)
}

// StatusResourceNotFound is obs-websocket's status code for a scene, source
// or scene item that does not exist.
const StatusResourceNotFound = 600

// RequestError is a request that OBS answered with a failure status.
type RequestError struct {
	RequestType string
	Code        int    // obs-websocket RequestStatus code, e.g. 600
	Comment     string // OBS' explanation, may be empty
}

func (e *RequestError) Error() string {
	s := fmt.Sprintf("obs: %s failed: %s (%d)", e.RequestType, requests.GetStatusForCode(e.Code), e.Code)
	if e.Comment != "" {
		s += ": " + e.Comment
	}
	return s
}

// IsNotFound reports whether err is OBS saying that the named scene, source or
// scene item does not exist.
func IsNotFound(err error) bool {
	var re *RequestError
	return errors.As(err, &re) && re.Code == StatusResourceNotFound
}
