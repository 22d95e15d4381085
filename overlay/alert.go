package overlay

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/starstreamer/starstreamer/engine"
)

// DefaultOverlay is the overlay alerts go to when none is named; it is shipped
// with the engine (embedded) and written to overlays/alerts/ on first start.
const DefaultOverlay = "alerts"

// Alert bounds.
const (
	MaxTitle        = 200 // characters
	MaxText         = 500
	MinDuration     = 0.5 // seconds
	MaxDuration     = 60
	DefaultDuration = 6
)

// Alert is one alert: shown on its overlay's page for Duration seconds, one at
// a time, in the order queued.
type Alert struct {
	ID       string    `json:"id"`
	Overlay  string    `json:"overlay"`
	Kind     string    `json:"kind"`             // "follow", "sub", ...: the page styles by it
	Title    string    `json:"title,omitempty"`  // the small line: "New follower"
	Text     string    `json:"text,omitempty"`   // the big line: "Alice"
	Image    string    `json:"image,omitempty"`  // a file of media/
	Sound    string    `json:"sound,omitempty"`  // a file of media/
	Accent   string    `json:"accent,omitempty"` // "#rrggbb": the card's colour, "" for the kind's
	Duration float64   `json:"duration"`         // seconds
	Module   string    `json:"module,omitempty"` // who queued it ("panel" for a test)
	Queued   time.Time `json:"queued"`
}

// alertFields are the fields overlay.alert{...} accepts.
var alertFields = []string{"overlay", "title", "text", "image", "sound", "duration", "kind", "accent"}

// ParseAlert builds an Alert from the fields a script gave (plain values as the
// bindings convert them). Every error names the field. Media names are checked
// for form here and for existence by the Manager.
func ParseAlert(fields map[string]any) (Alert, error) {
	a := Alert{Overlay: DefaultOverlay, Kind: "alert", Duration: DefaultDuration}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fields[k]
		str := func(max int) (string, error) {
			s, ok := v.(string)
			if !ok {
				return "", fmt.Errorf("field %s must be a string, not %s", k, typeName(v))
			}
			if !utf8.ValidString(s) {
				return "", fmt.Errorf("field %s is not valid UTF-8", k)
			}
			if n := utf8.RuneCountInString(s); n > max {
				return "", fmt.Errorf("field %s is %d characters long, at most %d", k, n, max)
			}
			return s, nil
		}
		var err error
		switch k {
		case "overlay":
			if a.Overlay, err = str(64); err == nil && !ValidName(a.Overlay) {
				err = fmt.Errorf("field overlay %q is not an overlay name (letters, digits, '_' and '-')", a.Overlay)
			}
		case "title":
			a.Title, err = str(MaxTitle)
		case "text":
			a.Text, err = str(MaxText)
		case "image", "sound":
			var s string
			if s, err = str(maxMediaName); err == nil && s != "" {
				var ct string
				if ct, err = CheckMediaName(s); err == nil {
					want := "image/"
					if k == "sound" {
						want = "audio/"
					}
					if !strings.HasPrefix(ct, want) {
						err = fmt.Errorf("field %s %q is not a%s file", k, s, map[string]string{"image": "n image", "sound": " sound"}[k])
					}
				}
				if err != nil {
					err = fmt.Errorf("field %s: %w", k, err)
				}
			}
			if k == "image" {
				a.Image = s
			} else {
				a.Sound = s
			}
		case "kind":
			if a.Kind, err = str(32); err == nil && !validKind(a.Kind) {
				err = fmt.Errorf("field kind %q: use 1-32 of a-z, 0-9, '_' and '-'", a.Kind)
			}
		case "accent":
			if a.Accent, err = str(7); err == nil && a.Accent != "" && !validColor(a.Accent) {
				err = fmt.Errorf("field accent %q is not a colour such as \"#9146ff\"", a.Accent)
			}
		case "duration":
			f, ok := v.(float64)
			if i, isInt := v.(int64); isInt {
				f, ok = float64(i), true
			} else if i, isInt := v.(int); isInt {
				f, ok = float64(i), true
			}
			switch {
			case !ok:
				err = fmt.Errorf("field duration must be a number of seconds, not %s", typeName(v))
			case math.IsNaN(f) || f < MinDuration || f > MaxDuration:
				err = fmt.Errorf("field duration is %g seconds: use %g to %g", f, float64(MinDuration), float64(MaxDuration))
			default:
				a.Duration = f
			}
		default:
			err = fmt.Errorf("unknown field %q (known: %s)", k, strings.Join(alertFields, ", "))
		}
		if err != nil {
			return Alert{}, err
		}
	}
	if a.Title == "" && a.Text == "" && a.Image == "" {
		return Alert{}, errors.New("an alert needs a title, a text or an image")
	}
	return a, nil
}

func validKind(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validColor(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return "a " + engine.KindOf(v)
}
