package importer

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Report is IMPORT-REPORT.md: everything of the source that the import
// did not carry over, each with what to do instead, and what it carried
// over with a change. Nothing is left out silently.
type Report struct {
	Vendor string // "PagerDuty", "Opsgenie", "Grafana OnCall"
	From   string // the directory or API URL read
	At     time.Time

	skipped []Item
	changed []Item
	checks  []string
}

// Item is one entry of the report about one source object.
type Item struct {
	Kind    string // user, team, schedule, escalation policy, service, integration...
	Name    string // the source object, as its owner would recognise it
	What    string // what was not carried over, or how it changed
	Instead string // what to do instead
}

// Skip records something of the source that the import did not carry over.
func (r *Report) Skip(kind, name, what, instead string) {
	r.skipped = append(r.skipped, Item{kind, name, what, instead})
}

// Change records something carried over differently from the source.
func (r *Report) Change(kind, name, what, instead string) {
	r.changed = append(r.changed, Item{kind, name, what, instead})
}

// Check records something to check before going live that concerns the
// whole import (providers to configure, teams to complete).
func (r *Report) Check(format string, args ...any) {
	r.checks = append(r.checks, fmt.Sprintf(format, args...))
}

// Skipped and Changed return the items recorded so far.
func (r *Report) Skipped() []Item { return r.skipped }

// Changed returns the items carried over with a change.
func (r *Report) Changed() []Item { return r.changed }

// Checks returns the whole-import checks.
func (r *Report) Checks() []string { return r.checks }

// Markdown renders the report. counts lists what was imported, in order.
func (r *Report) Markdown(counts []Count) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Import report: %s to Vigil\n\n", r.Vendor)
	if r.From != "" {
		fmt.Fprintf(&b, "Read from `%s`", mdCode(r.From))
		if !r.At.IsZero() {
			fmt.Fprintf(&b, " at %s", r.At.UTC().Format(time.RFC3339))
		}
		b.WriteString(".\n\n")
	}
	var parts []string
	for _, c := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.What))
	}
	fmt.Fprintf(&b, "Imported: %s.\n\n", strings.Join(parts, ", "))
	fmt.Fprintf(&b, "Not carried over: %d. Carried over with a change: %d.\n", len(r.skipped), len(r.changed))

	b.WriteString("\n## Check before going live\n\n")
	checks := append([]string{
		"`vigil validate -f` this directory, then `vigil apply -f` it to a server (`--dry-run` first).",
		"Compare `vigil oncall --schedule ID --at TIME --config` this directory with the source's own on-call view for a few instants, DST changes included.",
	}, r.checks...)
	for _, c := range checks {
		fmt.Fprintf(&b, "- %s\n", mdLine(c))
	}
	writeItems(&b, "Not carried over", "Each line names what the import left behind and what to do instead.", r.skipped)
	writeItems(&b, "Carried over with a change", "These were imported, but not exactly as the source had them.", r.changed)
	return []byte(b.String())
}

// Count is one line of what was imported: N of What.
type Count struct {
	N    int
	What string
}

func writeItems(b *strings.Builder, title, intro string, items []Item) {
	fmt.Fprintf(b, "\n## %s\n\n", title)
	if len(items) == 0 {
		b.WriteString("Nothing.\n")
		return
	}
	sorted := append([]Item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Kind < sorted[j].Kind })
	fmt.Fprintf(b, "%s\n\n| kind | in the source | what | do instead |\n|---|---|---|---|\n", intro)
	for _, it := range sorted {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(it.Kind), mdName(it.Name), mdCell(it.What), mdCell(it.Instead))
	}
}

// mdCell makes text safe inside a table cell: no line breaks, pipes
// escaped, and no HTML or Markdown link syntax from a hostile name.
func mdCell(s string) string {
	return strings.ReplaceAll(mdLine(s), "|", `\|`)
}

// mdLine keeps text on one line and neutralises characters that Markdown
// renderers turn into markup.
func mdLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < ' ' || r == 0x7f:
			return -1
		}
		return r
	}, s)
	s = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
	const max = 4000
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// mdName is a source object's name in a cell: its own text, with nothing
// in it read as Markdown.
func mdName(s string) string {
	return strings.NewReplacer("[", "\\[", "]", "\\]", "`", "\\`", "*", "\\*", "_", "\\_").Replace(mdCell(s))
}

// Code renders a value from the source as a code span for a report line.
func Code(s string) string { return "`" + mdCode(s) + "`" }

// mdCode is text for inside a code span.
func mdCode(s string) string { return strings.ReplaceAll(mdLine(s), "`", "'") }
