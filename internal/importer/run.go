package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// Run is what every vendor's import holds: the source it reads, the
// result so far, and the makers of the Vigil ids it hands out.
type Run struct {
	Ctx  context.Context
	Src  Source
	Opts Options
	Res  *Result
	Rep  *Report

	UserIDs, TeamIDs, ScheduleIDs, PolicyIDs, ServiceIDs IDs
	// Keys maps each integration key imported to its service.
	Keys map[string]string
}

// NewRun starts the vendor's import of src.
func NewRun(ctx context.Context, vendor string, src Source, opts Options) Run {
	res := NewResult(vendor, src, opts)
	return Run{Ctx: ctx, Src: src, Opts: opts, Res: res, Rep: res.Report, Keys: map[string]string{}}
}

// ReadAll reads the lists in order (see ReadLists); when the source
// gave none of them the import fails with missing, which names the files
// expected.
func (r *Run) ReadAll(lists []List, missing string) error {
	found, err := r.Res.ReadLists(r.Ctx, r.Src, lists)
	if err != nil {
		return err
	}
	if !found {
		return errors.New(missing)
	}
	return nil
}

// ParseTime reads an RFC 3339 time between 1970 and 2200: the years a
// real account uses, near enough to each other that turn arithmetic
// cannot overflow.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err == nil && (t.Year() < 1970 || t.Year() > 2200) {
		err = fmt.Errorf("%s is outside the years 1970 to 2200", s)
	}
	return t, err
}

// Override is a vendor's override of a schedule as read: its times as
// given, whom it names as the source does (for the report), and the Vigil
// id of that user when the user was imported.
type Override struct {
	Start, End string
	Who        string
	User       string
	Imported   bool
}

// Overrides keeps the overrides of schedule name that end after the
// import: keep gets each with its times in loc. One with no valid times
// or whose user was not imported is named in the report; those that ended
// before the import are history, counted in one report line.
func (r *Run) Overrides(name string, overrides []Override, loc *time.Location, keep func(i int, user string, start, end time.Time)) {
	past := 0
	for i, o := range overrides {
		start, err1 := ParseTime(o.Start)
		end, err2 := ParseTime(o.End)
		switch {
		case err1 != nil || err2 != nil || !end.After(start):
			r.Rep.Skip("override", name, "override "+Code(o.Start+" to "+o.End)+" has no valid times", "add it by hand")
		case !end.After(r.Opts.Now):
			past++
		case !o.Imported:
			r.Rep.Skip("override", name, "override from "+o.Start+" for "+Code(o.Who)+", who was not imported", "add it by hand")
		default:
			keep(i, o.User, start.In(loc), end.In(loc))
		}
	}
	r.PastOverrides(name, past)
}

// PastOverrides names in the report the n overrides of schedule name that
// ended before the import.
func (r *Run) PastOverrides(name string, n int) {
	if n > 0 {
		r.Rep.Change("schedule", name, fmt.Sprintf("%d overrides that ended before the import were left out (history)", n), "nothing")
	}
}

// NewTeam starts the Vigil team of the source's team id: a development
// team named name, with an id made from the name (or the source's id) and
// no members yet. It is false for a team without an id and for one teams
// has already, which maps the source's team ids to their index in
// Bundle.Teams.
func (r *Run) NewTeam(teams map[string]int, id, name string) (catalog.Team, bool) {
	if _, dup := teams[id]; id == "" || dup {
		return catalog.Team{}, false
	}
	return catalog.Team{ID: r.TeamIDs.New(name, id, "team"), Name: name, Kind: catalog.KindDev, Members: []string{}}, true
}

// AddTeam appends t to Bundle.Teams as the team of the source's team id,
// noting its index in teams.
func (r *Run) AddTeam(teams map[string]int, id string, t catalog.Team) {
	teams[id] = len(r.Res.Bundle.Teams)
	r.Res.Bundle.Teams = append(r.Res.Bundle.Teams, t)
}

// TeamPolicies collects the escalation policies each team owns, by its
// index in Bundle.Teams.
type TeamPolicies map[int][]string

// Add notes that team owns policy.
func (tp TeamPolicies) Add(team int, policy string) { tp[team] = append(tp[team], policy) }

// Set gives each team that owns one policy alone that policy.
func (tp TeamPolicies) Set(teams []catalog.Team) {
	for _, i := range slices.Sorted(maps.Keys(tp)) {
		if ids := tp[i]; len(ids) == 1 {
			teams[i].EscalationPolicy = ids[0]
		}
	}
}

// KeyTaken reports whether an integration's key went to a service
// already, naming the integration in the report when it did.
func (r *Run) KeyTaken(integration, key string) bool {
	first, dup := r.Keys[key]
	if dup {
		r.Rep.Skip("integration", integration, "its key is already used by service "+Code(first), "give one of them a new key")
	}
	return dup
}

// UnknownIntegration names in the report an integration of a type whose
// payload Vigil does not read.
func (r *Run) UnknownIntegration(integration, typ string) {
	r.Rep.Skip("integration", integration, "integration of type "+Code(typ)+": its payload is that tool's own", "point the tool at a generic integration with a field mapping, or at the Events API (/v2/enqueue)")
}
