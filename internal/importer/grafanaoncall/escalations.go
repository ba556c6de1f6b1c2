package grafanaoncall

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
)

const (
	// defaultWait is how long a last step waits before the chain runs
	// again when OnCall repeats at once; Vigil wants a positive wait.
	defaultWait = 5
	// maxRepeats is OnCall's limit on repeat_escalation.
	maxRepeats = 5
)

// importChains turns escalation chains and their steps into policies.
// OnCall's steps run in order: notify steps until a wait make one Vigil
// step, and the wait is how long it waits before the next.
func (r *run) importChains(pages [][]byte) error {
	chains, err := importer.Items[escalationChain](pages, "escalation_chains", "results")
	if err != nil {
		return err
	}
	steps, err := all[escalationStep](r, "escalation_policies")
	if err != nil {
		return err
	}
	if steps == nil && len(chains) > 0 {
		r.Rep.Check("No escalation_policies.json was given (GET /api/v1/escalation_policies/): the escalation chains have no steps.")
	}
	byChain := map[string][]escalationStep{}
	for _, s := range steps {
		byChain[s.EscalationChainID] = append(byChain[s.EscalationChainID], s)
	}
	teamPolicies := importer.TeamPolicies{}
	for _, c := range chains {
		if c.ID == "" || r.policies[c.ID] != "" {
			continue
		}
		p, ok := r.chain(c, byChain[c.ID])
		if !ok {
			continue
		}
		r.policies[c.ID] = p.ID
		r.Res.Bundle.EscalationPolicies = append(r.Res.Bundle.EscalationPolicies, p)
		if c.TeamID != nil {
			if i, ok := r.teams[*c.TeamID]; ok {
				teamPolicies.Add(i, p.ID)
			}
		}
	}
	teamPolicies.Set(r.Res.Bundle.Teams)
	return nil
}

func (r *run) chain(c escalationChain, steps []escalationStep) (escalation.Policy, bool) {
	name := c.Name
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Position < steps[j].Position })
	p := escalation.Policy{ID: r.PolicyIDs.New(name, c.ID, "policy"), Name: name}
	open := false // the last step still takes targets (no wait after it yet)
	addTargets := func(ts ...escalation.Target) {
		if !open {
			p.Steps = append(p.Steps, escalation.Step{})
			open = true
		}
		last := &p.Steps[len(p.Steps)-1]
		last.Targets = append(last.Targets, ts...)
	}
	for i, s := range steps {
		what := fmt.Sprintf("step %d (%s)", i+1, s.Type)
		if s.Important {
			r.Rep.Change("escalation chain", name, what+" is marked important; Vigil has one set of notification rules per person", "nothing")
		}
		switch s.Type {
		case "wait":
			minutes := min(max(s.Duration, 60), maxDelay) / 60
			switch {
			case len(p.Steps) == 0:
				r.Rep.Change("escalation chain", name, fmt.Sprintf("it waits %d minutes before notifying anyone; Vigil's first step pages at once", minutes), "nothing, or add a first step that pages a quieter target")
			default:
				last := &p.Steps[len(p.Steps)-1]
				last.EscalateAfter += importer.Minutes(minutes)
				open = false
			}
		case "notify_persons", "notify_person_next_each_time":
			users := s.PersonsToNotify
			if s.Type == "notify_person_next_each_time" {
				users = s.PersonsToNotifyNextEachTime
				r.Rep.Change("escalation chain", name, what+" notifies one of the persons in turn; Vigil pages all of them", "keep one person in the step, or use a schedule")
			}
			for _, u := range users {
				if id, ok := r.userOf(u); ok {
					addTargets(escalation.Target{User: id})
				} else {
					r.Rep.Skip("escalation chain", name, what+" notifies user "+importer.Code(u)+", who was not imported", "add the target by hand")
				}
			}
		case "notify_on_call_from_schedule":
			tracks, ok := r.schedules[s.NotifyOnCallFromSchedule]
			if !ok {
				r.Rep.Skip("escalation chain", name, what+" notifies schedule "+importer.Code(s.NotifyOnCallFromSchedule)+", which was not imported", "add the target by hand")
				continue
			}
			for _, id := range tracks {
				addTargets(escalation.Target{Schedule: id})
			}
		case "notify_team_members":
			if i, ok := r.teams[s.TeamToNotify]; ok && s.TeamToNotify != "" {
				addTargets(escalation.Target{Team: r.Res.Bundle.Teams[i].ID})
				r.Rep.Change("escalation chain", name, what+" notifies every member of the team; Vigil pages the team's on-call, or every member when it has no schedule", "nothing, or list the members")
			} else {
				r.Rep.Skip("escalation chain", name, what+" notifies team "+importer.Code(s.TeamToNotify)+", which was not imported", "add the target by hand")
			}
		case "repeat_escalation":
			if i != len(steps)-1 {
				r.Rep.Change("escalation chain", name, what+" repeats the chain before its last step; Vigil repeats the whole policy after its last", "check the steps")
			}
			p.Repeat = maxRepeats
		case "notify_user_group", "notify_whole_channel":
			r.Rep.Skip("escalation chain", name, what+": a Slack group or channel", "add a slack contact method, or the people, to the step")
		case "trigger_webhook":
			r.Rep.Skip("escalation chain", name, what+": an outgoing webhook "+importer.Code(s.ActionToTrigger), "add a webhook contact method to a user or a schedule of the policy")
		case "resolve":
			r.Rep.Skip("escalation chain", name, what+": resolves the alert group", "none: resolve by hand, or with auto_resolve on the integration")
		case "notify_if_time_from_to":
			r.Rep.Skip("escalation chain", name, what+": continues only between "+s.NotifyIfTimeFrom+" and "+s.NotifyIfTimeTo, "none: Vigil's steps do not depend on the time of day; set the service's urgency instead")
		default:
			r.Rep.Skip("escalation chain", name, what, "none")
		}
	}
	// Steps without a wait after them wait as long as OnCall would before
	// repeating: at once, which Vigil rounds to a few minutes.
	var kept []escalation.Step
	for _, st := range p.Steps {
		if len(st.Targets) == 0 {
			continue
		}
		if st.EscalateAfter <= 0 {
			st.EscalateAfter = importer.Minutes(defaultWait)
		}
		kept = append(kept, st)
	}
	p.Steps = kept
	if len(p.Steps) == 0 {
		r.Rep.Skip("escalation chain", name, "no step notifies anyone who carried over, so the chain was left out", "recreate it by hand; its integrations page nobody until then")
		return p, false
	}
	return p, true
}

