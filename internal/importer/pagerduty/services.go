package pagerduty

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
)

func (r *run) importPolicies(pages [][]byte) error {
	list, err := importer.Items[escalationPolicy](pages, "escalation_policies", "escalation_policies")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	teamPolicies := importer.TeamPolicies{}
	for _, p := range list {
		name := cmp.Or(p.Name, p.Summary)
		if p.ID == "" || r.policies[p.ID] != "" {
			continue
		}
		vp := escalation.Policy{ID: r.PolicyIDs.New(name, p.ID, "policy"), Name: name, Repeat: min(max(p.NumLoops, 0), maxLoops)}
		if vp.Repeat != p.NumLoops {
			r.Rep.Change("escalation policy", name, fmt.Sprintf("num_loops %d is out of range; repeat %d was set", p.NumLoops, vp.Repeat), "check repeat")
		}
		for i, rule := range p.EscalationRules {
			delay := min(max(rule.EscalationDelayInMinutes, 1), maxDelay)
			step := escalation.Step{EscalateAfter: importer.Minutes(delay)}
			if delay != rule.EscalationDelayInMinutes {
				r.Rep.Change("escalation policy", name, fmt.Sprintf("rule %d escalates after %d minutes; %d minutes was set", i+1, rule.EscalationDelayInMinutes, delay), "check the delay")
			}
			for _, t := range rule.Targets {
				switch strings.TrimSuffix(t.Type, "_reference") {
				case "user":
					if id, ok := r.users[t.ID]; ok {
						step.Targets = append(step.Targets, escalation.Target{User: id})
						continue
					}
				case "schedule":
					if id, ok := r.schedules[t.ID]; ok {
						step.Targets = append(step.Targets, escalation.Target{Schedule: id})
						continue
					}
				}
				r.Rep.Skip("escalation policy", name, fmt.Sprintf("rule %d targets %s %s, which was not imported", i+1, strings.TrimSuffix(t.Type, "_reference"), importer.Code(t.Summary+" "+t.ID)), "add the target by hand")
			}
			if s := rule.EscalationRuleAssignmentStrategy; s != nil && s.Type != "" && s.Type != "assign_to_everyone" {
				r.Rep.Change("escalation policy", name, fmt.Sprintf("rule %d assigns %s; Vigil pages every target of a step", i+1, importer.Code(s.Type)), "split the targets over steps if one person at a time is wanted")
			}
			if len(step.Targets) == 0 {
				r.Rep.Skip("escalation policy", name, fmt.Sprintf("rule %d has no target left", i+1), "add targets to the step by hand")
				continue
			}
			vp.Steps = append(vp.Steps, step)
		}
		if p.OnCallHandoffNotifications == "always" {
			r.Rep.Skip("escalation policy", name, "on-call handoff notifications", "people see their shifts in their calendar feed (/api/v1/users/ID/calendar.ics)")
		}
		if len(vp.Steps) == 0 {
			r.Rep.Skip("escalation policy", name, "no step carried over, so the policy was left out", "recreate it by hand; its services page nobody until then")
			continue
		}
		r.policies[p.ID] = vp.ID
		b.EscalationPolicies = append(b.EscalationPolicies, vp)
		for _, t := range p.Teams {
			if i, ok := r.teams[t.ID]; ok {
				teamPolicies.Add(i, vp.ID)
			}
		}
	}
	teamPolicies.Set(b.Teams)
	return nil
}

// maxLoops bounds num_loops (PagerDuty allows 9).
const maxLoops = 100

// routingKey reports whether a key is what the Events API takes: 32
// letters and digits.
func routingKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Integration types whose senders speak the Events API.
const (
	eventsV2 = "events_api_v2_inbound_integration"
	eventsV1 = "generic_events_api_inbound_integration"
)

