package slo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/OpenSLO/go-sdk/pkg/openslo"
	v1 "github.com/OpenSLO/go-sdk/pkg/openslo/v1"
	"github.com/OpenSLO/go-sdk/pkg/openslosdk"
	"github.com/nobl9/govy/pkg/govy"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/config"
)

// APIVersion is the OpenSLO version Vigil reads.
const APIVersion = "openslo/v1"

// object is one decoded document and where it came from.
type object struct {
	doc  config.Document
	obj  openslo.Object
	name string
}

// parser collects problems and the documents of each kind by name.
type parser struct {
	isService func(string) bool
	problems  []config.Problem
	byKind    map[openslo.Kind]map[string]*object
}

// ParseDocuments reads OpenSLO v1 documents — what the config loader set
// aside in Loaded.OpenSLO — into SLOs. The OpenSLO SDK decodes and
// validates each document; references (an SLO's indicatorRef and
// alertPolicies, an alert policy's conditionRef, a metric source's
// metricSourceRef) are resolved across all documents; isService tells
// whether spec.service names a Vigil service.
//
// Every problem carries the file, line and field path of the offending
// field. SLOs with problems are left out of the result.
func ParseDocuments(docs []config.Document, isService func(string) bool) ([]SLO, []config.Problem) {
	p := &parser{isService: isService, byKind: map[openslo.Kind]map[string]*object{}}
	var order []*object
	for _, d := range docs {
		if o := p.decode(d); o != nil {
			order = append(order, o)
		}
	}
	for _, o := range order {
		p.register(o)
	}
	var slos []SLO
	for _, o := range order {
		if o.obj.GetKind() != openslo.KindSLO || p.byKind[openslo.KindSLO][o.name] != o {
			continue
		}
		if s, ok := p.build(o); ok {
			slos = append(slos, s)
		}
	}
	sort.SliceStable(p.problems, func(i, j int) bool {
		a, b := p.problems[i], p.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return slos, p.problems
}

// add records a problem at path in d, placed at the path's node (or the
// nearest enclosing node in the file).
func (p *parser) add(d config.Document, path, format string, args ...any) {
	pr := config.Problem{File: d.File, Line: d.Line, Path: path, Message: fmt.Sprintf(format, args...)}
	if d.Node != nil {
		n := locate(d.Node, path)
		// A problem with a whole mapping or list is placed at its key: a
		// block mapping's own position is that of its first key.
		if n != nil && n.Kind != yaml.ScalarNode {
			if k := keyNode(d.Node, path); k != nil {
				n = k
			}
		}
		if n != nil && n.Line > 0 {
			pr.Line, pr.Column = n.Line, n.Column
		}
	}
	p.problems = append(p.problems, pr)
}

// addKey is add for a problem with a mapping key itself.
func (p *parser) addKey(d config.Document, path, format string, args ...any) {
	if d.Node != nil {
		if k := keyNode(d.Node, path); k != nil {
			p.problems = append(p.problems, config.Problem{File: d.File, Line: k.Line, Column: k.Column, Path: path, Message: fmt.Sprintf(format, args...)})
			return
		}
	}
	p.add(d, path, format, args...)
}

// decode reads one document with the OpenSLO SDK and validates it. It
// returns nil when the document has problems.
func (p *parser) decode(d config.Document) (o *object) {
	// The SDK and its validation library are third-party code fed
	// untrusted input: a panic in them becomes a problem with the document.
	defer func() {
		if r := recover(); r != nil {
			p.add(d, "", "cannot read this OpenSLO document: %v", r)
			o = nil
		}
	}()
	root := deref(d.Node)
	if root == nil || root.Kind != yaml.MappingNode {
		p.add(d, "", "an OpenSLO document is a mapping with apiVersion, kind, metadata and spec")
		return nil
	}
	version := scalarAt(root, "apiVersion")
	if version != APIVersion {
		p.add(d, "apiVersion", "unsupported apiVersion %q: Vigil reads %s documents", version, APIVersion)
		return nil
	}
	kind := openslo.Kind(scalarAt(root, "kind"))
	if !isV1Kind(kind) {
		p.add(d, "kind", "unknown kind %q: use SLO, SLI, Service, DataSource, AlertPolicy, AlertCondition or AlertNotificationTarget", kind)
		return nil
	}
	value, err := toValue(root)
	if err != nil {
		pr := config.Problem{File: d.File, Line: d.Line, Message: err.Error()}
		var at *nodeError
		if errors.As(err, &at) {
			pr.Line, pr.Column = at.line, at.column
		}
		p.problems = append(p.problems, pr)
		return nil
	}
	data, err := json.Marshal(value)
	if err != nil {
		p.add(d, "", "cannot read this document: %v", err)
		return nil
	}
	objs, err := openslosdk.Decode(bytes.NewReader(data), openslosdk.FormatJSON)
	if err != nil {
		p.decodeProblem(d, err)
		return nil
	}
	if len(objs) != 1 {
		p.add(d, "", "expected one OpenSLO object in the document, found %d", len(objs))
		return nil
	}
	obj := objs[0]
	if !p.validate(d, obj) {
		return nil
	}
	return &object{doc: d, obj: obj, name: obj.GetName()}
}

func isV1Kind(k openslo.Kind) bool {
	for _, s := range v1.GetSupportedKinds() {
		if k == s {
			return true
		}
	}
	return false
}

// scalarAt returns the text of a scalar value of a mapping, or "".
func scalarAt(m *yaml.Node, key string) string {
	if n := child(m, segment{key: key}); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// decodeProblem turns a decoding error of the SDK (encoding/json under it)
// into a problem placed at the field it is about.
func (p *parser) decodeProblem(d config.Document, err error) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		path := fieldPath(d.Node, typeErr.Field)
		p.add(d, path, "expected %s, got %s", describeType(typeErr.Type), typeErr.Value)
		return
	}
	msg := err.Error()
	if _, field, ok := strings.Cut(msg, `unknown field "`); ok {
		field = strings.TrimSuffix(field, `"`)
		if path, n := findKey(d.Node, field); n != nil {
			p.addKey(d, path, "unknown field %q", field)
			return
		}
		p.add(d, "", "unknown field %q", field)
		return
	}
	if _, rest, ok := strings.Cut(msg, "invalid duration shorthand: "); ok {
		value, _, _ := strings.Cut(rest, ", expected")
		if path, n := findScalar(d.Node, value); n != nil {
			p.add(d, path, "invalid duration %q: use a whole number and a unit m, h, d, w, M, Q or Y, such as 28d", value)
			return
		}
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "failed to decode") {
		msg = msg[i+2:]
	}
	p.add(d, "", "%s", strings.TrimPrefix(msg, "json: "))
}

// fieldPath finds the document path of an encoding/json field path such as
// "spec.objectives.target", which leaves out list indexes: the first item
// of a list that leads on is taken.
func fieldPath(root *yaml.Node, field string) string {
	n := deref(root)
	path := ""
	for _, key := range strings.Split(field, ".") {
		for n != nil && n.Kind == yaml.SequenceNode {
			i := 0
			for ; i < len(n.Content); i++ {
				if child(deref(n.Content[i]), segment{key: key}) != nil {
					break
				}
			}
			if i == len(n.Content) {
				return path
			}
			path = fmt.Sprintf("%s[%d]", path, i)
			n = deref(n.Content[i])
		}
		next := child(n, segment{key: key})
		if next == nil {
			return path
		}
		path = joinPath(path, key)
		n = next
	}
	return path
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}

// validate runs the SDK's validation and reports its findings. The SDK
// requires every metric source to have a spec; a vigil-push source needs
// none, so that finding is dropped for it.
func (p *parser) validate(d config.Document, obj openslo.Object) bool {
	err := obj.Validate()
	if err == nil {
		return true
	}
	var vErr *govy.ValidatorError
	if !errors.As(err, &vErr) {
		p.add(d, "", "%v", err)
		return false
	}
	ok := true
	for _, pe := range vErr.Errors {
		path := pe.PropertyPath.String()
		if strings.HasSuffix(path, "metricSource.spec") &&
			isPush(scalarAt(locate(d.Node, strings.TrimSuffix(path, ".spec")), "type")) {
			continue
		}
		msgs := make([]string, 0, len(pe.Errors))
		for _, re := range pe.Errors {
			msgs = append(msgs, re.Message)
		}
		if pe.IsKeyError {
			p.addKey(d, path, "%s", strings.Join(msgs, "; "))
		} else {
			p.add(d, path, "%s", strings.Join(msgs, "; "))
		}
		ok = false
	}
	return ok
}

func isPush(t string) bool       { return strings.EqualFold(t, SourcePush) }
func isPrometheus(t string) bool { return strings.EqualFold(t, "prometheus") }

// register files a valid object under its kind and name; a second object of
// a kind with the same name is a problem.
func (p *parser) register(o *object) {
	kind := o.obj.GetKind()
	names := p.byKind[kind]
	if names == nil {
		names = map[string]*object{}
		p.byKind[kind] = names
	}
	if first, dup := names[o.name]; dup {
		p.add(o.doc, "metadata.name", "duplicate %s name %q, first defined at %s:%d", kind, o.name, first.doc.File, first.doc.Line)
		return
	}
	names[o.name] = o
	switch obj := o.obj.(type) {
	case v1.Service:
		if !p.isService(obj.Metadata.Name) {
			p.add(o.doc, "metadata.name", "unknown service %q: an OpenSLO Service names a Vigil service", obj.Metadata.Name)
		}
	case v1.DataSource:
		if isPrometheus(obj.Spec.Type) {
			if _, err := connectionURL(obj.Spec.ConnectionDetails); err != nil {
				p.add(o.doc, "spec.connectionDetails", "%v", err)
			}
		}
	}
}

func (p *parser) lookup(kind openslo.Kind, name string) *object {
	return p.byKind[kind][name]
}

// connectionURL reads a Prometheus data source's URL from its connection
// details: {url: ...} or [{url: ...}].
func connectionURL(raw json.RawMessage) (string, error) {
	var one struct {
		URL string `json:"url"`
	}
	var list []struct {
		URL string `json:"url"`
	}
	switch {
	case json.Unmarshal(raw, &one) == nil && one.URL != "":
	case json.Unmarshal(raw, &list) == nil && len(list) > 0 && list[0].URL != "":
		one.URL = list[0].URL
	default:
		return "", errors.New("a Prometheus data source needs connectionDetails with its url, such as [{url: \"http://prometheus:9090\"}]")
	}
	if err := checkHTTPURL(one.URL); err != nil {
		return "", err
	}
	return one.URL, nil
}
