package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

// engageCoverage records how the IRT is engaged and, for parallel and
// primary coverage, gives the IRT's on-call the commander role.
func (f *flow) engageCoverage(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, cov routing.Coverage, now time.Time) error {
	if cov.IRT == nil {
		return nil
	}
	msg := fmt.Sprintf("critical service (%s): IRT %s engaged, %s coverage", strings.Join(cov.Because, " -> "), cov.IRT.ID, cov.Mode)
	if cov.Mode == catalog.CoverageBackup {
		msg += fmt.Sprintf(", paged if unacknowledged after %s", cov.After)
	}
	entry := &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryRole, Actor: "system"}
	if cov.Mode != catalog.CoverageBackup {
		inc.AddResponder(incident.Responder{Team: cov.IRT.ID, Reason: "covers critical service " + inc.Service, AddedAt: now})
		if who := f.oncall.TeamOnCall(snap, cov.IRT, now); len(who) > 0 {
			inc.SetRole(incident.RoleCommander, who[0])
			msg += "; commander: " + who[0]
			entry.Data = incident.RoleData(incident.RoleCommander, who[0])
		}
	}
	entry.Message = msg
	return tx.QueueTimeline(entry)
}

// joinIncident adds a new alert's service to a correlated incident: the
// service's owner is paged (every alert pages its service's policy), the
// suspects are ranked again, and an incident spanning two or more teams
// becomes major.
func (f *flow) joinIncident(ctx context.Context, tx store.Tx, snap *org.Snapshot, inc *incident.Incident, svc *catalog.Service, severity alert.Severity, why string, now time.Time) error {
	inc.AlertCount++
	inc.UpdatedAt = now
	if e := incident.RaiseSeverity(inc, severity.Incident(), fmt.Sprintf("a %s alert on %s was correlated into it", severity, svc.ID), now); e != nil {
		if err := tx.QueueTimeline(e); err != nil {
			return err
		}
	}
	if !contains(inc.Services, svc.ID) {
		inc.Services = append(inc.Services, svc.ID)
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMerged, Actor: "system",
			Message: fmt.Sprintf("alert on %s correlated into this incident: %s", svc.ID, why)}); err != nil {
			return err
		}
		if policy := snap.Policy(routing.PolicyOf(snap, svc)); policy != nil && len(policy.Steps) > 0 && inc.Status == alert.StatusTriggered {
			if err := f.pageOnce(tx, snap, inc, policy.Steps[0].Targets, "owner-"+svc.ID, fmt.Sprintf("owner of %s", svc.ID), now, true); err != nil {
				return err
			}
		}
	}
	f.rankSuspects(ctx, tx, snap, inc)
	if cov := routing.CoverageOf(snap, svc); cov.IRT != nil && cov.Mode != catalog.CoverageBackup && !inc.Responding("", cov.IRT.ID) && inc.Status == alert.StatusTriggered {
		if err := f.pageOnce(tx, snap, inc, []escalation.Target{{Team: cov.IRT.ID}}, "irt-"+svc.ID,
			fmt.Sprintf("IRT %s for critical service %s (%s)", cov.IRT.ID, svc.ID, strings.Join(cov.Because, " -> ")), now, true); err != nil {
			return err
		}
		inc.AddResponder(incident.Responder{Team: cov.IRT.ID, Reason: "covers " + svc.ID, AddedAt: now})
	}
	if err := f.majorIfTeams(tx, snap, inc, now); err != nil {
		return err
	}
	return tx.UpdateIncident(inc)
}

