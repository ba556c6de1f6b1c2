package ops

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mask stands for a secret wherever a run is shown or stored.
const Mask = "***"

// minMaskedLen is the shortest secret masked in a run's output: masking
// every "a" of an answer would hide it all and protect nothing.
const minMaskedLen = 4

// Values are what a run's templates are filled with.
type Values struct {
	Service  string
	Incident int64 // 0: the run belongs to no incident
	Actor    string
	// Params are the run's parameters, as Resolve returns them.
	Params map[string]string
	// Getenv reads the server's environment; an empty value is unset.
	Getenv func(string) string
}

// Call is a rendered request: an HTTP request, or a program's argument
// vector and environment.
type Call struct {
	Method  string   `json:"method,omitempty"`
	URL     string   `json:"url,omitempty"`
	Headers []Header `json:"headers,omitempty"` // sorted by name
	Body    string   `json:"body,omitempty"`
	Argv    []string `json:"argv,omitempty"`
	Env     []string `json:"env,omitempty"` // NAME=value, sorted by name
}

// Header is one header of a rendered HTTP request.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Prepared is a run ready to send: what is sent, and the same with every
// secret masked, which is what anyone is shown.
type Prepared struct {
	Operation string
	Timeout   time.Duration
	Send      Call
	Shown     Call
	secrets   []string
}

// MaskSecrets replaces every secret that went into the request (an
// environment value, a secret parameter, as given and as escaped) in s,
// such as a platform's answer that echoes the request.
func (p *Prepared) MaskSecrets(s string) string {
	for _, secret := range p.secrets {
		s = strings.ReplaceAll(s, secret, Mask)
	}
	return s
}

