package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/simulate"
	"github.com/vigil-oncall/vigil/internal/simulate/history"
)

const simulateSynopsis = "--history FILE --org DIR --org DIR [...] [--map FILE] [--history-format auto|vigil|alertmanager|pagerduty] [--from TIME] [--to TIME] [--format table|json|html] [-o FILE]"

// runSimulate replays a history against organisations, offline.
func runSimulate(_ context.Context, args []string, env Env) int {
	fs := newFlags("simulate", simulateSynopsis+"\n\nReplays an alert history against each organisation (a configuration directory as vigil validate accepts)\n"+
		"with the server's own routing, schedules, escalation and cost rules, and compares them. No server is needed.", env)
	historyFile := fs.String("history", "", "the alert history: vigil export history's JSON lines, an Alertmanager webhook log or a PagerDuty incidents export")
	historyFormat := fs.String("history-format", history.FormatAuto, "the history's format: "+strings.Join(history.Formats, ", "))
	var orgs multiFlag
	fs.Var(&orgs, "org", "an organisation's configuration directory (or file); repeat it to compare several")
	mapFile := fs.String("map", "", "a YAML file of \"old: new\" lines renaming the history's services")
	from := fs.String("from", "", "replay from this time (RFC 3339 or a date; default: the history's first day)")
	to := fs.String("to", "", "replay until this time, exclusive (default: the day after the history's last alert)")
	format := fs.String("format", "table", "table, json or html")
	out := fs.String("o", "", "write to this file instead of standard output")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "vigil simulate: "+format+"\n", a...)
		return exitError
	}
	switch {
	case *historyFile == "":
		return fail("give the history with --history FILE")
	case len(orgs) == 0:
		return fail("give at least one organisation with --org DIR")
	case !slices.Contains([]string{"table", "json", "html"}, *format):
		return fail("--format %q: use table, json or html", *format)
	}
	var opts simulate.Options
	for _, p := range []struct {
		flag, value string
		into        *time.Time
	}{{"from", *from, &opts.From}, {"to", *to, &opts.To}} {
		if p.value == "" {
			continue
		}
		t, ok := parseWhen(p.value)
		if !ok {
			return fail("--%s %q: want an RFC 3339 time such as 2026-03-01T00:00:00Z or a date such as 2026-03-01", p.flag, p.value)
		}
		*p.into = t
	}
	alerts, err := readHistory(*historyFile, *historyFormat, *mapFile)
	if err != nil {
		return fail("%v", err)
	}
	var models []simulate.Org
	for _, dir := range orgs {
		loaded, ok := loadConfig([]string{dir}, env)
		if !ok {
			fmt.Fprintf(env.Stderr, "vigil simulate: organisation %s is not valid configuration\n", dir)
			return exitFail
		}
		models = append(models, simulate.Org{Name: orgName(dir), Snap: org.SnapshotOf(&loaded.Bundle)})
	}
	res, err := simulate.Run(alerts, models, opts)
	if err != nil {
		return fail("%v", err)
	}
	var buf bytes.Buffer
	switch *format {
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	case "html":
		err = res.WriteHTML(&buf)
	default:
		err = writeTitledTables(&buf, res.Title(), res.Tables(), append(slices.Clone(res.Notes), res.Method...))
	}
	if err != nil {
		return fail("%v", err)
	}
	return writeOut(env, "simulate", *out, buf.Bytes(), "wrote "+*out)
}

// readHistory reads the history file and renames its services by the
// mapping file, if one is given.
func readHistory(path, format, mapPath string) ([]simulate.Alert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	alerts, err := history.Read(f, format)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	if mapPath == "" {
		return alerts, nil
	}
	m, err := os.Open(mapPath)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	defer m.Close()
	mapping, err := history.ReadMap(m)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", mapPath, err)
	}
	history.Rename(alerts, mapping)
	return alerts, nil
}

// orgName names an organisation by its directory ("examples/simulate/
// dev-owned-irt" is dev-owned-irt), or its file without the extension.
func orgName(path string) string {
	base := filepath.Base(filepath.Clean(path))
	return strings.TrimSuffix(base, filepath.Ext(base))
}