func (r *run) importServices(pages [][]byte) error {
	list, err := importer.Items[service](pages, "services", "services")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	seen := map[string]bool{}
	for _, s := range list {
		name := cmp.Or(s.Name, s.Summary)
		if s.ID == "" || seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		vs := catalog.Service{ID: r.ServiceIDs.New(name, s.ID, "service"), Name: name}
		if s.EscalationPolicy != nil {
			if id, ok := r.policies[s.EscalationPolicy.ID]; ok {
				vs.EscalationPolicy = id
			} else {
				r.Rep.Skip("service", name, "its escalation policy "+importer.Code(s.EscalationPolicy.Summary)+" was not imported, so it pages nobody", "set escalation_policy")
			}
		}
		owner := -1
		for _, t := range s.Teams {
			if i, ok := r.teams[t.ID]; ok {
				owner = i
				break
			}
		}
		if owner < 0 {
			owner = r.Res.Unowned(&r.TeamIDs)
			r.Rep.Change("service", name, "has no team in PagerDuty; Vigil wants an owner, so it is owned by "+importer.Code(b.Teams[owner].ID), "set the owner team that runs it")
		}
		vs.Owner = b.Teams[owner].ID
		r.urgency(s, name, &vs)
		r.integrations(s, name, &vs)
		r.serviceLeftovers(s, name)
		b.Services = append(b.Services, vs)
	}
	return nil
}

// urgency maps the incident urgency rule: Vigil's default (critical and
// error high, warning and info low) is PagerDuty's severity_based.
func (r *run) urgency(s service, name string, vs *catalog.Service) {
	u := s.IncidentUrgencyRule
	if u == nil {
		return
	}
	all := func(level string) map[string]string {
		return map[string]string{"critical": level, "error": level, "warning": level, "info": level}
	}
	switch {
	case u.Type == "constant" && (u.Urgency == "high" || u.Urgency == "low"):
		vs.Urgency = all(u.Urgency)
	case u.Type == "constant" && u.Urgency == "severity_based":
	case u.Type == "use_support_hours":
		vs.Urgency = all("high")
		r.Rep.Change("service", name, "urgency follows support hours; Vigil's urgency does not depend on the time, so every incident is high urgency", "set urgency per severity (urgency: {warning: low, ...}); low-urgency incidents notify the team in business hours")
	default:
		r.Rep.Change("service", name, "urgency rule "+importer.Code(u.Type+" "+u.Urgency)+" is unknown; Vigil's default applies (critical and error high, warning and info low)", "set urgency per severity")
	}
}

func (r *run) integrations(s service, name string, vs *catalog.Service) {
	for _, in := range s.Integrations {
		label := in.Name
		if label == "" {
			label = in.Summary
		}
		if in.IntegrationKey == "" && in.ID != "" && importer.SafeID(s.ID) && importer.SafeID(in.ID) {
			body, found, err := r.Src.Object(r.Ctx, "services/"+s.ID+"/integrations/"+in.ID)
			if err == nil && found {
				if full, err := importer.Object[integration](body, "services/"+s.ID+"/integrations/"+in.ID+".json", "integration"); err == nil {
					in = full
				}
			}
		}
		typ := strings.TrimSuffix(in.Type, "_reference")
		vendor := ""
		if in.Vendor != nil {
			vendor = in.Vendor.Summary
		}
		switch {
		case in.IntegrationKey == "" && (typ == eventsV2 || typ == eventsV1):
			r.Rep.Skip("integration", name+": "+label, "its integration key is not in the file (list services with include[]=integrations)", "import again with the integrations included")
		case typ == eventsV2 || typ == eventsV1:
			if r.KeyTaken(name+": "+label, in.IntegrationKey) {
				continue
			}
			if !routingKey(in.IntegrationKey) {
				r.Rep.Skip("integration", name+": "+label, "key "+importer.Code(in.IntegrationKey)+" is not 32 letters and digits", "give it a new key and update the sender")
				continue
			}
			r.Keys[in.IntegrationKey] = vs.ID
			vs.Integrations = append(vs.Integrations, catalog.Integration{Type: catalog.IntegrationPagerDuty, Key: in.IntegrationKey})
			if typ == eventsV1 {
				r.Rep.Change("integration", name+": "+label, "an Events API v1 integration: its key is kept as a pagerduty integration, but Vigil takes events at /v2/enqueue only",
					"make the sender use Events API v2 with routing_key "+in.IntegrationKey+" (Alertmanager: routing_key instead of service_key)")
			}
		case strings.Contains(typ, "email"):
			r.Rep.Skip("integration", name+": "+label, "email integration "+importer.Code(in.IntegrationEmail), "send alerts through the Events API, Alertmanager, Grafana or a generic webhook integration")
		default:
			what := "integration of type " + importer.Code(typ)
			if vendor != "" {
				what += " (" + vendor + ")"
			}
			r.Rep.Skip("integration", name+": "+label, what+": its payload is that vendor's own", "point the sender at /v2/enqueue (Events API v2), Alertmanager or Grafana webhooks, or a generic integration with a field mapping")
		}
	}
}

