package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Limits that keep hostile input cheap to refuse. A real configuration is
// far below each of them; a directory may hold many files.
const (
	maxFileSize  = 8 << 20  // bytes per file
	maxTotalSize = 64 << 20 // bytes per directory
	// maxItems bounds the YAML items of the whole configuration before it is
	// parsed: the parser costs about a microsecond and a few hundred bytes
	// per item. A typical configuration has an item every 9 bytes.
	maxItems     = 500_000
	maxDocuments = 10_000 // per file
	maxDepth     = 64     // nesting, aliases expanded
	// maxExpanded bounds the nodes of the whole configuration with aliases
	// expanded: the work and memory of decoding grow with it.
	maxExpanded  = 1_000_000
	maxScalarLen = 64 << 10
	// maxKeyLen bounds mapping keys, which become part of field paths.
	maxKeyLen = 128
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
	budget   int // expanded nodes still allowed
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

// checkLimits reports the first limit the document exceeds, or else the
// number of nodes it has with aliases expanded, which must be within budget.
func checkLimits(doc *yaml.Node, budget int) (int, *limitError) {
	c := limitChecker{budget: budget, anchored: map[*yaml.Node]extent{}, busy: map[*yaml.Node]bool{}}
	ext, err := c.measure(doc, 0)
	return ext.size, err
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
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && len(child.Value) > maxKeyLen {
			return extent{}, &limitError{child, fmt.Sprintf("key is %d bytes long; at most %d are allowed", len(child.Value), maxKeyLen)}
		}
		ce, err := c.measure(child, depth+1)
		if err != nil {
			return extent{}, err
		}
		e.size += ce.size
		e.height = max(e.height, ce.height+1)
		if e.size > c.budget {
			return extent{}, &limitError{n, fmt.Sprintf("the configuration expands to more than %d YAML nodes (too many aliases)", maxExpanded)}
		}
	}
	if n.Anchor != "" {
		c.anchored[n] = e
	}
	return e, nil
}
