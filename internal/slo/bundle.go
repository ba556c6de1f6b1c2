package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/config"
)

// Bounds on the OpenSLO documents a bundle carries. A bundle may come from
// any API client, not only from the config loader, whose own limits then
// never ran.
const (
	MaxDocuments    = 5000
	MaxDocumentSize = 256 << 10
)

// Documents re-reads the OpenSLO documents a bundle carries as text into
// parsed documents whose node positions are those of their files, so that
// problems point at the line the user wrote.
func Documents(docs []config.OpenSLODocument) ([]config.Document, []config.Problem) {
	var out []config.Document
	var problems []config.Problem
	if len(docs) > MaxDocuments {
		return nil, []config.Problem{{Path: "openslo", Message: fmt.Sprintf("%d OpenSLO documents, more than the %d allowed", len(docs), MaxDocuments)}}
	}
	for _, d := range docs {
		line := max(d.Line, 1)
		if len(d.YAML) > MaxDocumentSize {
			problems = append(problems, config.Problem{File: d.File, Line: line, Message: fmt.Sprintf("the OpenSLO document is larger than %d KiB", MaxDocumentSize>>10)})
			continue
		}
		root, err := firstDocument(d.YAML)
		if err != nil {
			problems = append(problems, config.Problem{File: d.File, Line: line, Message: "invalid YAML: " + err.Error()})
			continue
		}
		if root == nil {
			problems = append(problems, config.Problem{File: d.File, Line: line, Message: "an OpenSLO document is a mapping with apiVersion, kind, metadata and spec"})
			continue
		}
		shiftLines(root, line-1, map[*yaml.Node]bool{})
		out = append(out, config.Document{File: d.File, Line: line, Node: root})
	}
	return out, problems
}

// ParseBundle is ParseDocuments on the documents a bundle carries; isService
// tells whether an id names one of the bundle's services.
func ParseBundle(docs []config.OpenSLODocument, isService func(string) bool) ([]SLO, []config.Problem) {
	parsed, problems := Documents(docs)
	slos, more := ParseDocuments(parsed, isService)
	return slos, append(problems, more...)
}

// Identify returns a document's kind and metadata.name, empty when the text
// does not say them.
func Identify(text string) (kind, name string) {
	if len(text) > MaxDocumentSize {
		return "", ""
	}
	root, err := firstDocument(text)
	if err != nil || root == nil || root.Kind != yaml.MappingNode {
		return "", ""
	}
	kind = scalarAt(root, "kind")
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "metadata" {
			if meta := deref(root.Content[i+1]); meta != nil && meta.Kind == yaml.MappingNode {
				name = scalarAt(meta, "name")
			}
		}
	}
	return kind, name
}

// firstDocument parses the first YAML document of text and returns its
// root, or nil when it is empty. The parser is third-party code fed
// untrusted input: a panic in it becomes an error.
func firstDocument(text string) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader([]byte(text))).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// shiftLines moves every node down by offset lines, once each (aliases
// share nodes).
func shiftLines(n *yaml.Node, offset int, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] || offset == 0 {
		return
	}
	seen[n] = true
	if n.Line > 0 {
		n.Line += offset
	}
	for _, c := range n.Content {
		shiftLines(c, offset, seen)
	}
}