// String shows a call as a person reads it: the request line, headers and
// body of an HTTP request; the environment and argument vector of a
// program, each argument quoted where it holds more than plain characters.
func (c Call) String() string {
	var b strings.Builder
	if c.URL != "" {
		fmt.Fprintf(&b, "%s %s\n", c.Method, c.URL)
		for _, h := range c.Headers {
			fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
		}
		if c.Body != "" {
			fmt.Fprintf(&b, "\n%s\n", c.Body)
		}
		return b.String()
	}
	for _, e := range c.Env {
		name, value, _ := strings.Cut(e, "=")
		fmt.Fprintf(&b, "%s=%s ", name, shellWord(value))
	}
	for i, a := range c.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellWord(a))
	}
	b.WriteByte('\n')
	return b.String()
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,*-]+$`)

// shellWord shows one argument unambiguously: as it is when plain, else
// quoted with Go's escapes (a newline shows as \n).
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// slot is a parsed template with where each of its variables lands.
type slot struct {
	t    Template
	ctxs []Context
}

type namedSlot struct {
	name string
	slot
}

// compiled is an operation's driver, parsed: what Check reports on and
// Prepare renders.
type compiled struct {
	op      *Operation
	method  string
	url     slot
	headers []namedSlot
	body    *slot
	program string
	args    []slot
	env     []namedSlot
}

// Methods an HTTP driver may use.
var httpMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Headers the request sets itself, which a driver may not.
var reservedHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection"}

// compile parses an operation's driver; problems name their field from
// the operation ("driver.http.url").
func compile(op *Operation) (*compiled, []Problem) {
	c := &compiled{op: op}
	var ps problems
	parse := func(path, text string, contexts func(Template) ([]Context, error)) (slot, bool) {
		t, err := Parse(text)
		if err != nil {
			ps.add(path, "%v", err)
			return slot{}, false
		}
		ok := true
		for _, v := range t.Vars() {
			if v.Kind == VarParam && op.Param(v.Name) == nil {
				ps.add(path, "%s names no parameter of operation %q%s", v, op.ID, paramList(op))
				ok = false
			}
		}
		ctxs, err := contexts(t)
		if err != nil {
			ps.add(path, "%v", err)
			return slot{}, false
		}
		return slot{t, ctxs}, ok
	}
	fixed := func(c Context) func(Template) ([]Context, error) {
		return func(t Template) ([]Context, error) { return repeatContext(t, c), nil }
	}
	d := op.Driver
	switch {
	case d.HTTP == nil && d.Exec == nil:
		ps.add("driver", "a driver needs http or exec")
	case d.HTTP != nil && d.Exec != nil:
		ps.add("driver", "a driver has http or exec, not both")
	case d.HTTP != nil:
		h := d.HTTP
		c.method = h.Method
		if c.method == "" {
			c.method = http.MethodPost
		}
		if !slices.Contains(httpMethods, c.method) {
			ps.add("driver.http.method", "invalid method %.20q: use %s", h.Method, strings.Join(httpMethods, ", "))
		}
		if h.URL == "" {
			ps.add("driver.http.url", "missing required field \"url\"")
		} else if s, ok := parse("driver.http.url", h.URL, urlContexts); ok {
			c.url = s
			if len(s.t.parts) > 0 && s.t.parts[0].v.Kind == "" && !strings.HasPrefix(h.URL, "http://") && !strings.HasPrefix(h.URL, "https://") {
				ps.add("driver.http.url", "the URL starts with http:// or https:// (or with {{env.NAME}} holding them)")
			}
		}
		for _, name := range sortedKeys(h.Headers) {
			path := "driver.http.headers." + name
			if !validHeaderName(name) {
				ps.add(path, "invalid header name %.80q", name)
				continue
			}
			if slices.ContainsFunc(reservedHeaders, func(r string) bool { return strings.EqualFold(r, name) }) {
				ps.add(path, "the request sets %s itself", name)
				continue
			}
			if s, ok := parse(path, h.Headers[name], fixed(InHeader)); ok {
				c.headers = append(c.headers, namedSlot{http.CanonicalHeaderKey(name), s})
			}
		}
		if h.Body != "" {
			if s, ok := parse("driver.http.body", h.Body, jsonContexts); ok {
				c.body = &s
			}
		}
	default:
		e := d.Exec
		if len(e.Command) == 0 || e.Command[0] == "" {
			ps.add("driver.exec.command", "the command names a program: [\"/path/to/program\", \"arg\", ...]")
			break
		}
		if strings.Contains(e.Command[0], "{{") || strings.IndexByte(e.Command[0], 0) >= 0 {
			ps.add("driver.exec.command[0]", "the program is fixed: no variables in command[0]")
		}
		c.program = e.Command[0]
		for i, arg := range e.Command[1:] {
			if s, ok := parse(fmt.Sprintf("driver.exec.command[%d]", i+1), arg, fixed(InArg)); ok {
				c.args = append(c.args, s)
			}
		}
		for _, name := range sortedKeys(e.Env) {
			path := "driver.exec.env." + name
			if err := checkEnvName(name); err != nil {
				ps.add(path, "%v", err)
				continue
			}
			if s, ok := parse(path, e.Env[name], fixed(InEnv)); ok {
				c.env = append(c.env, namedSlot{name, s})
			}
		}
	}
	return c, ps
}

func paramList(op *Operation) string {
	if len(op.Params) == 0 {
		return " (it has none)"
	}
	names := make([]string, len(op.Params))
	for i, p := range op.Params {
		names[i] = p.Name
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// validHeaderName accepts an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Prepare renders a run of op: the request it sends and the same request
// with secrets masked. Every value is escaped for where it lands; a value
// that cannot go where it lands (a line break into a header, an option
// where an argument starts) is refused, as is an unset environment value.
func Prepare(op *Operation, v Values) (*Prepared, error) {
	c, problems := compile(op)
	if len(problems) > 0 {
		return nil, fmt.Errorf("operation %q is not valid: %s", op.ID, problems[0])
	}
	p, err := c.render(v)
	if err != nil {
		return nil, err
	}
	if p.Send.URL != "" {
		if err := checkURL(p.Send.URL); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (c *compiled) render(v Values) (*Prepared, error) {
	p := &Prepared{Operation: c.op.ID, Timeout: c.op.RunTimeout()}
	r := renderer{c: c, v: v, p: p}
	both := func(s slot, what string) (send, shown string, err error) {
		if send, err = r.render(s, false); err != nil {
			return "", "", fmt.Errorf("%s: %w", what, err)
		}
		shown, _ = r.render(s, true)
		return send, shown, nil
	}
	var err error
	if c.program != "" {
		p.Send.Argv, p.Shown.Argv = []string{c.program}, []string{c.program}
		for i, a := range c.args {
			send, shown, err := both(a, fmt.Sprintf("argument %d", i+1))
			if err != nil {
				return nil, err
			}
			p.Send.Argv, p.Shown.Argv = append(p.Send.Argv, send), append(p.Shown.Argv, shown)
		}
		for _, e := range c.env {
			send, shown, err := both(e.slot, "environment variable "+e.name)
			if err != nil {
				return nil, err
			}
			p.Send.Env, p.Shown.Env = append(p.Send.Env, e.name+"="+send), append(p.Shown.Env, e.name+"="+shown)
		}
		return p, nil
	}
	p.Send.Method, p.Shown.Method = c.method, c.method
	if p.Send.URL, p.Shown.URL, err = both(c.url, "URL"); err != nil {
		return nil, err
	}
	for _, h := range c.headers {
		send, shown, err := both(h.slot, "header "+h.name)
		if err != nil {
			return nil, err
		}
		p.Send.Headers = append(p.Send.Headers, Header{h.name, send})
		p.Shown.Headers = append(p.Shown.Headers, Header{h.name, shown})
	}
	if c.body != nil {
		if p.Send.Body, p.Shown.Body, err = both(*c.body, "body"); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(c.headers, func(h namedSlot) bool { return h.name == "Content-Type" }) {
			ct := Header{"Content-Type", "application/json"}
			p.Send.Headers, p.Shown.Headers = sortHeaders(append(p.Send.Headers, ct)), sortHeaders(append(p.Shown.Headers, ct))
		}
	}
	return p, nil
}

func sortHeaders(hs []Header) []Header {
	slices.SortFunc(hs, func(a, b Header) int { return strings.Compare(a.Name, b.Name) })
	return hs
}

// checkURL accepts a rendered URL: http or https with a host, and no path
// segment "." or ".." that a server would resolve against its neighbours.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("the URL %q does not parse: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("the URL %q is not an absolute http or https URL", s)
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if dec, err := url.PathUnescape(seg); err == nil && (dec == "." || dec == "..") {
			return fmt.Errorf("the URL's path would hold a %q segment", dec)
		}
	}
	return nil
}

// renderer fills templates with one run's values.
type renderer struct {
	c *compiled
	v Values
	p *Prepared
}

// value is what a variable stands for, and whether it is a secret.
func (r *renderer) value(v Var) (string, bool, error) {
	switch v.Kind {
	case VarService:
		return r.v.Service, false, nil
	case VarIncident:
		if r.v.Incident == 0 {
			return "", false, nil
		}
		return strconv.FormatInt(r.v.Incident, 10), false, nil
	case VarActor:
		return r.v.Actor, false, nil
	case VarParam:
		p := r.c.op.Param(v.Name)
		return r.v.Params[v.Name], p != nil && p.Secret, nil
	case VarEnv:
		val := ""
		if r.v.Getenv != nil {
			val = r.v.Getenv(v.Name)
		}
		if val == "" {
			return "", true, fmt.Errorf("environment variable %s is not set on the server", v.Name)
		}
		return val, true, nil
	}
	return "", false, errors.New("unknown variable " + v.String())
}

// render fills a template; with masked, every secret shows as Mask.
func (r *renderer) render(s slot, masked bool) (string, error) {
	var b strings.Builder
	i := 0
	for _, part := range s.t.parts {
		if part.v.Kind == "" {
			b.WriteString(part.text)
			continue
		}
		ctx := s.ctxs[i]
		i++
		val, secret, err := r.value(part.v)
		if err != nil {
			return "", err
		}
		out, err := escape(ctx, part.v, val, b.Len() == 0)
		if err != nil {
			return "", err
		}
		if secret && !masked {
			r.p.addSecret(val)
			r.p.addSecret(out)
		}
		if secret && masked {
			out = Mask
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

func (p *Prepared) addSecret(s string) {
	if len(s) >= minMaskedLen && !slices.Contains(p.secrets, s) {
		p.secrets = append(p.secrets, s)
		// Longest first, so that a secret containing another is masked whole.
		slices.SortFunc(p.secrets, func(a, b string) int { return len(b) - len(a) })
	}
}
