package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder fills Go values from YAML nodes the way yaml.v3 would, but keeps
// going after a mistake so that every problem is reported, refuses unknown
// keys, and remembers where each field path sits in the file.
type decoder struct {
	file     string
	problems []Problem
	// failed holds the paths whose value could not be decoded; rules that
	// would complain about the resulting zero value stay quiet there.
	failed []string
	// pos maps a field path to its node's position in the current document.
	pos     map[string]position
	fields  map[reflect.Type]*structFields
	suggest *suggester
}

type position struct{ line, col int }

// structFields are a struct type's YAML keys, from its yaml tags.
type structFields struct {
	index map[string]int
	names []string
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func newDecoder(s *suggester) *decoder {
	return &decoder{fields: map[reflect.Type]*structFields{}, suggest: s}
}

// startDocument resets the per-document state; problems accumulate.
func (d *decoder) startDocument(file string) {
	d.file = file
	d.pos = map[string]position{}
	d.failed = d.failed[:0]
}

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: n.Line, Column: n.Column,
		Path: path, Message: fmt.Sprintf(format, args...),
	})
}

// fail reports a value that could not be decoded.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.add(n, path, format, args...)
	d.failed = append(d.failed, path)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = position{n.Line, n.Column}
	}
	// checkLimits has ruled out alias cycles and bombs.
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero()
		return
	}
	t := v.Type()
	switch {
	case t == timeType:
		d.decodeTime(n, v, path)
		return
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got %s", describe(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), index(path, i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got %s", describe(n))
			return
		}
		// Any scalar reads as its text, so that an unquoted phone number
		// such as +4915100000001 keeps its plus sign and digits.
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.fail(n, path, "expected a whole number, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&u) != nil || v.OverflowUint(u) {
			d.fail(n, path, "expected a whole number, 0 or more, got %s", describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" || n.Decode(&f) != nil || v.OverflowFloat(f) {
			d.fail(n, path, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		// Free-form values, such as parameters passed on to other systems,
		// are taken as yaml.v3 reads them; checkLimits has bounded them.
		var x any
		if t.NumMethod() != 0 || n.Decode(&x) != nil {
			d.fail(n, path, "expected a plain YAML value, got %s", describe(n))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic(fmt.Sprintf("config: no YAML decoding for %s at %s", t, path))
	}
}

func (d *decoder) decodeTime(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode {
		if t, err := time.Parse(time.RFC3339, n.Value); err == nil {
			v.Set(reflect.ValueOf(t))
			return
		}
	}
	d.fail(n, path, `expected an RFC 3339 timestamp such as "2026-01-05T09:00:00+01:00", got %s`, describe(n))
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := d.fieldsOf(v.Type())
	entries := d.entries(n, path)
	for _, e := range entries {
		name := e.key.Value
		i, ok := fields.index[name]
		if !ok {
			typoOf := d.suggest.closest(name, fields.names)
			d.add(e.key, join(path, name), "unknown field %s%s", quote(name), meant(typoOf))
			if typoOf != "" && !hasKey(entries, typoOf) {
				// The value was meant for that field: the typo is the one
				// problem, not also the field's absence.
				d.failed = append(d.failed, join(path, typoOf))
			}
			continue
		}
		d.decode(e.value, v.Field(i), join(path, name))
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		panic(fmt.Sprintf("config: no YAML decoding for %s at %s", t, path))
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(t)
	for _, e := range d.entries(n, path) {
		p := join(path, e.key.Value)
		// Problems with a map entry are as often about its key as its value;
		// the key's position serves both.
		d.pos[p] = position{e.key.Line, e.key.Column}
		elem := reflect.New(t.Elem()).Elem()
		d.decode(e.value, elem, p)
		m.SetMapIndex(reflect.ValueOf(e.key.Value).Convert(t.Key()), elem)
	}
	v.Set(m)
}

type entry struct{ key, value *yaml.Node }

func hasKey(entries []entry, key string) bool {
	for _, e := range entries {
		if e.key.Value == key {
			return true
		}
	}
	return false
}

// entries lists a mapping's key/value pairs with YAML merge keys ("<<")
// applied: explicit keys win over merged ones, and earlier merged mappings
// over later ones. Duplicate and non-string keys are reported and dropped.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var explicit, merged []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeSource(val, path)...)
			continue
		}
		if seen[k.Value] {
			d.add(k, join(path, k.Value), "duplicate key %s", quote(k.Value))
			continue
		}
		seen[k.Value] = true
		explicit = append(explicit, entry{k, val})
	}
	for _, e := range merged {
		if !seen[e.key.Value] {
			seen[e.key.Value] = true
			explicit = append(explicit, e)
		}
	}
	return explicit
}

// mergeSource returns the entries a merge key's value brings in: a mapping,
// or a list of them.
func (d *decoder) mergeSource(n *yaml.Node, path string) []entry {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.entries(n, path)
	case yaml.SequenceNode:
		var out []entry
		for _, item := range n.Content {
			for item.Kind == yaml.AliasNode {
				item = item.Alias
			}
			if item.Kind != yaml.MappingNode {
				d.add(item, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(item))
				continue
			}
			out = append(out, d.entries(item, path)...)
		}
		return out
	}
	d.add(n, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(n))
	return nil
}

func (d *decoder) fieldsOf(t reflect.Type) *structFields {
	if f, ok := d.fields[t]; ok {
		return f
	}
	f := &structFields{index: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		f.index[name] = i
		f.names = append(f.names, name)
	}
	d.fields[t] = f
	return f
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return quote(n.Value)
}

// quote quotes a value for a message, shortened so that a hostile value
// cannot make the report huge.
func quote(s string) string {
	const maxShown = 64
	if len(s) > maxShown {
		return fmt.Sprintf("%.*q...", maxShown, s)
	}
	return strconv.Quote(s)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
