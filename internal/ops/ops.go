// Package ops makes operations uniform: org-wide verbs (drain, roll back,
// restart, scale, flip a flag) that run the same way on every service,
// through a driver that reaches the platform. It holds the definitions,
// the parameters and their per-service defaults, the templates and the
// escaping of each value for where it lands, who may run what, and what a
// run is. It is pure: no HTTP, no SQL, no clock; the drivers that send and
// the worker that runs live elsewhere.
package ops

import (
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
)

// Operation is one org-wide verb, the same for every service that offers it.
type Operation struct {
	ID          string  `json:"id" yaml:"id"`
	Description string  `json:"description,omitempty" yaml:"description,omitempty"`
	Params      []Param `json:"params,omitempty" yaml:"params,omitempty"`
	// Confirm makes the web UI and the CLI ask before running.
	Confirm bool `json:"confirm,omitempty" yaml:"confirm,omitempty"`
	// Timeout bounds one run; zero means DefaultTimeout.
	Timeout duration.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	Driver  Driver            `json:"driver" yaml:"driver"`
}

// Param is one parameter of an operation.
type Param struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Required    bool   `json:"required,omitempty" yaml:"required,omitempty"`
	// Pattern is a regular expression the whole value must match.
	Pattern string `json:"pattern,omitempty" yaml:"pattern,omitempty"`
	// Default applies when neither the request nor the service's
	// operation_params give a value.
	Default string `json:"default,omitempty" yaml:"default,omitempty"`
	// Secret masks the value wherever a run is shown or stored.
	Secret bool `json:"secret,omitempty" yaml:"secret,omitempty"`
}

// Driver says how the platform is reached: exactly one of HTTP and Exec.
type Driver struct {
	HTTP *HTTPDriver `json:"http,omitempty" yaml:"http,omitempty"`
	Exec *ExecDriver `json:"exec,omitempty" yaml:"exec,omitempty"`
}

// HTTPDriver is one HTTP request to the platform. URL, header values and
// body are templates (see Parse); the body is a JSON document.
type HTTPDriver struct {
	Method  string            `json:"method,omitempty" yaml:"method,omitempty"` // default POST
	URL     string            `json:"url" yaml:"url"`
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	Body    string            `json:"body,omitempty" yaml:"body,omitempty"`
}

// ExecDriver runs a program with an argument vector, never through a
// shell. Each argument after the program and each value of Env is a
// template; the program itself is fixed.
type ExecDriver struct {
	Command []string `json:"command" yaml:"command"`
	// Env is the program's whole environment beside PATH: the server's own
	// environment (which holds its secrets) is not passed on.
	Env map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
}

// Bounds of a run's duration.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
)

// RunTimeout is how long one run of op may take.
func (op *Operation) RunTimeout() time.Duration {
	if op.Timeout <= 0 {
		return DefaultTimeout
	}
	return min(op.Timeout.Std(), MaxTimeout)
}

// Param returns the parameter with this name, or nil.
func (op *Operation) Param(name string) *Param {
	for i := range op.Params {
		if op.Params[i].Name == name {
			return &op.Params[i]
		}
	}
	return nil
}

// Offers reports whether the service offers the operation: every org verb
// unless the service lists the ones it offers.
func Offers(svc *catalog.Service, op string) bool {
	return svc.Operations == nil || slices.Contains(*svc.Operations, op)
}

// Offered lists the operations a service offers, in the org's order.
func Offered(all []Operation, svc *catalog.Service) []Operation {
	var out []Operation
	for _, op := range all {
		if Offers(svc, op.ID) {
			out = append(out, op)
		}
	}
	return out
}

// Find returns the operation with this id, or nil.
func Find(all []Operation, id string) *Operation {
	for i := range all {
		if all[i].ID == id {
			return &all[i]
		}
	}
	return nil
}
