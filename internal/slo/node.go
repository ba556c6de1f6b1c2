package slo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds on what one document may expand to, aliases included. The config
// loader bounds whole files; these keep ParseDocuments safe on its own.
const (
	maxNodes = 100_000
	maxDepth = 64
)

var errTooLarge = errors.New("the document is too large or too deeply nested")

// nodeError is a value that cannot be read, and where it is.
type nodeError struct {
	line, column int
	msg          string
}

func (e *nodeError) Error() string { return e.msg }

func errorAt(n *yaml.Node, format string, args ...any) error {
	return &nodeError{line: n.Line, column: n.Column, msg: fmt.Sprintf(format, args...)}
}

// toValue turns a YAML node into the plain values encoding/json writes:
// map[string]any, []any, string, int64, float64, bool and nil. Timestamps
// and custom tags stay strings, as their text was written: the OpenSLO SDK
// reads dates from strings in its own format.
func toValue(n *yaml.Node) (any, error) {
	budget := maxNodes
	return convert(n, 0, &budget)
}

func convert(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if *budget < 0 || depth > maxDepth {
		return nil, errTooLarge
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return convert(n.Alias, depth+1, budget)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return convertMapping(n, depth, budget)
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, errorAt(n, "unexpected YAML node")
}

// convertMapping converts a mapping; keys given in the mapping itself win
// over keys brought in by a merge key ("<<: *base").
func convertMapping(n *yaml.Node, depth int, budget *int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, errorAt(k, "a mapping key must be a plain value")
		}
		val, err := convert(v, depth+1, budget)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	for _, m := range merges {
		if m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			v, err := convert(src, depth+1, budget)
			if err != nil {
				return nil, err
			}
			merged, ok := v.(map[string]any)
			if !ok {
				return nil, errorAt(m, "a merge key takes a mapping or a list of mappings")
			}
			for key, val := range merged {
				if _, set := out[key]; !set {
					out[key] = val
				}
			}
		}
	}
	return out, nil
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, errorAt(n, "invalid value %q", n.Value)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		fallthrough // too large for int64: read it as a number all the same
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, errorAt(n, "invalid number %q", n.Value)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errorAt(n, "%s is not a finite number", n.Value)
		}
		return f, nil
	}
	return n.Value, nil
}

// segment is one step of a field path: a mapping key or a list index.
type segment struct {
	key   string
	index int // when key is ""
}

// parsePath reads govy's JSON paths: "spec.objectives[0].target",
// "metadata.annotations['vigil.dev/min-events']".
func parsePath(p string) []segment {
	var segs []segment
	for i := 0; i < len(p); {
		switch {
		case p[i] == '.':
			i++
		case strings.HasPrefix(p[i:], "['"):
			end := strings.Index(p[i+2:], "']")
			if end < 0 {
				return append(segs, segment{key: p[i+2:]})
			}
			segs = append(segs, segment{key: strings.ReplaceAll(p[i+2:i+2+end], `\'`, `'`)})
			i += end + 4
		case p[i] == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return segs
			}
			n, err := strconv.Atoi(p[i+1 : i+end])
			if err != nil {
				n = -1
			}
			segs = append(segs, segment{index: n})
			i += end + 1
		default:
			end := strings.IndexAny(p[i:], ".[")
			if end < 0 {
				end = len(p) - i
			}
			segs = append(segs, segment{key: p[i : i+end]})
			i += end
		}
	}
	return segs
}

// locate returns the node at path below root, or the deepest node on the
// way there when the path goes further than the document (a missing
// field is reported where its parent is).
func locate(root *yaml.Node, path string) *yaml.Node {
	n := deref(root)
	for _, s := range parsePath(path) {
		next := child(n, s)
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// keyNode returns the key node of the last segment of path when it names a
// mapping key, so that a problem about the key itself points at it.
func keyNode(root *yaml.Node, path string) *yaml.Node {
	segs := parsePath(path)
	if len(segs) == 0 || segs[len(segs)-1].key == "" {
		return nil
	}
	n := deref(root)
	for _, s := range segs[:len(segs)-1] {
		if n = child(n, s); n == nil {
			return nil
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == segs[len(segs)-1].key {
			return n.Content[i]
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < maxDepth; i++ {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		case n.Kind == yaml.AliasNode && n.Alias != nil:
			n = n.Alias
		default:
			return n
		}
	}
	return n
}

func child(n *yaml.Node, s segment) *yaml.Node {
	switch {
	case n.Kind == yaml.MappingNode && s.key != "":
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s.key {
				return deref(n.Content[i+1])
			}
		}
	case n.Kind == yaml.SequenceNode && s.key == "" && s.index >= 0 && s.index < len(n.Content):
		return deref(n.Content[s.index])
	}
	return nil
}

// findKey searches the document, depth first in document order, for a
// mapping key named name, and returns its path and node. It is for errors
// that name a field but not where it is.
func findKey(root *yaml.Node, name string) (string, *yaml.Node) {
	budget := maxNodes
	return find(deref(root), "", 0, &budget, func(k *yaml.Node) bool { return k.Value == name }, nil)
}

// findScalar finds a value whose text is value.
func findScalar(root *yaml.Node, value string) (string, *yaml.Node) {
	budget := maxNodes
	return find(deref(root), "", 0, &budget, nil, func(v *yaml.Node) bool { return v.Value == value })
}

// find walks mappings and lists for the first mapping key that matchKey
// accepts or scalar value that matchValue accepts; either may be nil.
func find(n *yaml.Node, path string, depth int, budget *int, matchKey, matchValue func(*yaml.Node) bool) (string, *yaml.Node) {
	*budget--
	if n == nil || *budget < 0 || depth > maxDepth {
		return "", nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := joinPath(path, k.Value)
			if matchKey != nil && matchKey(k) {
				return p, k
			}
			if got, node := find(deref(n.Content[i+1]), p, depth+1, budget, matchKey, matchValue); node != nil {
				return got, node
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if got, node := find(deref(c), fmt.Sprintf("%s[%d]", path, i), depth+1, budget, matchKey, matchValue); node != nil {
				return got, node
			}
		}
	case yaml.ScalarNode:
		if matchValue != nil && matchValue(n) {
			return path, n
		}
	}
	return "", nil
}

func joinPath(path, key string) string {
	if strings.ContainsAny(key, ".[]' ") {
		key = "['" + strings.ReplaceAll(key, "'", `\'`) + "']"
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
