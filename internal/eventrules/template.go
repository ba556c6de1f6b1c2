package eventrules

import (
	"fmt"
	"strconv"
	"strings"
)

// Template is a service or severity of a rule: literal text with label
// references, "{{labels.NAME}}" (spaces inside the braces allowed), each
// replaced by the event's label (empty when absent). Nothing else may
// stand between braces: the language is this small on purpose.
type Template struct {
	parts []part
}

// part is literal text, or a label reference when label is set.
type part struct {
	text  string
	label string
}

// ParseTemplate parses a template; the empty string is the empty template.
func ParseTemplate(s string) (Template, error) {
	if len(s) > MaxTemplateLen {
		return Template{}, fmt.Errorf("the template is %d bytes long, more than the %d allowed", len(s), MaxTemplateLen)
	}
	var t Template
	rest := s
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if strings.Contains(rest, "}}") {
				return Template{}, fmt.Errorf("%s: \"}}\" without \"{{\"", strconv.Quote(s))
			}
			t.parts = append(t.parts, part{text: rest})
			break
		}
		if strings.Contains(rest[:open], "}}") {
			return Template{}, fmt.Errorf("%s: \"}}\" without \"{{\"", strconv.Quote(s))
		}
		if open > 0 {
			t.parts = append(t.parts, part{text: rest[:open]})
		}
		rest = rest[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return Template{}, fmt.Errorf("%s: \"{{\" is not closed by \"}}\"", strconv.Quote(s))
		}
		ref := strings.TrimSpace(rest[:end])
		name, ok := strings.CutPrefix(ref, "labels.")
		if !ok {
			return Template{}, fmt.Errorf("%s: {{%s}}: only {{labels.NAME}} may stand between braces", strconv.Quote(s), ref)
		}
		if err := checkLabelName(name); err != nil {
			return Template{}, fmt.Errorf("%s: %v", strconv.Quote(s), err)
		}
		t.parts = append(t.parts, part{label: name})
		rest = rest[end+2:]
	}
	return t, nil
}

// Render replaces each label reference by the label's value.
func (t Template) Render(labels Labels) string {
	switch len(t.parts) {
	case 0:
		return ""
	case 1:
		return t.parts[0].value(labels) // no copy: the common case
	}
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.value(labels))
	}
	return b.String()
}

// Fixed reports the template's text when it names no label.
func (t Template) Fixed() (string, bool) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.label != "" {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

func (p part) value(labels Labels) string {
	if p.label != "" {
		v, _ := labels(p.label)
		return v
	}
	return p.text
}
