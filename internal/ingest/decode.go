package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// decodeBody checks the limits every format shares and decodes body, with
// numbers kept as json.Number. The result is any JSON value; callers that
// need an object use decodeObject.
func decodeBody(body []byte) (any, error) {
	if len(body) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("body", "empty")
	}
	if tooDeepJSON(body, MaxDocumentDepth) {
		return nil, invalid("body", "nested deeper than %d levels", MaxDocumentDepth)
	}
	if err := CheckText(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("body", "not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("body", "unexpected data after the JSON value")
	}
	return v, nil
}

// CheckText applies the rule every JSON body entering Vigil follows: no
// key or string value holds invalid UTF-8 or a NUL character.
// encoding/json silently replaces invalid UTF-8 with U+FFFD, and a NUL
// character is valid UTF-8 that PostgreSQL refuses to store, so both are
// found here, before decoding, and named by their path in a
// *ValidationError. It returns nil for clean text.
func CheckText(body []byte) error {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	var p problems
	checkStrings(body, &p)
	if !utf8.Valid(body) && p.empty() {
		p.add("body", "not valid UTF-8")
	}
	return p.err()
}

// decodeObject is decodeBody for formats whose body is a JSON object.
func decodeObject(body []byte) (map[string]any, error) {
	v, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("body", "must be a JSON object")
	}
	return obj, nil
}

// tooDeepJSON reports whether body nests objects and arrays deeper than
// limit. It only counts brackets outside strings: malformed input is left
// for the decoder to refuse.
func tooDeepJSON(body []byte, limit int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// tooDeep reports whether a decoded value nests deeper than limit levels
// (an object or array is one level, a scalar none).
func tooDeep(v any, limit int) bool {
	switch c := v.(type) {
	case map[string]any:
		if limit == 0 {
			return true
		}
		for _, child := range c {
			if tooDeep(child, limit-1) {
				return true
			}
		}
	case []any:
		if limit == 0 {
			return true
		}
		for _, child := range c {
			if tooDeep(child, limit-1) {
				return true
			}
		}
	}
	return false
}

// checkStrings walks body token by token and reports every key and string
// value holding invalid UTF-8 or a NUL character, by its path.
func checkStrings(body []byte, p *problems) {
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	pathOf := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if f.wantKey { // the key itself is at fault: name its object
					continue
				}
				writeKey(&b, f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// valueDone moves the enclosing container on to its next member.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return // end of input, or a syntax error the decoder reports later
		}
		off := dec.InputOffset()
		// Between two tokens lie only punctuation, white space and the
		// token itself, so invalid bytes there belong to this token.
		raw := body[prev:off]
		prev = off
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			n := len(stack)
			isKey := n > 0 && stack[n-1].object && stack[n-1].wantKey
			switch {
			case !utf8.Valid(raw) && isKey:
				p.add(pathOf(), "a key is not valid UTF-8")
			case !utf8.Valid(raw):
				p.add(pathOf(), "not valid UTF-8")
			case strings.IndexByte(t, 0) >= 0 && isKey:
				p.add(pathOf(), "a key contains a NUL character")
			case strings.IndexByte(t, 0) >= 0:
				p.add(pathOf(), "contains a NUL character")
			}
			if isKey {
				stack[n-1].key = t
				stack[n-1].wantKey = false
			} else {
				valueDone()
			}
		default:
			valueDone()
		}
	}
}

// writeKey appends an object key to a field path: dotted when it is a plain
// identifier, quoted in brackets otherwise, so that a hostile key cannot
// garble an error message.
func writeKey(b *strings.Builder, key string) {
	if plainKey(key) {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
		return
	}
	b.WriteString("[" + strconv.Quote(truncateRunes(key, 64)) + "]")
}

func plainKey(key string) bool {
	if key == "" || len(key) > 64 {
		return false
	}
	for _, c := range []byte(key) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// fieldName joins a parent path and a key into a field path.
func fieldName(parent, key string) string {
	var b strings.Builder
	b.WriteString(parent)
	writeKey(&b, key)
	return b.String()
}

// indexName is the path of an array element.
func indexName(array string, i int) string {
	return array + "[" + strconv.Itoa(i) + "]"
}

// absent reports whether obj lacks key or holds null there: JSON senders
// use both for "not given".
func absent(obj map[string]any, key string) bool {
	return obj[key] == nil
}

// stringField reads an optional string; absent and null read as "". A value
// of another type is a problem, reported against parent.key, and reads as "".
func stringField(p *problems, obj map[string]any, parent, key string) string {
	v := obj[key]
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.add(fieldName(parent, key), "must be a string")
	}
	return s
}

