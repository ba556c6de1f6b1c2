package provider

import "fmt"

// Refuse returns a refused callback's error: its message is the format's,
// and errors.Is finds kind (notify.ErrMalformed, notify.ErrForbidden...),
// which decides the API's answer.
func Refuse(kind error, format string, a ...any) error {
	return &refusal{kind: kind, err: fmt.Errorf(format, a...)}
}

type refusal struct{ kind, err error }

func (r *refusal) Error() string   { return r.err.Error() }
func (r *refusal) Unwrap() []error { return []error{r.kind, r.err} }
