package ingest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// rfc6901Doc is the example document of RFC 6901, section 5.
const rfc6901Doc = `{
	"foo": ["bar", "baz"],
	"": 0,
	"a/b": 1,
	"c%d": 2,
	"e^f": 3,
	"g|h": 4,
	"i\\j": 5,
	"k\"l": 6,
	" ": 7,
	"m~n": 8,
	"~1": 9,
	"deep": {"list": [{"x": [10, 11]}], "0": "key zero"}
}`

func decodeForTest(t testing.TB, doc string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestResolvePointer(t *testing.T) {
	doc := decodeForTest(t, rfc6901Doc)
	tests := []struct {
		pointer string
		want    any
		found   bool
	}{
		// RFC 6901, section 5.
		{"/foo", []any{"bar", "baz"}, true},
		{"/foo/0", "bar", true},
		{"/", json.Number("0"), true},
		{"/a~1b", json.Number("1"), true},
		{"/c%d", json.Number("2"), true},
		{"/e^f", json.Number("3"), true},
		{"/g|h", json.Number("4"), true},
		{`/i\j`, json.Number("5"), true},
		{`/k"l`, json.Number("6"), true},
		{"/ ", json.Number("7"), true},
		{"/m~0n", json.Number("8"), true},
		// ~01 unescapes to ~1, never to /.
		{"/~01", json.Number("9"), true},
		{"/deep/list/0/x/1", json.Number("11"), true},
		{"/deep/0", "key zero", true}, // on an object, "0" is a key
		{"/foo/2", nil, false},
		{"/foo/-", nil, false},
		{"/foo/01", nil, false},
		{"/foo/-1", nil, false},
		{"/foo/+1", nil, false},
		{"/foo/99999999999999999999", nil, false},
		{"/foo/0/x", nil, false}, // into a string
		{"/nope", nil, false},
		{"/a~1b/c", nil, false}, // into a number
		{"//", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.pointer, func(t *testing.T) {
			tokens, err := parsePointer(tt.pointer)
			if err != nil {
				t.Fatalf("parsePointer: %v", err)
			}
			got, found := resolvePointer(doc, tokens)
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolve = %#v, %v; want %#v, %v", got, found, tt.want, tt.found)
			}
		})
	}
	// The empty pointer is the whole document.
	if got, found := resolvePointer(doc, nil); !found || !reflect.DeepEqual(got, doc) {
		t.Errorf(`"" resolved to %v, %v`, got, found)
	}
}

func TestParsePointer(t *testing.T) {
	tests := []struct {
		pointer string
		want    []string
		ok      bool
	}{
		{"", nil, true},
		{"/", []string{""}, true},
		{"/a/b", []string{"a", "b"}, true},
		{"/a~1b/~0", []string{"a/b", "~"}, true},
		{"/~0~1~01~10", []string{"~/~1/0"}, true},
		{"a", nil, false},
		{"#/a", nil, false}, // URI fragments are not supported
		{"/a~", nil, false},
		{"/a~2", nil, false},
		{"/~a", nil, false},
	}
	for _, tt := range tests {
		got, err := parsePointer(tt.pointer)
		if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePointer(%q) = %q, %v; want %q, ok %v", tt.pointer, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParsePointer(f *testing.F) {
	doc := decodeForTest(f, rfc6901Doc)
	for _, seed := range []string{"", "/", "/foo/0", "/a~1b", "/~01", "/a~", "/foo/-", "/deep/list/0/x/1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pointer string) {
		tokens, err := parsePointer(pointer)
		if err != nil {
			return
		}
		if len(pointer) > 0 && len(tokens) == 0 {
			t.Fatalf("%q parsed to no tokens", pointer)
		}
		resolvePointer(doc, tokens)
	})
}
