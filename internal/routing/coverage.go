package routing

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/org"
)

// PolicyOf is the escalation policy a service pages: its own, else its
// owner team's.
func PolicyOf(snap *org.Snapshot, svc *catalog.Service) string {
	if svc.EscalationPolicy != "" {
		return svc.EscalationPolicy
	}
	if t := snap.Team(svc.Owner); t != nil {
		return t.EscalationPolicy
	}
	return ""
}

// CoveringIRT is the IRT team that covers a critical service: an irt team
// that names it in covers, else the global IRT. It returns nil for a
// service that is not critical: non-critical services never page an IRT.
func CoveringIRT(snap *org.Snapshot, serviceID string) *catalog.Team {
	if critical, _ := snap.Graph.Criticality(serviceID); !critical {
		return nil
	}
	var global *catalog.Team
	for i := range snap.Bundle.Teams {
		t := &snap.Bundle.Teams[i]
		switch t.Kind {
		case catalog.KindIRT:
			for _, c := range t.Covers {
				if c == serviceID {
					return t
				}
			}
		case catalog.KindGlobalIRT:
			global = t
		}
	}
	return global
}

// GlobalIRT returns the global-irt team, or nil.
func GlobalIRT(snap *org.Snapshot) *catalog.Team {
	for i := range snap.Bundle.Teams {
		if snap.Bundle.Teams[i].Kind == catalog.KindGlobalIRT {
			return &snap.Bundle.Teams[i]
		}
	}
	return nil
}

// Coverage describes how the IRT is engaged for a high-urgency incident on
// a service.
type Coverage struct {
	IRT      *catalog.Team // nil when the service is not critical
	Mode     string
	After    time.Duration // backup mode
	Because  []string      // the criticality path
	Critical bool
}

// CoverageOf works out the IRT coverage of a service.
func CoverageOf(snap *org.Snapshot, svc *catalog.Service) Coverage {
	critical, because := snap.Graph.Criticality(svc.ID)
	c := Coverage{Critical: critical, Because: because, Mode: catalog.CoverageParallel}
	if svc.Coverage != nil && svc.Coverage.Mode != "" {
		c.Mode = svc.Coverage.Mode
		c.After = svc.Coverage.After.Std()
	}
	if c.Mode == catalog.CoverageBackup && c.After <= 0 {
		c.After = 5 * time.Minute
	}
	c.IRT = CoveringIRT(snap, svc.ID)
	return c
}

// EffectivePolicy is the policy a high-urgency incident on the service
// runs: the owner's (the service's own, else the owner team's), with the
// covering IRT woven in by the coverage mode — parallel pages it with the
// first step, backup adds it once the incident has gone unacknowledged for
// the configured time, primary pages it first and the owner team after.
func EffectivePolicy(snap *org.Snapshot, svc *catalog.Service, cov Coverage) (escalation.Policy, bool) {
	var base escalation.Policy
	found := false
	if p := snap.Policy(PolicyOf(snap, svc)); p != nil {
		base = *p
		base.Steps = append([]escalation.Step(nil), p.Steps...)
		found = true
	}
	if cov.IRT == nil {
		return base, found
	}
	irt := escalation.Target{Team: cov.IRT.ID}
	if base.ID == "" {
		base.ID = "irt-" + cov.IRT.ID
	}
	switch cov.Mode {
	case catalog.CoveragePrimary:
		first := escalation.Step{Targets: []escalation.Target{irt}, EscalateAfter: irtStepDelay(snap, cov.IRT)}
		base.Steps = append([]escalation.Step{first}, base.Steps...)
	case catalog.CoverageBackup:
		base.Steps = insertAt(base.Steps, cov.After, irt)
	default: // parallel
		if len(base.Steps) == 0 {
			base.Steps = []escalation.Step{{Targets: []escalation.Target{irt}}}
		} else {
			s0 := base.Steps[0]
			s0.Targets = append(append([]escalation.Target(nil), s0.Targets...), irt)
			base.Steps[0] = s0
		}
	}
	return base, true
}

// irtStepDelay is how long an IRT that is paged first has before the owner
// team is paged: its own policy's first delay, else five minutes.
func irtStepDelay(snap *org.Snapshot, irt *catalog.Team) duration.Duration {
	if p := snap.Policy(irt.EscalationPolicy); p != nil && len(p.Steps) > 0 && p.Steps[0].EscalateAfter > 0 {
		return p.Steps[0].EscalateAfter
	}
	return duration.Duration(5 * time.Minute)
}

// insertAt puts a step paging target at the moment after from the start,
// splitting the step whose wait spans that moment.
func insertAt(steps []escalation.Step, after time.Duration, target escalation.Target) []escalation.Step {
	var out []escalation.Step
	var at time.Duration
	inserted := false
	for _, s := range steps {
		wait := s.EscalateAfter.Std()
		if !inserted && after < at+wait {
			first := s
			first.EscalateAfter = duration.Duration(after - at)
			out = append(out, first, escalation.Step{Targets: []escalation.Target{target}, EscalateAfter: duration.Duration(at + wait - after)})
			inserted = true
			at += wait
			continue
		}
		out = append(out, s)
		at += wait
	}
	if !inserted {
		if len(out) > 0 {
			last := out[len(out)-1]
			if at < after {
				last.EscalateAfter = duration.Duration(last.EscalateAfter.Std() + after - at)
			}
			out[len(out)-1] = last
		}
		out = append(out, escalation.Step{Targets: []escalation.Target{target}})
	}
	return out
}

// Responder is one person who would respond to a high-urgency incident on
// a service, in order.
type Responder struct {
	Step  int           `json:"step"` // 1-based step of the effective policy
	After time.Duration `json:"-"`    // when the step pages, from the start
	User  string        `json:"user"` // user id
	Why   string        `json:"why"`  // "on call for schedule X", "IRT irt-core covers checkout (parallel)"
	IRT   bool          `json:"irt"`  // paged as the covering IRT
}

// Responders answers "who responds to a high-urgency incident on this
// service, in what order, and why", resolving schedules at at.
func Responders(o *OnCall, snap *org.Snapshot, svcID string, at time.Time) (Coverage, []Responder, []string) {
	svc := snap.Service(svcID)
	if svc == nil {
		return Coverage{}, nil, nil
	}
	cov := CoverageOf(snap, svc)
	policy, _ := EffectivePolicy(snap, svc, cov)
	var out []Responder
	var notes []string
	var elapsed time.Duration
	for i, step := range policy.Steps {
		for _, t := range step.Targets {
			users, n := o.Targets(snap, []escalation.Target{t}, at.Add(elapsed))
			notes = append(notes, n...)
			isIRT := cov.IRT != nil && t.Team == cov.IRT.ID
			for _, u := range users {
				why := u.Reason
				if isIRT {
					why = fmt.Sprintf("IRT %s covers %s (%s coverage; critical because %s)", cov.IRT.ID, svc.ID, cov.Mode, strings.Join(cov.Because, " -> "))
				}
				out = append(out, Responder{Step: i + 1, After: elapsed, User: u.User, Why: why, IRT: isIRT})
			}
		}
		elapsed += step.EscalateAfter.Std()
	}
	return cov, out, notes
}
