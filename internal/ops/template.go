package ops

import (
	"fmt"
	"strings"
)

// Variable kinds a template may name.
const (
	VarService  = "service"  // {{service}}: the service's id
	VarIncident = "incident" // {{incident}}: the incident's number, or empty
	VarActor    = "actor"    // {{actor}}: who runs it, such as "user:alice"
	VarParam    = "param"    // {{param.NAME}}: a parameter's value
	VarEnv      = "env"      // {{env.NAME}}: an environment variable of the server (a secret)
)

// Var is one variable of a template: {{service}}, {{param.region}}...
type Var struct {
	Kind string
	Name string // for param and env
}

func (v Var) String() string {
	if v.Name == "" {
		return "{{" + v.Kind + "}}"
	}
	return "{{" + v.Kind + "." + v.Name + "}}"
}

// Template is text with variables, parsed once. Rendering substitutes
// each variable's value once, escaped for where it lands; a value is never
// read as a template itself, so a parameter holding "{{env.SECRET}}"
// stays that text.
type Template struct {
	parts []part
}

// part is literal text, or a variable when v.Kind is set.
type part struct {
	text string
	v    Var
}

// Bounds of a template, so that a hostile one cannot make parsing or
// rendering costly.
const (
	maxTemplateLen  = 64 << 10
	maxTemplateVars = 256
	maxNameLen      = 64
)

// Vars lists the template's variables in order, repeats included.
func (t Template) Vars() []Var {
	var out []Var
	for _, p := range t.parts {
		if p.v.Kind != "" {
			out = append(out, p.v)
		}
	}
	return out
}

// Literal reports whether the template has no variables.
func (t Template) Literal() bool { return len(t.Vars()) == 0 }

// Parse reads a template: text in which {{service}}, {{incident}},
// {{actor}}, {{param.NAME}} and {{env.NAME}} stand for values, with spaces
// allowed inside the braces. Every "{{" opens a variable; "}}" alone is
// text (JSON bodies end in it).
func Parse(s string) (Template, error) {
	if len(s) > maxTemplateLen {
		return Template{}, fmt.Errorf("template is longer than %d bytes", maxTemplateLen)
	}
	var t Template
	n := 0
	rest := s
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.parts = append(t.parts, part{text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{text: rest[:open]})
		}
		at := len(s) - len(rest) + open
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return Template{}, fmt.Errorf("unclosed {{ at byte %d", at)
		}
		inner := rest[open+2 : open+2+end]
		v, err := parseVar(inner)
		if err != nil {
			return Template{}, fmt.Errorf("at byte %d: %w", at, err)
		}
		if n++; n > maxTemplateVars {
			return Template{}, fmt.Errorf("template has more than %d variables", maxTemplateVars)
		}
		t.parts = append(t.parts, part{v: v})
		rest = rest[open+2+end+2:]
	}
	return t, nil
}

const varHelp = "use {{service}}, {{incident}}, {{actor}}, {{param.NAME}} or {{env.NAME}}"

// parseVar reads what stands between "{{" and "}}".
func parseVar(inner string) (Var, error) {
	name := strings.Trim(inner, " \t")
	switch {
	case name == "":
		return Var{}, fmt.Errorf("empty variable {{%s}}: %s", inner, varHelp)
	case name == VarService, name == VarIncident, name == VarActor:
		return Var{Kind: name}, nil
	}
	kind, sub, ok := strings.Cut(name, ".")
	switch {
	case ok && kind == VarParam:
		if err := CheckParamName(sub); err != nil {
			return Var{}, fmt.Errorf("variable {{%.80s}}: %w", name, err)
		}
		return Var{Kind: VarParam, Name: sub}, nil
	case ok && kind == VarEnv:
		if err := checkEnvName(sub); err != nil {
			return Var{}, fmt.Errorf("variable {{%.80s}}: %w", name, err)
		}
		return Var{Kind: VarEnv, Name: sub}, nil
	}
	return Var{}, fmt.Errorf("unknown variable {{%.80s}}: %s", name, varHelp)
}

// CheckParamName accepts a parameter's name: a letter, then letters,
// digits, '_' and '-', at most 64 characters.
func CheckParamName(s string) error {
	ok := s != "" && len(s) <= maxNameLen && isLetter(s[0])
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = isLetter(c) || isDigit(c) || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid parameter name %.80q: use a letter, then letters, digits, '_' and '-', at most %d characters", s, maxNameLen)
	}
	return nil
}

// checkEnvName accepts the name of an environment variable.
func checkEnvName(s string) error {
	ok := s != "" && len(s) <= 256 && !isDigit(s[0])
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = isLetter(c) || isDigit(c) || c == '_'
	}
	if !ok {
		return fmt.Errorf("invalid environment variable name %.80q: use letters, digits and '_', not starting with a digit", s)
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
