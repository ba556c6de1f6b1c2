// Package config reads Vigil's configuration as code (YAML files or a
// directory of them), validates it as a whole and reports every problem with
// its file, line and field.
package config

import (
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Bundle is one complete configuration: everything the files declare.
// Its JSON form (snake_case, as in the YAML) is what `vigil apply` sends.
type Bundle struct {
	Org                catalog.Org         `json:"org" yaml:"org"`
	Users              []catalog.User      `json:"users" yaml:"users"`
	Teams              []catalog.Team      `json:"teams" yaml:"teams"`
	Schedules          []schedule.Schedule `json:"schedules" yaml:"schedules"`
	EscalationPolicies []escalation.Policy `json:"escalation_policies" yaml:"escalation_policies"`
	Services           []catalog.Service   `json:"services" yaml:"services"`
	// Operations are the org-wide verbs every service is operated with.
	Operations []ops.Operation `json:"operations" yaml:"operations"`
	// OpenSLO are the OpenSLO documents (SLOs, SLIs, data sources, alert
	// policies) as the files wrote them, for package slo to parse: they
	// travel with the bundle so that the server validates and keeps them.
	OpenSLO []OpenSLODocument `json:"openslo,omitempty" yaml:"-"`
}

// OpenSLODocument is one OpenSLO YAML document and where it starts: YAML is
// the text from its first line (Line of File) to the document's end.
type OpenSLODocument struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	YAML string `json:"yaml"`
}
