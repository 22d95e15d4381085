package obs

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/andreykaipov/goobs"
	"github.com/andreykaipov/goobs/api/requests"
)

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any
		wantErr bool
	}{
		{name: "no response data is an empty map", in: "", want: map[string]any{}},
		{name: "null is an empty map", in: "null", want: map[string]any{}},
		{name: "integers become int64", in: `{"sceneItemId":3,"big":9007199254740993}`,
			want: map[string]any{"sceneItemId": int64(3), "big": int64(9007199254740993)}},
		{name: "fractions and exponents become float64", in: `{"fps":29.97,"e":1e3}`,
			want: map[string]any{"fps": 29.97, "e": 1000.0}},
		{name: "nested lists and objects are normalized", in: `{"sceneItems":[{"sceneItemId":1,"sourceName":"Red","on":true,"x":null}]}`,
			want: map[string]any{"sceneItems": []any{map[string]any{"sceneItemId": int64(1), "sourceName": "Red", "on": true, "x": nil}}}},
		{name: "a number beyond float64 stays text", in: `{"n":1e999}`, want: map[string]any{"n": "1e999"}},
		{name: "an array is not an object", in: `[1]`, wantErr: true},
		{name: "a string is not an object", in: `"x"`, wantErr: true},
		{name: "trailing data is refused", in: `{} {}`, wantErr: true},
		{name: "broken JSON is refused", in: `{"a":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeObject([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeObject(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeObject(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// checkShapes fails unless v holds only the value types Emit and Call promise.
func checkShapes(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, string, bool, int64:
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("non-finite float %v", x)
		}
	case []any:
		for _, e := range x {
			checkShapes(t, e)
		}
	case map[string]any:
		for _, e := range x {
			checkShapes(t, e)
		}
	default:
		t.Fatalf("value of type %T escaped normalization", v)
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"a":1}`, `{"a":[1,2.5,"x",null,true,{"b":-0}]}`, `{"n":1e999}`, `[1]`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeObject(data)
		if err != nil {
			return
		}
		checkShapes(t, m)
		// What decodes must re-encode, and decode to the same values.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encoding %#v: %v", m, err)
		}
		m2, err := decodeObject(b)
		if err != nil {
			t.Fatalf("decoding re-encoded %s: %v", b, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the value:\n %#v\n %#v", m, m2)
		}
	})
}

func TestEncodeFields(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    string
		wantErr bool
	}{
		{name: "nil fields are an empty object", in: nil, want: `{}`},
		{name: "empty fields are an empty object", in: map[string]any{}, want: `{}`},
		{name: "nested values are encoded", in: map[string]any{"sceneName": "A", "n": int64(2), "s": map[string]any{"k": []any{1.5, nil}}},
			want: `{"n":2,"s":{"k":[1.5,null]},"sceneName":"A"}`},
		{name: "unencodable values are an error", in: map[string]any{"f": func() {}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeFields(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// goobsError builds the error text goobs v1.6.0's SendRequest returns for a
// failed status (api/client.go).
func goobsError(name string, code int, comment string) string {
	s := fmt.Sprintf("request %s: %s (%d)", name, requests.GetStatusForCode(code), code)
	if comment != "" {
		s += ": " + comment
	}
	return s
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name        string
		msg         string
		wantCode    int
		wantComment string
		wantOK      bool
	}{
		{name: "status with a comment", msg: goobsError("GetSceneItemId", 600, "No scene items were found: in the scene."),
			wantCode: 600, wantComment: "No scene items were found: in the scene.", wantOK: true},
		{name: "status without a comment", msg: goobsError("StopStream", 501, ""), wantCode: 501, wantOK: true},
		{name: "a timeout is not a status", msg: "request X: timeout waiting for response from server"},
		{name: "a disconnect is not a status", msg: "request X: client already disconnected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, comment, ok := parseStatus(tt.msg)
			if code != tt.wantCode || comment != tt.wantComment || ok != tt.wantOK {
				t.Errorf("parseStatus(%q) = %d, %q, %v; want %d, %q, %v", tt.msg, code, comment, ok, tt.wantCode, tt.wantComment, tt.wantOK)
			}
		})
	}
}

func TestAPIClientOfFindsTheField(t *testing.T) {
	// An unconnected goobs client has the field, but nil: the type check
	// passed and the nil is reported. A connected client is covered by every
	// test against a real OBS.
	_, err := apiClientOf(&goobs.Client{})
	if err == nil || err.Error() != "obs: goobs client has a nil api client" {
		t.Fatalf("apiClientOf(empty client) error = %v", err)
	}
	if _, err := apiClientOf(nil); err == nil {
		t.Fatal("apiClientOf(nil) succeeded")
	}
}
