package obs

import (
	"errors"
	"fmt"

	"github.com/andreykaipov/goobs/api/requests"
)

// ErrNotConnected is returned (wrapped) by every request made while the
// client has no live connection to OBS. Test for it with errors.Is.
var ErrNotConnected = errors.New("obs: not connected")

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