func owningTeams(snap *org.Snapshot, services []string) []string {
	set := map[string]bool{}
	for _, id := range services {
		if s := snap.Service(id); s != nil && s.Owner != "" {
			set[s.Owner] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// rankSuspects recomputes the incident's suspects from its services and the
// recent changes of everything they depend on, read in the transaction (a
// change it wrote counts).
func (f *flow) rankSuspects(ctx context.Context, tx store.Tx, snap *org.Snapshot, inc *incident.Incident) {
	scope := map[string]bool{}
	for _, s := range inc.Services {
		scope[s] = true
		for _, d := range snap.Graph.Reachable(s) {
			scope[d] = true
		}
	}
	services := make([]string, 0, len(scope))
	for s := range scope {
		services = append(services, s)
	}
	sort.Strings(services)
	changes, err := tx.ListChanges(store.ChangeQuery{Services: services, Since: inc.CreatedAt.Add(-correlate.ChangeLookback), Until: inc.CreatedAt.Add(time.Second), Limit: 1000})
	if err != nil {
		f.log.Warn("suspects: list changes", "incident", inc.ID, "err", err)
	}
	// A shared dependency with evidence (it changed within the correlation
	// window before the first alert, or enough of the incident's services
	// fail below it) is what joined the services sharing it: the prime
	// suspect.
	prime := snap.Correlation().SharedWithEvidence(inc.Services, suspectEvidence(snap, inc, changes))
	inc.Suspects = correlate.Suspects(snap.Graph, inc.Services, changes, inc.CreatedAt, prime)
}

// makeMajor marks an incident major: the global IRT is paged and takes the
// commander role; the timeline says why.
func (f *flow) makeMajor(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, why string, now time.Time) error {
	if inc.Major {
		return nil
	}
	inc.Major = true
	inc.UpdatedAt = now
	if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMajor, Actor: "system", Message: "major incident: " + why}); err != nil {
		return err
	}
	if err := emitEvent(tx, snap, inc, catalog.EventMajor, "system", why, now); err != nil {
		return err
	}
	g := routing.GlobalIRT(snap)
	if g == nil {
		return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMajor, Actor: "system", Message: "no global-irt team is configured to page"})
	}
	who := f.oncall.TeamOnCall(snap, g, now)
	if len(who) > 0 {
		prev := inc.Roles[incident.RoleCommander]
		inc.SetRole(incident.RoleCommander, who[0])
		msg := fmt.Sprintf("commander: %s (global IRT %s)", who[0], g.ID)
		if prev != "" && prev != who[0] {
			msg += ", taking over from " + prev
		}
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryRole, Actor: "system", Message: msg,
			Data: incident.RoleData(incident.RoleCommander, who[0])}); err != nil {
			return err
		}
	}
	if inc.Responding("", g.ID) {
		return nil // already engaged (it covers a critical service here)
	}
	inc.AddResponder(incident.Responder{Team: g.ID, Reason: "major incident", AddedAt: now})
	return f.pageOnce(tx, snap, inc, []escalation.Target{{Team: g.ID}}, "major", "global IRT for a major incident", now, true)
}

// pageOnce pages the targets once, outside the escalation policy, and adds
// them as responders. With skipResponders it pages only those who are not
// responding yet: when a second service of the same team joins a
// correlated incident, its on-call, already paged for it, is not paged
// again.
func (f *flow) pageOnce(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, targets []escalation.Target, run, why string, now time.Time, skipResponders bool) error {
	users, notes := f.oncall.Targets(snap, targets, now)
	var paged, responding []string
	for _, u := range users {
		if skipResponders && inc.Responding(u.User, "") {
			responding = append(responding, u.User)
			continue
		}
		ns := inLane(snap, inc, pageNotifications(snap, inc.ID, u.User, notify.KindPage, run, 0, 0, now))
		if len(ns) == 0 {
			notes = append(notes, fmt.Sprintf("user %s has no contact method to page", u.User))
			continue
		}
		if err := tx.InsertNotifications(ns...); err != nil {
			return err
		}
		paged = append(paged, fmt.Sprintf("%s (%s)", u.User, u.Reason))
		inc.AddResponder(incident.Responder{User: u.User, Reason: why, AddedAt: now})
	}
	msg := why + ": paged " + strings.Join(paged, ", ")
	if len(paged) == 0 {
		msg = why + ": nobody paged"
	}
	if len(responding) > 0 {
		msg += "; already responding: " + strings.Join(responding, ", ")
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryEscalated, Actor: "system", Message: msg})
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
