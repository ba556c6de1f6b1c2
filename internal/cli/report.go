package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-oncall/vigil/internal/report"
)

const reportSynopsis = "NAME [--from TIME] [--to TIME] [--team ID] [--format table|json|csv] [--server URL]"

// runReport prints one of the server's reports: GET /api/v1/reports/NAME.
func runReport(ctx context.Context, args []string, env Env) int {
	fs := newFlags("report", reportSynopsis+"\n\nNAME is one of "+strings.Join(report.Names, ", ")+
		".\nTIME is RFC 3339 (2026-03-01T00:00:00Z) or a date (2026-03-01, midnight UTC); the default period is the 30 days to now.", env)
	from := fs.String("from", "", "start of the period, inclusive (default: 30 days before --to)")
	to := fs.String("to", "", "end of the period, exclusive (default: now)")
	team := fs.String("team", "", "one team's members, services and schedules only")
	format := fs.String("format", "table", "table, json or csv")
	server := serverFlag(fs)
	names, code, done := parseArgs(fs, args, env)
	if done {
		return code
	}
	if len(names) != 1 || !slices.Contains(report.Names, names[0]) {
		fmt.Fprintf(env.Stderr, "vigil report: name one report: %s\n", strings.Join(report.Names, ", "))
		return exitError
	}
	name := names[0]
	if *format != "table" && *format != "json" && *format != "csv" {
		fmt.Fprintf(env.Stderr, "vigil report: --format %q: use table, json or csv\n", *format)
		return exitError
	}
	q := url.Values{}
	if !periodQuery("report", *from, *to, q, env) {
		return exitError
	}
	if *team != "" {
		q.Set("team", *team)
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil report: %v\n", err)
		return exitError
	}
	path := "/api/v1/reports/" + name
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var raw json.RawMessage
	if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
		fmt.Fprintf(env.Stderr, "vigil report: %v\n", err)
		return exitError
	}
	if *format == "json" {
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			fmt.Fprintf(env.Stderr, "vigil report: %v\n", err)
			return exitError
		}
		out.WriteByte('\n')
		_, _ = env.Stdout.Write(out.Bytes())
		return exitOK
	}
	rep, err := report.Decode(name, raw)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil report: %v\n", err)
		return exitError
	}
	var head struct {
		report.Heading
		Method []string `json:"method"`
	}
	_ = json.Unmarshal(raw, &head) // Decode read it already
	if *format == "csv" {
		err = writeCSV(env.Stdout, rep.Tables())
	} else {
		err = writeTables(env.Stdout, name, head.Heading, rep.Tables(), head.Method)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil report: %v\n", err)
		return exitError
	}
	return exitOK
}

func isReportTime(s string) bool {
	_, ok := parseWhen(s)
	return ok
}

// periodQuery sets from and to in q, those given, once they are checked
// times; it says why on standard error, as command cmd, and answers false
// when one is not.
func periodQuery(cmd, from, to string, q url.Values, env Env) bool {
	for _, p := range []struct{ flag, value string }{{"from", from}, {"to", to}} {
		if p.value == "" {
			continue
		}
		if !isReportTime(p.value) {
			fmt.Fprintf(env.Stderr, "vigil %s: --%s %q: want an RFC 3339 time such as 2026-03-01T00:00:00Z or a date such as 2026-03-01\n", cmd, p.flag, p.value)
			return false
		}
		q.Set(p.flag, p.value)
	}
	return true
}

// parseWhen reads a time as the reports and the simulator take it: RFC
// 3339, or a date (midnight UTC).
func parseWhen(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// writeTables prints a report for people: a heading with the period,
// each table in aligned columns, and how the numbers were computed.
func writeTables(w io.Writer, name string, h report.Heading, tables []report.Table, method []string) error {
	title := fmt.Sprintf("Report %s, %s to %s", name, h.From.UTC().Format(time.RFC3339), h.To.UTC().Format(time.RFC3339))
	if h.Team != "" {
		title += ", team " + h.Team
	}
	return writeTitledTables(w, title, tables, method)
}

// writeTitledTables prints a title, each table in aligned columns, and
// how the numbers were computed.
func writeTitledTables(w io.Writer, title string, tables []report.Table, method []string) error {
	fmt.Fprintln(w, title)
	for _, t := range tables {
		fmt.Fprintf(w, "\n%s\n", t.Title)
		if len(t.Rows) == 0 {
			fmt.Fprintln(w, "  (none)")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
		for _, row := range t.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(method) > 0 {
		fmt.Fprintln(w, "\nHow these numbers were computed:")
		for _, m := range method {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
	return nil
}

// writeCSV prints each table as CSV: a row with its title, its header and
// its rows, the tables apart by an empty line.
func writeCSV(w io.Writer, tables []report.Table) error {
	cw := csv.NewWriter(w)
	for i, t := range tables {
		if i > 0 {
			cw.Flush()
			fmt.Fprintln(w)
		}
		if err := cw.Write([]string{t.Title}); err != nil {
			return err
		}
		if err := cw.Write(t.Columns); err != nil {
			return err
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
