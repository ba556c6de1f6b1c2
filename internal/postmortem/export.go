package postmortem

import (
	"fmt"
	"strings"
	"time"
)

// Markdown is the post-mortem as one Markdown document, for a team's own
// wiki: a header of facts, every section, and the action items as a table.
// Due times read in the teams' own zones.
func Markdown(p Postmortem, teams Teams) string {
	local := func(t time.Time, team string) string {
		loc, ok := teams.TeamZone(team)
		if !ok || loc == nil {
			return stamp(t)
		}
		return t.In(loc).Format("2006-01-02 15:04 MST")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Post-mortem: %s (incident #%d)\n\n", inline(p.Title), p.IncidentID)
	fmt.Fprintf(&b, "- Status: %s (version %d)\n", p.Status, p.Version)
	kind := string(p.Facts.Severity)
	if p.Facts.Major {
		kind += ", major"
	}
	fmt.Fprintf(&b, "- Incident: #%d, %s\n", p.IncidentID, kind)
	if p.OwnerTeam != "" {
		fmt.Fprintf(&b, "- Owner team: %s\n", p.OwnerTeam)
	}
	if p.Required {
		reasons := make([]string, len(p.RequiredBecause))
		for i, r := range p.RequiredBecause {
			reasons[i] = inline(r)
		}
		fmt.Fprintf(&b, "- Required: yes (%s)\n", strings.Join(reasons, "; "))
	} else {
		b.WriteString("- Required: no\n")
	}
	if p.Due != nil {
		fmt.Fprintf(&b, "- Due: %s\n", local(*p.Due, p.OwnerTeam))
	}
	fmt.Fprintf(&b, "- Drafted: %s by %s\n", stamp(p.CreatedAt), inline(p.CreatedBy))
	if p.UpdatedAt.After(p.CreatedAt) {
		fmt.Fprintf(&b, "- Last edited: %s by %s\n", stamp(p.UpdatedAt), inline(p.UpdatedBy))
	}
	if p.PublishedAt != nil {
		fmt.Fprintf(&b, "- Published: %s\n", stamp(*p.PublishedAt))
	}
	for _, s := range sectionList {
		fmt.Fprintf(&b, "\n## %s\n\n", s.heading)
		text := strings.TrimRight(*s.text(&p.Sections), "\n")
		if strings.TrimSpace(text) == "" {
			text = "_Nothing written yet._"
		}
		b.WriteString(text + "\n")
	}
	b.WriteString("\n## Action items\n\n")
	if len(p.ActionItems) == 0 {
		b.WriteString("_None yet._\n")
		return b.String()
	}
	b.WriteString("| # | Action | Owner team | Due | Status | Tracker |\n|---|---|---|---|---|---|\n")
	for _, it := range p.ActionItems {
		tracker := ""
		if it.URL != "" {
			tracker = "<" + autolinkSafe.Replace(it.URL) + ">"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", it.ID, inline(it.Title), it.OwnerTeam, local(it.Due, it.OwnerTeam), it.Status, tracker)
	}
	return b.String()
}

// autolinkSafe keeps a URL inside <...> in a table cell: what would end
// the link or the cell is percent-encoded.
var autolinkSafe = strings.NewReplacer(">", "%3E", "<", "%3C", "|", "%7C", " ", "%20")
