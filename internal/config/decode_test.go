package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// sample has a field of every kind the decoder reads.
type sample struct {
	S     string            `yaml:"s"`
	B     bool              `yaml:"b"`
	I     int               `yaml:"i"`
	I8    int8              `yaml:"i8"`
	U     uint16            `yaml:"u"`
	F     float64           `yaml:"f"`
	F32   float32           `yaml:"f32"`
	T     time.Time         `yaml:"t"`
	D     duration.Duration `yaml:"d"`
	P     *sample           `yaml:"p"`
	L     []string          `yaml:"l"`
	M     map[string]string `yaml:"m"`
	Any   any               `yaml:"any"`
	Plain string            // no tag: the lower-case field name
	Skip  string            `yaml:"-"`
}

func decodeSample(t *testing.T, src string) (sample, []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	d := newDecoder(newSuggester())
	d.startDocument("d.yaml")
	var s sample
	d.decode(doc.Content[0], reflect.ValueOf(&s).Elem(), "")
	var problems []string
	for _, p := range d.problems {
		problems = append(problems, p.String())
	}
	return s, problems
}

func TestDecodeValues(t *testing.T) {
	s, problems := decodeSample(t, `
s: 0042
b: true
i: -7
i8: 127
u: 65535
f: 1.5
f32: 2
t: 2026-01-05T09:00:00+01:00
d: 1d2h
p: {s: inner, p: {i: 3}}
l: [a, "b", 3]
m: {x: "1", "y": z}
any: {k: [1, two]}
plain: yes
`)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := sample{
		S: "0042", B: true, I: -7, I8: 127, U: 65535, F: 1.5, F32: 2,
		T: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC),
		D: duration.Duration(26 * time.Hour),
		P: &sample{S: "inner", P: &sample{I: 3}},
		L: []string{"a", "b", "3"},
		M: map[string]string{"x": "1", "y": "z"},
		// "yes" is a string in YAML 1.2, which yaml.v3 follows.
		Plain: "yes",
	}
	anyValue := s.Any
	s.Any = nil
	if !s.T.Equal(want.T) {
		t.Errorf("t = %v, want %v", s.T, want.T)
	}
	s.T, want.T = time.Time{}, time.Time{}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", s, want)
	}
	if want := map[string]any{"k": []any{1, "two"}}; !reflect.DeepEqual(anyValue, want) {
		t.Errorf("any = %#v, want %#v", anyValue, want)
	}
}

func TestDecodeWrongTypes(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"s: [a]", `d.yaml:1:4: s: expected a string, got a list`},
		{"b: yes", `d.yaml:1:4: b: expected true or false, got "yes"`},
		{`b: "true"`, `d.yaml:1:4: b: expected true or false, got "true"`},
		{"i: 1.5", `d.yaml:1:4: i: expected a whole number, got "1.5"`},
		{"i: 99999999999999999999", `d.yaml:1:4: i: expected a whole number, got "99999999999999999999"`},
		{"i8: 128", `d.yaml:1:5: i8: expected a whole number, got "128"`},
		{"u: -1", `d.yaml:1:4: u: expected a whole number, 0 or more, got "-1"`},
		{"u: 65536", `d.yaml:1:4: u: expected a whole number, 0 or more, got "65536"`},
		{"f: fast", `d.yaml:1:4: f: expected a number, got "fast"`},
		{"f32: 1e300", `d.yaml:1:6: f32: expected a number, got "1e300"`},
		{"t: 2026-01-05 09:00", `d.yaml:1:4: t: expected an RFC 3339 timestamp such as "2026-01-05T09:00:00+01:00", got "2026-01-05 09:00"`},
		{"d: [1m]", `d.yaml:1:4: d: expected a string, got a list`},
		{"p: 5", `d.yaml:1:4: p: expected a mapping, got "5"`},
		{"l: {a: b}", `d.yaml:1:4: l: expected a list, got a mapping`},
		{"m: [a]", `d.yaml:1:4: m: expected a mapping, got a list`},
		{"m: {a: [b]}", `d.yaml:1:8: m.a: expected a string, got a list`},
		{"skip: x", `d.yaml:1:1: skip: unknown field "skip"`},
		{"Plain: x", `d.yaml:1:1: Plain: unknown field "Plain" (did you mean "plain"?)`},
		{"s: a\ns: b", `d.yaml:2:1: s: duplicate key "s"`},
		{"m: {a: x, a: y}", `d.yaml:1:11: m.a: duplicate key "a"`},
	}
	for _, tt := range tests {
		_, got := decodeSample(t, tt.yaml)
		if !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%q:\n got %s\nwant %s", tt.yaml, strings.Join(got, "\n     "), tt.want)
		}
	}
}

func TestDecodeNullLeavesZero(t *testing.T) {
	s, problems := decodeSample(t, "s: ~\np: null\nl:\nm: ~\nany: ~\n")
	if len(problems) > 0 || !reflect.DeepEqual(s, sample{}) {
		t.Errorf("got %+v %v, want the zero value and no problem", s, problems)
	}
}
