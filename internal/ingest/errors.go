package ingest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTooLarge is returned for a body over MaxBodyBytes, so that the HTTP
// layer can answer 413 rather than 400.
var ErrTooLarge = errors.New("ingest: body exceeds 512 KB")

// maxProblems caps the problems a ValidationError lists, so that a hostile
// body cannot make the 400 answer larger than itself.
const maxProblems = 20

// ValidationError is an event the sender must fix. Each entry of Errors is
// "field: problem", the field named by its path in the body
// ("payload.summary", "alerts[1].labels", "body" for the body as a whole),
// ready for PagerDuty's {"status":"invalid event","errors":[...]} answer.
type ValidationError struct {
	Errors []string
}

func (e *ValidationError) Error() string {
	return "invalid event: " + strings.Join(e.Errors, "; ")
}

// problems collects validation problems while a parser reads on, so that
// one answer lists them all.
type problems struct {
	list []string
}

func (p *problems) add(field, format string, args ...any) {
	switch {
	case len(p.list) > maxProblems:
	case len(p.list) == maxProblems:
		p.list = append(p.list, "body: further problems not listed")
	default:
		p.list = append(p.list, field+": "+fmt.Sprintf(format, args...))
	}
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns the collected problems as a *ValidationError, or nil.
func (p *problems) err() error {
	if p.empty() {
		return nil
	}
	return &ValidationError{Errors: p.list}
}

// invalid is a ValidationError with a single problem.
func invalid(field, format string, args ...any) error {
	var p problems
	p.add(field, format, args...)
	return p.err()
}