// requiredString is stringField for a field that must be a non-empty string.
func requiredString(p *problems, obj map[string]any, parent, key string) string {
	v := obj[key]
	if v == nil {
		p.add(fieldName(parent, key), "required")
		return ""
	}
	s, ok := v.(string)
	switch {
	case !ok:
		p.add(fieldName(parent, key), "must be a string")
	case s == "":
		p.add(fieldName(parent, key), "required")
	}
	return s
}

// objectField reads an optional JSON object; absent and null read as nil.
func objectField(p *problems, obj map[string]any, parent, key string) map[string]any {
	v := obj[key]
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add(fieldName(parent, key), "must be an object")
	}
	return m
}

// arrayField reads an optional JSON array; absent and null read as nil.
func arrayField(p *problems, obj map[string]any, parent, key string) []any {
	v := obj[key]
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		p.add(fieldName(parent, key), "must be an array")
	}
	return a
}

// detailsField reads an optional details object of bounded depth.
func detailsField(p *problems, obj map[string]any, parent, key string) map[string]any {
	m := objectField(p, obj, parent, key)
	if tooDeep(m, MaxDetailsDepth) {
		p.add(fieldName(parent, key), "nested deeper than %d levels", MaxDetailsDepth)
		return nil
	}
	return m
}

// objectsField reads an optional array of objects, each with read, which
// is given the element's path and reports whether to keep what it read.
// An element that is not an object is a problem and is left out.
func objectsField[T any](p *problems, obj map[string]any, parent, key string, read func(m map[string]any, at string) (T, bool)) []T {
	items := arrayField(p, obj, parent, key)
	if len(items) == 0 {
		return nil
	}
	name := fieldName(parent, key)
	out := make([]T, 0, len(items))
	for i, item := range items {
		at := indexName(name, i)
		m, ok := item.(map[string]any)
		if !ok {
			p.add(at, "must be an object")
			continue
		}
		if v, keep := read(m, at); keep {
			out = append(out, v)
		}
	}
	return out
}

// linksField reads links[]: objects with a required href and optional text.
func linksField(p *problems, obj map[string]any, parent, key string) []Link {
	return objectsField(p, obj, parent, key, func(m map[string]any, at string) (Link, bool) {
		l := Link{Href: requiredString(p, m, at, "href"), Text: stringField(p, m, at, "text")}
		return l, l.Href != ""
	})
}

// imagesField reads images[]: objects with a required src and optional
// href and alt.
func imagesField(p *problems, obj map[string]any, parent, key string) []Image {
	return objectsField(p, obj, parent, key, func(m map[string]any, at string) (Image, bool) {
		img := Image{
			Src:  requiredString(p, m, at, "src"),
			Href: stringField(p, m, at, "href"),
			Alt:  stringField(p, m, at, "alt"),
		}
		return img, img.Src != ""
	})
}

// timeField reads an optional ISO 8601 timestamp (see parseTime).
func timeField(p *problems, obj map[string]any, parent, key string) time.Time {
	s := stringField(p, obj, parent, key)
	if s == "" {
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		p.add(fieldName(parent, key), "not an ISO 8601 date and time")
	}
	return t
}

// timeLayouts are the ISO 8601 forms senders use. Parsing accepts
// fractional seconds after the seconds in every layout.
var timeLayouts = []string{
	time.RFC3339,                // Z, +00:00
	"2006-01-02T15:04:05Z0700",  // +0000, as PagerDuty's own examples write it
	"2006-01-02T15:04:05Z07",    // +00
	"2006-01-02T15:04:05",       // no offset: UTC
	"2006-01-02 15:04:05Z07:00", // RFC 3339 allows a space for the T
}

// parseTime parses an ISO 8601 date and time, returned in UTC.
func parseTime(s string) (time.Time, error) {
	var firstErr error
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t.UTC(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// runeLen counts characters, which is what the length limits count.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// truncateRunes cuts s to at most n characters, marking the cut with an
// ellipsis.
func truncateRunes(s string, n int) string {
	if len(s) <= n || runeLen(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}

func lowerTrim(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
