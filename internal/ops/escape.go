package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Context is where a value lands in a rendered request, which decides how
// it is escaped: a value can fill its place and never change the request's
// shape (add a path segment, a query parameter, a header, a JSON field or
// an argument).
type Context int

// Contexts of a value.
const (
	InURLBase    Context = iota + 1 // before the URL's path (scheme, host): environment values only, as they are
	InPath                          // a URL path segment: percent-encoded, '/' included
	InQuery                         // a URL query (or fragment): percent-encoded, '&', '=' and '#' included
	InHeader                        // a header value: taken as it is, refused when it holds a line break or control character
	InJSONString                    // inside a JSON string: escaped as JSON
	InJSON                          // a JSON value outside a string: a number, true, false or null as it is, anything else a string
	InArg                           // an exec argument: taken as it is, one argument whatever it holds
	InEnv                           // an exec environment value
)

func (c Context) String() string {
	return map[Context]string{
		InURLBase: "URL base", InPath: "URL path", InQuery: "URL query", InHeader: "header",
		InJSONString: "JSON string", InJSON: "JSON value", InArg: "argument", InEnv: "environment",
	}[c]
}

// escape returns v as it is written where it lands, or why it cannot be;
// first says that nothing precedes it in its argument.
func escape(c Context, v Var, value string, first bool) (string, error) {
	switch c {
	case InURLBase:
		return value, nil
	case InPath:
		return url.PathEscape(value), nil
	case InQuery:
		return url.QueryEscape(value), nil
	case InHeader:
		for i := 0; i < len(value); i++ {
			if c := value[i]; c < 0x20 && c != '\t' || c == 0x7f {
				return "", fmt.Errorf("%s holds a line break or control character, which cannot go into a header", v)
			}
		}
		return value, nil
	case InJSONString:
		q := jsonString(value)
		return q[1 : len(q)-1], nil
	case InJSON:
		if value == "true" || value == "false" || value == "null" || jsonNumber.MatchString(value) {
			return value, nil
		}
		return jsonString(value), nil
	case InArg, InEnv:
		if strings.IndexByte(value, 0) >= 0 {
			return "", fmt.Errorf("%s holds a NUL byte, which cannot go into a program's %s", v, c)
		}
		// Values from the environment are the operator's; a caller's value
		// must not turn into an option of the program.
		if c == InArg && first && v.Kind == VarParam && strings.HasPrefix(value, "-") {
			return "", fmt.Errorf("%s starts with '-' at the start of an argument, where the program would read it as an option", v)
		}
		return value, nil
	}
	return "", fmt.Errorf("%s lands nowhere known", v)
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// jsonString quotes s as a JSON string, without the HTML escapes of
// json.Marshal.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// URL parts, in the order a URL has them.
const (
	urlBase = iota
	urlPath
	urlQuery
	urlFragment
)

// urlContexts says where each variable of a URL template lands. Only
// environment values may stand before the path: the scheme and host are
// the configuration's, never a caller's.
func urlContexts(t Template) ([]Context, error) {
	state := urlBase
	var ctxs []Context
	for _, p := range t.parts {
		if p.v.Kind != "" {
			switch state {
			case urlBase:
				if p.v.Kind != VarEnv {
					return nil, fmt.Errorf("%s stands before the URL's path: only {{env.NAME}} may, since the scheme and host are fixed", p.v)
				}
				ctxs = append(ctxs, InURLBase)
			case urlPath:
				ctxs = append(ctxs, InPath)
			default:
				ctxs = append(ctxs, InQuery)
			}
			continue
		}
		text := p.text
		for i := 0; i < len(text); i++ {
			switch c := text[i]; {
			case state == urlBase && strings.HasPrefix(text[i:], "://"):
				i += 2
			case state == urlBase && c == '/':
				state = urlPath
			case state <= urlPath && c == '?':
				state = urlQuery
			case state <= urlQuery && c == '#':
				state = urlFragment
			}
		}
	}
	return ctxs, nil
}

// jsonContexts says where each variable of a JSON body template lands,
// and checks that the body is one JSON document whatever the values.
func jsonContexts(t Template) ([]Context, error) {
	var ctxs []Context
	var skeleton strings.Builder
	inString, escaped := false, false
	for _, p := range t.parts {
		if p.v.Kind != "" {
			switch {
			case escaped:
				return nil, fmt.Errorf("%s follows a backslash inside a JSON string", p.v)
			case inString:
				ctxs = append(ctxs, InJSONString)
				skeleton.WriteString("x")
			default:
				ctxs = append(ctxs, InJSON)
				skeleton.WriteString("0")
			}
			continue
		}
		skeleton.WriteString(p.text)
		for i := 0; i < len(p.text); i++ {
			c := p.text[i]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
	}
	var doc any
	if err := json.Unmarshal([]byte(skeleton.String()), &doc); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("the body is not a JSON document (at byte %d of it with each variable as a value: %v)", syntax.Offset, err)
		}
		return nil, fmt.Errorf("the body is not a JSON document: %v", err)
	}
	return ctxs, nil
}

func repeatContext(t Template, c Context) []Context {
	ctxs := make([]Context, len(t.Vars()))
	for i := range ctxs {
		ctxs[i] = c
	}
	return ctxs
}
