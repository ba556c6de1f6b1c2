package postmortem

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// Record is what the store and the configuration know of an incident: the
// material a draft is written from.
type Record struct {
	Incident incident.Incident
	// Timeline is the incident's timeline, oldest first.
	Timeline []incident.TimelineEntry
	Alerts   []alert.Alert
	// Pages are the pages delivered to people, one per message sent.
	Pages []Page
	// Services describes the incident's services, as the catalog does.
	Services []ServiceFact
	// Budgets are the shares of SLO budgets the incident consumed.
	Budgets []Budget
	// Changes are the change events the suspects name.
	Changes []change.Event
	// Hours are the org's business and night hours.
	Hours hours.Hours
}

// Page is one page that reached a person.
type Page struct {
	User string
	// TimeZone is the person's zone when they were paged.
	TimeZone string
	At       time.Time
}

// ServiceFact is one of the incident's services: who owns it and whether
// it is critical, with the path that makes it so.
type ServiceFact struct {
	Service         string   `json:"service"`
	Name            string   `json:"name,omitempty"`
	Owner           string   `json:"owner"`
	Critical        bool     `json:"critical"`
	CriticalBecause []string `json:"critical_because"`
}

// Facts are the measured part of a post-mortem, kept as drafted.
type Facts struct {
	Severity       incident.Severity `json:"severity"`
	Major          bool              `json:"major"`
	StartedAt      time.Time         `json:"started_at"`
	DetectedAt     time.Time         `json:"detected_at"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at"`
	AcknowledgedBy string            `json:"acknowledged_by,omitempty"`
	MitigatedAt    *time.Time        `json:"mitigated_at"`
	ResolvedAt     *time.Time        `json:"resolved_at"`
	ResolvedBy     string            `json:"resolved_by,omitempty"`
	Services       []ServiceFact     `json:"services"`
	Teams          []string          `json:"teams"`
	Budgets        []Budget          `json:"slo_budgets"`
	// Pages counts the pages sent; People are the people they reached,
	// and PeopleWoken how many of them were first paged in their sleep
	// hours.
	Pages       int           `json:"pages"`
	People      []PersonPaged `json:"people_paged"`
	PeopleWoken int           `json:"people_woken"`
	Suspects    []SuspectFact `json:"suspects"`
	Timeline    []Event       `json:"timeline"`
}

// PersonPaged is one person the incident paged: when first, in which part
// of their day (read in their own zone), and how often.
type PersonPaged struct {
	User         string       `json:"user"`
	TimeZone     string       `json:"time_zone"`
	FirstPagedAt time.Time    `json:"first_paged_at"`
	Hours        hours.Bucket `json:"hours"`
	Pages        int          `json:"pages"`
}

// SuspectFact is a suspect with its reasons and its changes.
type SuspectFact struct {
	Service string       `json:"service"`
	Reasons []string     `json:"reasons"`
	Changes []ChangeFact `json:"changes"`
}

// ChangeFact is a change event on a suspect.
type ChangeFact struct {
	ID      int64     `json:"id"`
	Service string    `json:"service"`
	Summary string    `json:"summary"`
	Source  string    `json:"source,omitempty"`
	At      time.Time `json:"at"`
}

// Event is one line of the post-mortem's timeline.
type Event struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor,omitempty"`
	Channel string    `json:"channel,omitempty"`
	Message string    `json:"message"`
}

// EventChange is the timeline kind of a change on a suspect service.
const EventChange = "change"

// MaxTimeline bounds the timeline a draft carries; a storm's incident
// keeps its first events and says how many more there were.
const MaxTimeline = 1000

// Draft writes the post-mortem of the record's incident as actor at now:
// the facts, sections written from them, and empty sections for what only
// the people who were there can say. The policy decides whether it is
// required; its due time follows the owner team's calendar once the
// incident is resolved.
func Draft(rec Record, p Policy, owner string, cal Calendar, actor string, now time.Time) Postmortem {
	inc := rec.Incident
	facts := factsOf(rec)
	pm := Postmortem{
		ID: inc.ID, IncidentID: inc.ID, Title: inc.Title, Status: StatusDraft, Version: 1,
		ActionItems: []ActionItem{}, Facts: facts, OwnerTeam: owner,
		RequiredBecause: p.Required(inc.Severity, inc.Major, rec.Budgets),
		CreatedAt:       now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor,
	}
	if pm.RequiredBecause == nil {
		pm.RequiredBecause = []string{}
	}
	pm.Required = len(pm.RequiredBecause) > 0
	pm.FillDue(p, inc.ResolvedAt, cal)
	pm.Sections = Sections{
		Summary:  summaryOf(inc, facts),
		Impact:   impactOf(facts),
		Timeline: timelineOf(facts.Timeline),
		Suspects: suspectsOf(facts.Suspects),
	}
	return pm
}

