package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// ReportFile is the name of the report written beside the configuration.
const ReportFile = "IMPORT-REPORT.md"

// header starts every file the importer writes; Write overwrites only
// files that start with it.
const header = "# Written by vigil import"

// Write puts the result in dir as a Vigil configuration directory (one
// file per kind) plus IMPORT-REPORT.md, and returns the files written. It
// creates dir when needed and refuses to overwrite a file it did not
// write itself.
func Write(dir string, r *Result) ([]string, error) {
	b := &r.Bundle
	files := []struct {
		name string
		key  string
		v    any
	}{
		{"org.yaml", "org", b.Org},
		{"users.yaml", "users", b.Users},
		{"teams.yaml", "teams", b.Teams},
		{"schedules.yaml", "schedules", b.Schedules},
		{"escalation_policies.yaml", "escalation_policies", b.EscalationPolicies},
		{"services.yaml", "services", b.Services},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	type output struct {
		name string
		data []byte
	}
	var outs []output
	for _, f := range files {
		if reflect.ValueOf(f.v).IsZero() || reflect.ValueOf(f.v).Kind() == reflect.Slice && reflect.ValueOf(f.v).Len() == 0 {
			continue
		}
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "%s from %s; see %s for what did not carry over.\n", header, r.Report.Vendor, ReportFile)
		var doc yaml.Node
		if err := doc.Encode(map[string]any{f.key: f.v}); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
		compact(&doc)
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
		outs = append(outs, output{f.name, buf.Bytes()})
	}
	report := append([]byte("<!-- "+header[2:]+" -->\n"), r.Report.Markdown(r.Counts())...)
	outs = append(outs, output{ReportFile, report})
	for _, o := range outs {
		if err := checkOverwrite(filepath.Join(dir, o.name)); err != nil {
			return nil, err
		}
	}
	var written []string
	for _, o := range outs {
		p := filepath.Join(dir, o.name)
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, o.data, 0o644); err != nil {
			return written, fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return written, fmt.Errorf("write %s: %w", p, err)
		}
		written = append(written, p)
	}
	return written, nil
}

// checkOverwrite refuses to replace a file that vigil import did not write.
func checkOverwrite(p string) error {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if !bytes.HasPrefix(data, []byte(header)) && !bytes.HasPrefix(data, []byte("<!-- "+header[2:])) {
		return fmt.Errorf("%s exists and was not written by vigil import; choose an empty --out directory", p)
	}
	return nil
}

// compact writes short lists and small objects on one line, as people
// write them by hand: users: [alice, bob], rotation: {every: 1w}.
func compact(n *yaml.Node) {
	for _, c := range n.Content {
		compact(c)
	}
	switch n.Kind {
	case yaml.SequenceNode:
		if allScalars(n.Content) {
			n.Style = yaml.FlowStyle
		}
	case yaml.MappingNode:
		if len(n.Content) <= 8 && allFlow(n.Content) && width(n) <= 100 {
			n.Style = yaml.FlowStyle
		}
	}
}

func allScalars(ns []*yaml.Node) bool {
	for _, c := range ns {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// allFlow: the values are scalars or lists already on one line.
func allFlow(ns []*yaml.Node) bool {
	for _, c := range ns {
		if c.Kind != yaml.ScalarNode && c.Style != yaml.FlowStyle {
			return false
		}
	}
	return true
}

// width is roughly how long a node is on one line.
func width(n *yaml.Node) int {
	w := len(n.Value) + 2
	for _, c := range n.Content {
		w += width(c)
	}
	return w
}