// serviceLeftovers names the service settings Vigil has no place for.
func (r *run) serviceLeftovers(s service, name string) {
	if s.Status == "disabled" {
		r.Rep.Change("service", name, "disabled in PagerDuty; in Vigil its alerts page", "put it under maintenance (POST /api/v1/services/ID/maintenance) or leave it out")
	}
	if len(s.ScheduledActions) > 0 {
		r.Rep.Skip("service", name, "scheduled urgency changes (scheduled_actions)", "none: urgency follows the alert's severity")
	}
	if s.AutoResolveTimeout != nil && *s.AutoResolveTimeout > 0 {
		r.Rep.Skip("service", name, fmt.Sprintf("incidents resolve on their own after %ds (auto_resolve_timeout)", *s.AutoResolveTimeout), "set auto_resolve on the integration: it resolves alerts that stay quiet that long")
	}
	if s.AcknowledgementTimeout != nil && *s.AcknowledgementTimeout > 0 {
		r.Rep.Skip("service", name, fmt.Sprintf("acknowledged incidents trigger again after %ds (acknowledgement_timeout)", *s.AcknowledgementTimeout), "snooze incidents when needed (POST /api/v1/incidents/ID/snooze)")
	}
	if g := s.AlertGroupingParameters; g != nil && g.Type != "" {
		r.Rep.Skip("service", name, "alert grouping "+importer.Code(g.Type), "set grouping: {by: component, window: 10m} (or group_key, group, class, source, summary)")
	}
	for _, a := range s.Addons {
		r.Rep.Skip("add-on", name+": "+a.Summary, "service add-on", "link the page from the service's runbook or a post-mortem")
	}
	if s.ResponsePlay != nil && s.ResponsePlay.ID != "" {
		r.Rep.Skip("service", name, "response play "+importer.Code(s.ResponsePlay.Summary), "page the responders from the incident (vigil incident page) or add them to the policy")
	}
}

// leftovers are the resources the import names item by item without
// carrying them over.
var leftovers = []importer.Leftover{
	{List: "event_orchestrations", Key: "orchestrations", Kind: "event orchestration", What: "event orchestration rules", Instead: "route and suppress with org.event_rules (match on labels, service, severity, suppress)"},
	{List: "rulesets", Key: "rulesets", Kind: "ruleset", What: "event rules (rulesets)", Instead: "route and suppress with org.event_rules"},
	{List: "extensions", Key: "extensions", Kind: "extension", What: "outbound extension (webhook v2, chat)", Instead: "add a webhook contact method or a Slack, Teams or Mattermost channel"},
	{List: "webhook_subscriptions", Key: "webhook_subscriptions", Kind: "webhook subscription", What: "outbound webhook (v3)", Instead: "add a webhook contact method to the people or a team schedule that should receive it"},
	{List: "business_services", Key: "business_services", Kind: "business service", What: "business service", Instead: "model it as a service with depends_on hard dependencies on its technical services"},
	{List: "response_plays", Key: "response_plays", Kind: "response play", What: "response play", Instead: "page responders from the incident (vigil incident page)"},
	{List: "maintenance_windows", Key: "maintenance_windows", Kind: "maintenance window", What: "maintenance window", Instead: "create it again: POST /api/v1/services/ID/maintenance"},
	{List: "incident_workflows", Key: "incident_workflows", Kind: "incident workflow", What: "incident workflow", Instead: "operations (org operations with an http or exec driver) run from the incident"},
	{List: "priorities", Key: "priorities", Kind: "priority", What: "incident priority", Instead: "none: Vigil incidents have severities SEV1 to SEV4"},
	{List: "tags", Key: "tags", Kind: "tag", What: "tag", Instead: "none"},
	{List: "addons", Key: "addons", Kind: "add-on", What: "add-on", Instead: "link the page from a runbook"},
	{List: "automation_actions", Key: "actions", Kind: "automation action", What: "automation action", Instead: "an operation (org operations) with an http or exec driver"},
	{List: "status_pages", Key: "status_pages", Kind: "status page", What: "status page", Instead: "post status updates from the incident (audience stakeholders)"},
}
