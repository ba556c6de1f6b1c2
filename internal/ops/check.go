package ops

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// Problem is one thing wrong with an operation or a service's values of
// its parameters; Path names the field from the operation
// ("driver.http.url") or the service's values ("region").
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Bounds of a parameter.
const (
	maxPatternLen = 1024
	maxValueLen   = 4096
)

// Check reports what is wrong with an operation's definition: its
// parameters (names, patterns, defaults), its timeout, and its driver's
// templates, each of which may name only known variables and must render
// into a well-formed request.
func Check(op *Operation) []Problem {
	var ps problems
	if op.Timeout < 0 || op.Timeout.Std() > MaxTimeout {
		ps.add("timeout", "timeout %s is not between 0 (the default, %s) and %s", op.Timeout, duration.Format(DefaultTimeout), duration.Format(MaxTimeout))
	}
	seen := map[string]bool{}
	for i := range op.Params {
		p := &op.Params[i]
		path := fmt.Sprintf("params[%d]", i)
		if p.Name == "" {
			ps.add(path+".name", "missing required field \"name\"")
		} else if err := CheckParamName(p.Name); err != nil {
			ps.add(path+".name", "%v", err)
		} else if seen[p.Name] {
			ps.add(path+".name", "parameter %q is declared twice", p.Name)
		}
		seen[p.Name] = true
		if len(p.Pattern) > maxPatternLen {
			ps.add(path+".pattern", "pattern is longer than %d characters", maxPatternLen)
		} else if _, err := compilePattern(p.Pattern); err != nil {
			ps.add(path+".pattern", "invalid pattern: %v", err)
		} else if p.Default != "" {
			if err := p.check(p.Default); err != nil {
				ps.add(path+".default", "%v", err)
			}
		}
	}
	c, driverProblems := compile(op)
	ps = append(ps, driverProblems...)
	if len(driverProblems) == 0 {
		// A trial run with plain values finds what only rendering shows,
		// such as a "." path segment.
		params := map[string]string{}
		for _, p := range op.Params {
			params[p.Name] = "x"
		}
		prep, err := c.render(Values{Service: "service", Incident: 1, Actor: "user:someone", Params: params,
			Getenv: func(string) string { return "x" }})
		if err == nil && c.url.t.parts != nil && !slices.Contains(c.url.ctxs, InURLBase) {
			err = checkURL(prep.Send.URL)
		}
		if err != nil {
			ps.add("driver", "%v", err)
		}
	}
	return ps
}

// CheckServiceParams reports what is wrong with a service's values of an
// operation's parameters (its operation_params): each names a parameter
// and matches its pattern.
func CheckServiceParams(op *Operation, values map[string]string) []Problem {
	var ps problems
	for _, name := range sortedKeys(values) {
		p := op.Param(name)
		if p == nil {
			ps.add(name, "operation %q has no parameter %q%s", op.ID, name, paramList(op))
			continue
		}
		if err := p.check(values[name]); err != nil {
			ps.add(name, "%v", err)
		}
	}
	return ps
}

// ParamsError lists what is wrong with a run's parameters.
type ParamsError struct{ List []string }

func (e *ParamsError) Error() string { return "invalid parameters: " + strings.Join(e.List, "; ") }

// Problems lists the problems, each naming its parameter.
func (e *ParamsError) Problems() []string { return e.List }

// Resolve returns a run's parameters: each the value given for the run,
// else the service's (operation_params), else the parameter's default.
// Empty values count as not given. Every required parameter must have a
// value, every value must match its pattern, and no unknown parameter may
// be given.
func (op *Operation) Resolve(given, service map[string]string) (map[string]string, error) {
	var list []string
	for _, name := range sortedKeys(given) {
		if op.Param(name) == nil {
			list = append(list, fmt.Sprintf("operation %q has no parameter %.80q%s", op.ID, name, paramList(op)))
		}
	}
	out := map[string]string{}
	for i := range op.Params {
		p := &op.Params[i]
		v := given[p.Name]
		if v == "" {
			v = service[p.Name]
		}
		if v == "" {
			v = p.Default
		}
		switch {
		case v == "" && p.Required:
			list = append(list, fmt.Sprintf("parameter %q is required", p.Name))
		case v != "":
			if err := p.check(v); err != nil {
				list = append(list, err.Error())
				continue
			}
			out[p.Name] = v
		}
	}
	if len(list) > 0 {
		return nil, &ParamsError{List: list}
	}
	return out, nil
}

// MaskParams returns parameters as they are shown and stored: each secret
// one masked.
func (op *Operation) MaskParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		if p := op.Param(k); p != nil && p.Secret {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// check explains why v is not a value of the parameter.
func (p *Param) check(v string) error {
	shown := fmt.Sprintf("%.80q", v)
	if p.Secret {
		shown = Mask
	}
	switch {
	case len(v) > maxValueLen:
		return fmt.Errorf("parameter %q is longer than %d bytes", p.Name, maxValueLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("parameter %q is not valid UTF-8", p.Name)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("parameter %q holds a NUL byte", p.Name)
	}
	re, err := compilePattern(p.Pattern)
	if err != nil {
		return fmt.Errorf("parameter %q has an invalid pattern: %w", p.Name, err)
	}
	if re != nil && !re.MatchString(v) {
		return fmt.Errorf("parameter %q: %s does not match %s", p.Name, shown, p.Pattern)
	}
	return nil
}

// compilePattern compiles a parameter's pattern so that it must match the
// whole value; nil for no pattern.
func compilePattern(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, nil
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, err
	}
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