// integrationTypes are the integrations whose senders Vigil takes, by the
// Vigil integration type.
var integrationTypes = map[string]string{
	"alertmanager":            catalog.IntegrationAlertmanager,
	"legacy_alertmanager":     catalog.IntegrationAlertmanager,
	"grafana_alerting":        catalog.IntegrationGrafana,
	"grafana":                 catalog.IntegrationGrafana,
	"legacy_grafana_alerting": catalog.IntegrationGrafana,
	"formatted_webhook":       catalog.IntegrationGeneric,
	"webhook":                 catalog.IntegrationGeneric,
}

// importIntegrations makes one service per integration, owned by the
// integration's team, paging the chain of its default route, with the
// integration's token as its key.
func (r *run) importIntegrations(pages [][]byte) error {
	items, err := importer.Items[integration](pages, "integrations", "results")
	if err != nil {
		return err
	}
	routes, err := all[route](r, "routes")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	for _, in := range items {
		if in.ID == "" {
			continue
		}
		typ, ok := integrationTypes[in.Type]
		if !ok {
			r.UnknownIntegration(in.Name, in.Type)
			continue
		}
		key := tokenOf(in.Link)
		if key == "" || !importer.ValidKey(key) {
			r.Rep.Skip("integration", in.Name, "its key is not in its link "+importer.Code(in.Link), "add an integration with a new key and update the sender")
			continue
		}
		if r.KeyTaken(in.Name, key) {
			continue
		}
		svc := catalog.Service{ID: r.ServiceIDs.New(in.Name, in.ID, "service"), Name: in.Name}
		if i, ok := r.teams[deref(in.TeamID)]; ok {
			svc.Owner = b.Teams[i].ID
		} else {
			i := r.Res.Unowned(&r.TeamIDs)
			svc.Owner = b.Teams[i].ID
			r.Rep.Change("integration", in.Name, "has no team; Vigil wants an owner, so its service is owned by "+importer.Code(svc.Owner), "set the owner team that runs it")
		}
		if dr := in.DefaultRoute; dr != nil && dr.EscalationChainID != nil {
			if p, ok := r.policies[*dr.EscalationChainID]; ok {
				svc.EscalationPolicy = p
			} else {
				r.Rep.Skip("integration", in.Name, "its default route's escalation chain was not imported, so it pages nobody", "set the service's escalation_policy")
			}
		}
		vi := catalog.Integration{Type: typ, Key: key}
		how := "point the sender at /api/v1/integrations/" + typ + "/" + key
		if in.Type == "formatted_webhook" {
			vi.Mapping = map[string]string{"summary": "/title", "dedup_key": "/alert_uid", "status": "/state"}
			vi.DefaultSeverity = "critical"
		} else if typ == catalog.IntegrationGeneric {
			vi.DefaultSeverity = "critical"
			how += " with Vigil's generic fields (summary, status, dedup_key), or give the integration a mapping"
		}
		svc.Integrations = []catalog.Integration{vi}
		r.Keys[key] = svc.ID
		b.Services = append(b.Services, svc)
		r.Rep.Change("integration", in.Name, "became service "+importer.Code(svc.ID)+" with integration "+importer.Code(typ)+" and the same key", how)
		if templated(in.Templates) {
			r.Rep.Skip("integration", in.Name, "Jinja templates (title, grouping, resolve and acknowledge conditions, messages)", "Vigil reads each sender's own fields; group with the service's grouping, route with org.event_rules, and map fields of a generic integration")
		}
		for _, rt := range routes {
			if rt.IntegrationID == in.ID && !rt.IsTheLastRoute {
				r.Rep.Skip("route", in.Name+": "+rt.RoutingRegex, "routes matching alerts to another escalation chain", "route by labels with org.event_rules to a service whose escalation_policy is that chain's")
			}
		}
	}
	return nil
}

// tokenOf is the integration's token: the last part of its link
// (.../integrations/v1/alertmanager/TOKEN/).
func tokenOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	return parts[len(parts)-1]
}

// templated reports whether any template is set (not null, not empty).
func templated(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for _, x := range t {
			if templated(x) {
				return true
			}
		}
	case string:
		return t != ""
	}
	return false
}

// leftovers are the resources the import names item by item without
// carrying them over.
var leftovers = []importer.Leftover{
	{List: "webhooks", Key: "results", Kind: "outgoing webhook", What: "outgoing webhook", Instead: "add a webhook contact method to the people or schedules that should receive it"},
	{List: "user_groups", Key: "results", Kind: "user group", What: "Slack user group", Instead: "a Slack contact method, or a team"},
	{List: "slack_channels", Key: "results", Kind: "Slack channel", What: "Slack channel", Instead: "a slack contact method with that channel's webhook URL"},
}