// FillDue sets the due time of a required post-mortem once its incident is
// resolved, when it has none yet.
func (p *Postmortem) FillDue(policy Policy, resolved *time.Time, cal Calendar) {
	if p.Required && p.Due == nil && resolved != nil {
		due := policy.Due(*resolved, cal)
		p.Due = &due
	}
}

func factsOf(rec Record) Facts {
	inc := rec.Incident
	f := Facts{
		Severity: inc.Severity, Major: inc.Major, DetectedAt: inc.CreatedAt,
		ResolvedAt: inc.ResolvedAt, ResolvedBy: inc.ResolvedBy,
		Services: append([]ServiceFact{}, rec.Services...), Teams: []string{},
		Budgets: append([]Budget{}, rec.Budgets...), People: []PersonPaged{}, Suspects: []SuspectFact{},
	}
	for _, s := range f.Services {
		if s.Owner != "" && !slices.Contains(f.Teams, s.Owner) {
			f.Teams = append(f.Teams, s.Owner)
		}
	}
	f.StartedAt = startOf(inc, rec.Alerts)
	f.AcknowledgedAt, f.AcknowledgedBy = firstAcknowledgement(inc, rec.Timeline)
	f.MitigatedAt = mitigationOf(inc, rec.Alerts)
	f.Pages, f.People, f.PeopleWoken = pagesOf(rec.Pages, rec.Hours)
	f.Suspects = suspectFacts(inc.Suspects, rec.Changes)
	f.Timeline = eventsOf(rec.Timeline, f.Suspects)
	return f
}

// startOf is when the impact began: the earliest instant a source reported
// for one of the incident's alerts (an alert's only event keeps its own
// timestamp), and never after detection.
func startOf(inc incident.Incident, alerts []alert.Alert) time.Time {
	start := inc.CreatedAt
	for _, a := range alerts {
		first := a.CreatedAt
		if a.Count <= 1 && !a.LastEventAt.IsZero() && a.LastEventAt.Before(first) {
			first = a.LastEventAt
		}
		if first.Before(start) {
			start = first
		}
	}
	return start
}

// firstAcknowledgement is when someone first took the incident, and who:
// a later reassignment clears the incident's own acknowledgement, not
// history.
func firstAcknowledgement(inc incident.Incident, tl []incident.TimelineEntry) (*time.Time, string) {
	for _, e := range tl {
		if e.Kind == incident.EntryAcknowledged {
			t := e.At
			return &t, e.Actor
		}
	}
	return inc.AcknowledgedAt, inc.AcknowledgedBy
}

// mitigationOf is when the symptoms stopped: the last of the incident's
// alerts resolved, when all did and the incident is resolved; otherwise
// it is the responders' to say.
func mitigationOf(inc incident.Incident, alerts []alert.Alert) *time.Time {
	if inc.ResolvedAt == nil || len(alerts) == 0 {
		return nil
	}
	var last time.Time
	for _, a := range alerts {
		if a.ResolvedAt == nil {
			return nil
		}
		if a.ResolvedAt.After(last) {
			last = *a.ResolvedAt
		}
	}
	if last.After(*inc.ResolvedAt) {
		last = *inc.ResolvedAt
	}
	return &last
}

// pagesOf counts the pages and the people they reached, each bucketed by
// the part of their day of their first page, read in their own zone (one
// interruption per person, as the interruptions report counts).
func pagesOf(pages []Page, h hours.Hours) (int, []PersonPaged, int) {
	byUser := map[string]*PersonPaged{}
	for _, p := range pages {
		pp := byUser[p.User]
		if pp == nil {
			pp = &PersonPaged{User: p.User, TimeZone: p.TimeZone, FirstPagedAt: p.At}
			byUser[p.User] = pp
		}
		pp.Pages++
		if p.At.Before(pp.FirstPagedAt) {
			pp.FirstPagedAt, pp.TimeZone = p.At, p.TimeZone
		}
	}
	people := make([]PersonPaged, 0, len(byUser))
	woken := 0
	for _, pp := range byUser {
		pp.Hours = h.Bucket(pp.FirstPagedAt, zone(pp.TimeZone))
		if pp.Hours == hours.Sleep {
			woken++
		}
		people = append(people, *pp)
	}
	sort.Slice(people, func(i, j int) bool {
		if !people[i].FirstPagedAt.Equal(people[j].FirstPagedAt) {
			return people[i].FirstPagedAt.Before(people[j].FirstPagedAt)
		}
		return people[i].User < people[j].User
	})
	return len(pages), people, woken
}

// zone loads a time zone name; an unknown one reads as UTC.
func zone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

