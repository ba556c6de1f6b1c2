package org

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/slo"
)

// KindOpenSLO is the kind of an OpenSLO document (an SLO, SLI, data source
// or alert policy) of the configuration, keyed by its kind and name
// ("SLO/checkout-availability").
const KindOpenSLO = "openslo"

// maxOpenSLOID bounds the id an OpenSLO document is stored under.
const maxOpenSLOID = 200

// openSLODocuments adds the bundle's OpenSLO documents to docs. A document
// whose kind and name cannot be read, or whose key is taken, still gets a
// key of its own, so that validation sees it and reports what is wrong.
func openSLODocuments(b *config.Bundle, docs map[key][]byte) error {
	for i, d := range b.OpenSLO {
		kind, name := slo.Identify(d.YAML)
		id := kind + "/" + name
		if kind == "" || name == "" || len(id) > maxOpenSLOID {
			id = "invalid/" + strconv.Itoa(i)
		}
		k := key{KindOpenSLO, id}
		for n := 2; docs[k] != nil; n++ {
			k.id = id + "#" + strconv.Itoa(n)
		}
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode %s %q: %w", KindOpenSLO, k.id, err)
		}
		docs[k] = body
	}
	return nil
}

// sloProblems lists what is wrong with the bundle's OpenSLO documents.
func sloProblems(b *config.Bundle) []config.Problem {
	_, problems := slo.ParseBundle(b.OpenSLO, serviceSet(b))
	return problems
}

func serviceSet(b *config.Bundle) func(string) bool {
	ids := make(map[string]bool, len(b.Services))
	for _, s := range b.Services {
		ids[s.ID] = true
	}
	return func(id string) bool { return ids[id] }
}

// parseSLOs reads the bundle's SLOs; a stored configuration was validated,
// so there are no problems to report.
func parseSLOs(b *config.Bundle) ([]slo.SLO, map[string]int) {
	slos, _ := slo.ParseBundle(b.OpenSLO, serviceSet(b))
	byName := make(map[string]int, len(slos))
	for i, s := range slos {
		byName[s.Name] = i
	}
	return slos, byName
}

// SLOs returns the configured SLOs, in the order their documents are
// stored. Never modify them.
func (s *Snapshot) SLOs() []slo.SLO { return s.slos }

// SLO returns the SLO with this name, or nil.
func (s *Snapshot) SLO(name string) *slo.SLO {
	i, ok := s.sloIndex[name]
	if !ok {
		return nil
	}
	return &s.slos[i]
}

// ServiceSLOs returns the SLOs of a service.
func (s *Snapshot) ServiceSLOs(service string) []slo.SLO {
	var out []slo.SLO
	for _, x := range s.slos {
		if x.Service == service {
			out = append(out, x)
		}
	}
	return out
}
