package discord

import (
	"fmt"
	"slices"
	"strings"
)

// Discord's limits on an embed (characters).
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxEmbedFieldName   = 256
	maxEmbedFieldValue  = 1024
	maxEmbedFooter      = 2048
)

// EmbedFromMap builds an Embed from a script's table: title, description,
// url, color (a number such as 0x9146FF), footer and image (texts), fields (a
// list of { name, value, inline }). Any other key, a wrong type or a text
// over Discord's limit is an error naming the field.
func EmbedFromMap(m map[string]any) (*Embed, error) {
	e := &Embed{}
	str := func(k string, limit int) (string, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("embed.%s must be a text, not %T", k, v)
		}
		if n := len([]rune(s)); n > limit {
			return "", fmt.Errorf("embed.%s is %d characters, Discord allows %d", k, n, limit)
		}
		return s, nil
	}
	var err error
	known := []string{"title", "description", "url", "color", "fields", "footer", "image"}
	for k := range m {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("embed.%s is not an embed field (known: %s)", k, strings.Join(known, ", "))
		}
	}
	if e.Title, err = str("title", maxEmbedTitle); err != nil {
		return nil, err
	}
	if e.Description, err = str("description", maxEmbedDescription); err != nil {
		return nil, err
	}
	if e.URL, err = str("url", 2048); err != nil {
		return nil, err
	}
	if e.Footer, err = str("footer", maxEmbedFooter); err != nil {
		return nil, err
	}
	if e.Image, err = str("image", 2048); err != nil {
		return nil, err
	}
	switch c := m["color"].(type) {
	case nil:
	case int64:
		e.Color = int(c)
	case float64:
		if c != c || c < 0 || c > 0xFFFFFF { // NaN or out of range: before int() makes it implementation-defined
			return nil, fmt.Errorf("embed.color must be between 0 and 0xFFFFFF")
		}
		e.Color = int(c)
	default:
		return nil, fmt.Errorf("embed.color must be a number, not %T", c)
	}
	if e.Color < 0 || e.Color > 0xFFFFFF {
		return nil, fmt.Errorf("embed.color must be between 0 and 0xFFFFFF")
	}
	if f, ok := m["fields"]; ok && f != nil {
		list, ok := f.([]any)
		if !ok {
			return nil, fmt.Errorf("embed.fields must be a list of { name, value, inline }")
		}
		if len(list) > maxEmbedFields {
			return nil, fmt.Errorf("embed.fields has %d fields, Discord allows %d", len(list), maxEmbedFields)
		}
		for i, x := range list {
			fm, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("embed.fields[%d] must be a table { name, value, inline }", i+1)
			}
			name, _ := fm["name"].(string)
			value, _ := fm["value"].(string)
			inline, _ := fm["inline"].(bool)
			if name == "" || value == "" {
				return nil, fmt.Errorf("embed.fields[%d] needs a name and a value (texts)", i+1)
			}
			if len([]rune(name)) > maxEmbedFieldName || len([]rune(value)) > maxEmbedFieldValue {
				return nil, fmt.Errorf("embed.fields[%d] is too long (name at most %d, value at most %d characters)", i+1, maxEmbedFieldName, maxEmbedFieldValue)
			}
			e.Fields = append(e.Fields, EmbedField{Name: name, Value: value, Inline: inline})
		}
	}
	if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Image == "" {
		return nil, fmt.Errorf("embed needs a title, a description, fields or an image")
	}
	return e, nil
}