func suspectFacts(suspects []incident.Suspect, changes []change.Event) []SuspectFact {
	byID := make(map[int64]change.Event, len(changes))
	for _, c := range changes {
		byID[c.ID] = c
	}
	out := make([]SuspectFact, 0, len(suspects))
	for _, s := range suspects {
		sf := SuspectFact{Service: s.Service, Reasons: append([]string{}, s.Reasons...), Changes: []ChangeFact{}}
		for _, id := range s.Changes {
			if c, ok := byID[id]; ok {
				sf.Changes = append(sf.Changes, ChangeFact{ID: c.ID, Service: c.Service, Summary: c.Summary, Source: c.Source, At: c.At})
			}
		}
		out = append(out, sf)
	}
	return out
}

// eventsOf is the post-mortem's timeline: every entry of the incident's
// but the notifications (the impact counts the pages), and the changes on
// suspect services, in time order.
func eventsOf(tl []incident.TimelineEntry, suspects []SuspectFact) []Event {
	var out []Event
	for _, e := range tl {
		if e.Kind == incident.EntryNotified {
			continue
		}
		out = append(out, Event{At: e.At, Kind: e.Kind, Actor: e.Actor, Channel: e.Channel, Message: e.Message})
	}
	seen := map[int64]bool{}
	for _, s := range suspects {
		for _, c := range s.Changes {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			out = append(out, Event{At: c.At, Kind: EventChange, Actor: c.Source, Message: fmt.Sprintf("%s on %s", c.Summary, c.Service)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if len(out) > MaxTimeline {
		more := len(out) - MaxTimeline + 1
		last := out[MaxTimeline-2].At
		out = append(out[:MaxTimeline-1], Event{At: last, Kind: "omitted", Message: fmt.Sprintf("… and %d more entries on the incident's timeline", more)})
	}
	if out == nil {
		out = []Event{}
	}
	return out
}

// The sections are written in UTC, so that a post-mortem reads the same
// wherever it is read; the facts keep the instants.

// stamp shows an instant to the minute, in UTC.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// stampSeconds shows an instant to the second, in UTC.
func stampSeconds(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// inline makes text from the record safe to put in a line of Markdown:
// one line, with the characters that would start markup escaped.
func inline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// span words a length of time in at most two units.
func span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		if m := int(d%time.Hour) / int(time.Minute); m > 0 {
			return fmt.Sprintf("%dh %dm", int(d/time.Hour), m)
		}
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	if h := int(d%(24*time.Hour)) / int(time.Hour); h > 0 {
		return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), h)
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func summaryOf(inc incident.Incident, f Facts) string {
	var b strings.Builder
	kind := string(inc.Severity)
	if inc.Major {
		kind += " major"
	}
	services := make([]string, len(f.Services))
	for i, s := range f.Services {
		services[i] = s.Service
	}
	fmt.Fprintf(&b, "%s incident #%d, %s, on %s", kind, inc.ID, inline(inc.Title), listOf(services))
	if len(f.Teams) > 1 {
		fmt.Fprintf(&b, " (teams %s)", listOf(f.Teams))
	}
	fmt.Fprintf(&b, ": detected %s", stamp(f.DetectedAt))
	if f.ResolvedAt != nil {
		fmt.Fprintf(&b, ", resolved %s after %s", stamp(*f.ResolvedAt), span(f.ResolvedAt.Sub(f.DetectedAt)))
	} else {
		b.WriteString(", still open when this was drafted")
	}
	b.WriteString(".")
	if f.Pages > 0 {
		fmt.Fprintf(&b, " %s sent to %s, %d of them in their sleep hours.", plural(f.Pages, "page"), plural(len(f.People), "person"), f.PeopleWoken)
	}
	for _, bud := range f.Budgets {
		if bud.Share > 0 {
			fmt.Fprintf(&b, " It consumed %s of SLO %s's error budget.", Percent(bud.Share), bud.SLO)
		}
	}
	if len(f.Suspects) > 0 {
		s := f.Suspects[0]
		fmt.Fprintf(&b, " First suspect: %s", s.Service)
		if len(s.Changes) > 0 {
			fmt.Fprintf(&b, " (%s at %s)", inline(s.Changes[0].Summary), stamp(s.Changes[0].At))
		}
		b.WriteString(".")
	}
	b.WriteString("\n\nWhat happened, in a few sentences, and what customers saw:\n")
	return b.String()
}

func impactOf(f Facts) string {
	var b strings.Builder
	since := func(t time.Time) string {
		d := t.Sub(f.DetectedAt)
		if d < 0 {
			return span(-d) + " before detection"
		}
		return span(d) + " after detection"
	}
	b.WriteString("**When**\n\n")
	fmt.Fprintf(&b, "- Started: %s", stamp(f.StartedAt))
	if !f.StartedAt.Equal(f.DetectedAt) {
		fmt.Fprintf(&b, ", %s", since(f.StartedAt))
	}
	fmt.Fprintf(&b, "\n- Detected: %s\n", stamp(f.DetectedAt))
	if f.AcknowledgedAt != nil {
		fmt.Fprintf(&b, "- Acknowledged: %s%s, %s\n", stamp(*f.AcknowledgedAt), by(f.AcknowledgedBy), since(*f.AcknowledgedAt))
	} else {
		b.WriteString("- Acknowledged: never\n")
	}
	if f.MitigatedAt != nil {
		fmt.Fprintf(&b, "- Mitigated: %s (its alerts resolved), %s\n", stamp(*f.MitigatedAt), since(*f.MitigatedAt))
	} else {
		b.WriteString("- Mitigated: (when did the impact stop?)\n")
	}
	if f.ResolvedAt != nil {
		fmt.Fprintf(&b, "- Resolved: %s%s, %s\n", stamp(*f.ResolvedAt), by(f.ResolvedBy), since(*f.ResolvedAt))
	} else {
		b.WriteString("- Resolved: not yet\n")
	}
	b.WriteString("\n**Services**\n\n")
	if len(f.Services) == 0 {
		b.WriteString("- none recorded\n")
	}
	for _, s := range f.Services {
		fmt.Fprintf(&b, "- %s", s.Service)
		if s.Name != "" && s.Name != s.Service {
			fmt.Fprintf(&b, " (%s)", inline(s.Name))
		}
		if s.Owner != "" {
			fmt.Fprintf(&b, ", owned by %s", s.Owner)
		}
		switch {
		case !s.Critical:
			b.WriteString(": not critical\n")
		case len(s.CriticalBecause) <= 1:
			b.WriteString(": critical (revenue-critical)\n")
		default:
			fmt.Fprintf(&b, ": critical (%s)\n", strings.Join(s.CriticalBecause, " → "))
		}
	}
	b.WriteString("\n**Error budgets**\n\n")
	if len(f.Budgets) == 0 {
		b.WriteString("- no SLO on these services\n")
	}
	for _, bud := range f.Budgets {
		fmt.Fprintf(&b, "- SLO %s (%s): %s of the error budget consumed during the incident\n", bud.SLO, bud.Service, Percent(bud.Share))
	}
	b.WriteString("\n**People**\n\n")
	if f.Pages == 0 {
		b.WriteString("Nobody was paged.\n")
	} else {
		fmt.Fprintf(&b, "%s sent to %s; %d paged in their sleep hours.\n\n", plural(f.Pages, "page"), plural(len(f.People), "person"), f.PeopleWoken)
		for _, p := range f.People {
			local := p.FirstPagedAt.In(zone(p.TimeZone))
			fmt.Fprintf(&b, "- %s: first paged %s, %s in %s (%s hours), %s\n", p.User, stamp(p.FirstPagedAt),
				local.Format("15:04"), p.TimeZone, p.Hours, plural(p.Pages, "page"))
		}
	}
	b.WriteString("\n**Customers**\n\nWho was affected, and how:\n")
	return b.String()
}

func timelineOf(events []Event) string {
	if len(events) == 0 {
		return "Nothing was recorded.\n"
	}
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "- %s — %s", stampSeconds(e.At), e.Kind)
		if e.Actor != "" {
			fmt.Fprintf(&b, " — %s", inline(e.Actor))
			if e.Channel != "" {
				fmt.Fprintf(&b, " via %s", inline(e.Channel))
			}
		}
		fmt.Fprintf(&b, ": %s\n", inline(e.Message))
	}
	return b.String()
}

func suspectsOf(suspects []SuspectFact) string {
	if len(suspects) == 0 {
		return "No suspects were named.\n"
	}
	var b strings.Builder
	for i, s := range suspects {
		fmt.Fprintf(&b, "%d. **%s**", i+1, s.Service)
		if len(s.Reasons) > 0 {
			reasons := make([]string, len(s.Reasons))
			for k, r := range s.Reasons {
				reasons[k] = inline(r)
			}
			fmt.Fprintf(&b, ": %s", strings.Join(reasons, "; "))
		}
		b.WriteString("\n")
		for _, c := range s.Changes {
			fmt.Fprintf(&b, "   - change %s: %s", stamp(c.At), inline(c.Summary))
			if c.Source != "" {
				fmt.Fprintf(&b, " (%s)", inline(c.Source))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func by(actor string) string {
	if actor == "" {
		return ""
	}
	return " by " + inline(actor)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "person" {
		return fmt.Sprintf("%d people", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// listOf joins names as a sentence does: "a", "a and b", "a, b and c".
func listOf(names []string) string {
	switch len(names) {
	case 0:
		return "no service"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
