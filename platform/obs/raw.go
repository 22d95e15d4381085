package obs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"

	"github.com/andreykaipov/goobs"
	"github.com/andreykaipov/goobs/api"
)

// This file holds the generic request path. goobs v1.6.0 sends every typed
// request through api.Client.SendRequest, which accepts any request name and
// any JSON-encodable body; only the *api.Client is unexported. apiClientOf
// reaches it once per connection (checked by type, so a goobs upgrade that
// moves it fails with an error, never with memory corruption).

// rawRequest is a request of any type whose body is already encoded JSON.
type rawRequest struct {
	name string
	body json.RawMessage
}

func (r *rawRequest) GetRequestName() string       { return r.name }
func (r *rawRequest) MarshalJSON() ([]byte, error) { return r.body, nil }

// rawResponse keeps the response data as raw JSON (via api.ResponseCommon).
// Rest only exists so that goobs' strict debug decoder (GOOBS_LOG set, which
// uses mapstructure with ErrorUnused) has somewhere to put the fields.
type rawResponse struct {
	api.ResponseCommon
	Rest map[string]any `json:",remain"`
}

var apiClientType = reflect.TypeFor[*api.Client]()

// apiClientOf returns the *api.Client inside a connected goobs client.
func apiClientOf(gc *goobs.Client) (*api.Client, error) {
	if gc == nil {
		return nil, errors.New("obs: nil goobs client")
	}
	f := reflect.ValueOf(gc).Elem().FieldByName("client")
	if !f.IsValid() || f.Type() != apiClientType {
		return nil, fmt.Errorf("obs: goobs %s has no client *api.Client field; the raw request path needs updating", goobs.LibraryVersion)
	}
	p := (*api.Client)(f.UnsafePointer())
	if p == nil {
		return nil, errors.New("obs: goobs client has a nil api client")
	}
	return p, nil
}

// encodeFields encodes request fields as a JSON object ({} when empty).
func encodeFields(fields map[string]any) (json.RawMessage, error) {
	if len(fields) == 0 {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encoding request fields: %w", err)
	}
	return b, nil
}

// decodeObject decodes an OBS response object into the value shapes the
// engine uses: string, bool, int64, float64, nil, []any and map[string]any.
// Empty input (a request without response data) is an empty map.
func decodeObject(data []byte) (map[string]any, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding response: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decoding response: trailing data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding response: want a JSON object, got %T", v)
	}
	return normalizeMap(m), nil
}

func normalizeMap(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normalize(v)
	}
	return m
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			// Out of float64 range: keep the text rather than lose it.
			return string(x)
		}
		return f
	case map[string]any:
		return normalizeMap(x)
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	default: // string, bool, nil
		return v
	}
}

// goobsStatus matches the error text goobs v1.6.0 builds for a failed
// request: "request NAME: STATUS (CODE)" optionally followed by ": COMMENT".
var goobsStatus = regexp.MustCompile(`(?s)^request \S+: \w+ \((\d+)\)(?:: (.*))?$`)

// parseStatus extracts the obs-websocket status code and comment from a goobs
// request error. ok is false when the error is not a request status.
func parseStatus(msg string) (code int, comment string, ok bool) {
	m := goobsStatus.FindStringSubmatch(msg)
	if m == nil {
		return 0, "", false
	}
	code, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, "", false
	}
	return code, m[2], true
}
