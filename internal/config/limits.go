package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Limits that keep hostile input cheap to refuse. A real configuration is
// far below each of them; a directory may hold many files.
const (
	maxFileSize  = 8 << 20  // bytes per file
	maxTotalSize = 64 << 20 // bytes per directory
	// maxItems bounds the YAML items of one file before it is parsed: the
	// parser costs about a microsecond and a few hundred bytes per item.
	maxItems     = 500_000
	maxDocuments = 10_000 // per file
	maxDepth     = 64     // nesting, aliases expanded
	maxExpanded  = 1_000_000
	maxScalarLen = 64 << 10
)

// countItems estimates, without parsing, how many nodes the YAML parser
// would build: one per flow separator, line, block entry or key indicator.
func countItems(data []byte) int {
	n := 0
	for i, c := range data {
		switch c {
		case ',', '[', '{', '\n':
			n++
		case '-', ':', '?':
			if i+1 == len(data) || isBlank(data[i+1]) || c == ':' && i > 0 && (data[i-1] == '"' || data[i-1] == '\'') {
				n++
			}
		}
	}
	return n
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// limitChecker measures a document as a consumer that follows aliases would
// see it. Anchored nodes are measured once and remembered, so an alias bomb
// ("billion laughs") is found in time linear in the document's text.
type limitChecker struct {
	anchored map[*yaml.Node]extent
	busy     map[*yaml.Node]bool
}

// extent is the size (node count) and height of a node with aliases expanded.
type extent struct{ size, height int }

// limitError is the node where a limit was exceeded and why.
type limitError struct {
	node *yaml.Node
	msg  string
}

// checkLimits reports the first limit the document exceeds, or nil.
func checkLimits(doc *yaml.Node) *limitError {
	c := limitChecker{anchored: map[*yaml.Node]extent{}, busy: map[*yaml.Node]bool{}}
	ext, err := c.measure(doc, 0)
	if err != nil {
		return err
	}
	if ext.size > maxExpanded {
		return &limitError{doc, fmt.Sprintf("document expands to more than %d YAML nodes (too many aliases)", maxExpanded)}
	}
	return nil
}

func (c *limitChecker) measure(n *yaml.Node, depth int) (extent, *limitError) {
	if depth > maxDepth {
		return extent{}, &limitError{n, fmt.Sprintf("nesting is deeper than %d levels", maxDepth)}
	}
	if len(n.Value) > maxScalarLen {
		return extent{}, &limitError{n, fmt.Sprintf("value is %d bytes long; at most %d are allowed", len(n.Value), maxScalarLen)}
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return extent{}, &limitError{n, "alias without an anchor"}
		}
		return c.measure(n.Alias, depth)
	}
	if n.Anchor != "" {
		if c.busy[n] {
			return extent{}, &limitError{n, fmt.Sprintf("anchor %q contains an alias to itself", n.Anchor)}
		}
		if e, ok := c.anchored[n]; ok {
			if depth+e.height > maxDepth {
				return extent{}, &limitError{n, fmt.Sprintf("nesting is deeper than %d levels", maxDepth)}
			}
			return e, nil
		}
		c.busy[n] = true
		defer delete(c.busy, n)
	}
	e := extent{size: 1}
	for _, child := range n.Content {
		ce, err := c.measure(child, depth+1)
		if err != nil {
			return extent{}, err
		}
		e.size += ce.size
		e.height = max(e.height, ce.height+1)
		if e.size > maxExpanded {
			return extent{}, &limitError{n, fmt.Sprintf("document expands to more than %d YAML nodes (too many aliases)", maxExpanded)}
		}
	}
	if n.Anchor != "" {
		c.anchored[n] = e
	}
	return e, nil
}
