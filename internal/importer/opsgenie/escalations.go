package opsgenie

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
)

const (
	// defaultWait is how long the last step waits before the policy runs
	// again when the escalation does not say.
	defaultWait = 10
	// maxLoops bounds a repeat count.
	maxLoops = 100
)

// delayMinutes reads an Opsgenie delay or interval.
func delayMinutes(amount int, unit string) int {
	switch unit {
	case "hours":
		return amount * 60
	case "days":
		return amount * 24 * 60
	}
	return amount
}

func (r *run) policyOf(p ref) (string, bool) {
	if id, ok := r.policies[p.ID]; ok && p.ID != "" {
		return id, true
	}
	id, ok := r.policies[r.policyNm[p.Name]]
	return id, ok && p.Name != ""
}

// importEscalations turns escalations into policies. An Opsgenie rule's
// delay counts from the alert; a Vigil step waits escalate_after before
// the next, so rules at the same delay are one step and each step waits
// the difference to the next delay.
func (r *run) importEscalations(pages [][]byte) error {
	items, err := importer.Items[escalationObj](pages, "escalations", "data")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	teamPolicies := importer.TeamPolicies{}
	for _, e := range items {
		if e.ID == "" || r.policies[e.ID] != "" {
			continue
		}
		name := e.Name
		vp := escalation.Policy{ID: r.PolicyIDs.New(name, e.ID, "policy"), Name: name}
		type group struct {
			delay   int
			targets []escalation.Target
		}
		var groups []group
		rules := e.Rules
		sort.SliceStable(rules, func(i, j int) bool {
			return delayMinutes(rules[i].Delay.TimeAmount, rules[i].Delay.TimeUnit) < delayMinutes(rules[j].Delay.TimeAmount, rules[j].Delay.TimeUnit)
		})
		for i, rule := range rules {
			delay := delayMinutes(rule.Delay.TimeAmount, rule.Delay.TimeUnit)
			if delay < 0 || delay > maxDelay {
				r.Rep.Skip("escalation", name, fmt.Sprintf("rule %d's delay of %d minutes is out of range", i+1, delay), "add the step by hand")
				continue
			}
			if rule.Condition == "if-not-closed" {
				r.Rep.Change("escalation", name, fmt.Sprintf("rule %d escalates until the alert is closed; Vigil stops escalating once it is acknowledged", i+1), "nothing, or ask responders to resolve rather than acknowledge")
			}
			targets := r.targets(name, i+1, rule.Recipient, rule.NotifyType)
			if len(targets) == 0 {
				continue
			}
			if n := len(groups); n > 0 && groups[n-1].delay == delay {
				groups[n-1].targets = append(groups[n-1].targets, targets...)
			} else {
				groups = append(groups, group{delay, targets})
			}
		}
		if len(groups) == 0 {
			r.Rep.Skip("escalation", name, "no rule carried over, so the escalation was left out", "recreate it by hand; the teams that use it page nobody until then")
			continue
		}
		if groups[0].delay > 0 {
			r.Rep.Change("escalation", name, fmt.Sprintf("its first rule waits %d minutes; Vigil's first step pages at once", groups[0].delay), "nothing, or add a first step that pages a quieter target")
		}
		wait := defaultWait
		if rp := e.Repeat; rp != nil {
			vp.Repeat = min(max(rp.Count, 0), maxLoops)
			if rp.WaitInterval > 0 {
				wait = min(rp.WaitInterval, maxDelay)
			}
			if rp.ResetRecipientStates || rp.CloseAlertAfterAll {
				r.Rep.Skip("escalation", name, "repeat options: reset recipient states, close the alert after all repeats", "none: each repeat pages again until someone acknowledges")
			}
		}
		for i, g := range groups {
			after := wait
			if i+1 < len(groups) {
				after = groups[i+1].delay - g.delay
			}
			vp.Steps = append(vp.Steps, escalation.Step{Targets: g.targets, EscalateAfter: importer.Minutes(after)})
		}
		r.policies[e.ID] = vp.ID
		r.policyNm[e.Name] = e.ID
		b.EscalationPolicies = append(b.EscalationPolicies, vp)
		if e.OwnerTeam != nil {
			if i, ok := r.teamRef(*e.OwnerTeam); ok {
				teamPolicies.Add(i, vp.ID)
			}
		}
	}
	// A team's routing rule decides later; until then, its only policy.
	teamPolicies.Set(b.Teams)
	return nil
}

// targets translates a rule's recipient.
func (r *run) targets(name string, n int, rc ref, notify string) []escalation.Target {
	what := fmt.Sprintf("rule %d notifies %s %s", n, rc.Type, importer.Code(rc.Name+rc.Username))
	switch rc.Type {
	case "user":
		if id, ok := r.userRef(rc); ok {
			return []escalation.Target{{User: id}}
		}
	case "schedule":
		tracks, ok := r.scheduleOf(rc)
		switch {
		case !ok:
		case notify == "next" || notify == "previous":
			r.Rep.Skip("escalation", name, what+" ("+notify+" on-call)", "target the schedule (whoever is on call now)")
			return nil
		default:
			return scheduleTargets(tracks)
		}
	case "team":
		if i, ok := r.teamRef(rc); ok {
			how := "through the team's routing rules"
			if notify != "" && notify != "default" {
				how = "(" + notify + ")"
			}
			r.Rep.Change("escalation", name, what+" "+how+"; Vigil pages the team's on-call, or every member when it has no schedule", "target the team's schedules or policy's people if that is not what is wanted")
			return []escalation.Target{{Team: r.Res.Bundle.Teams[i].ID}}
		}
	}
	r.Rep.Skip("escalation", name, what+", which was not imported", "add the target by hand")
	return nil
}

func (r *run) importServices(pages [][]byte) error {
	items, err := importer.Items[service](pages, "services", "data")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range items {
		if s.ID == "" || seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		vs := catalog.Service{ID: r.ServiceIDs.New(s.Name, s.ID, "service"), Name: s.Name}
		i, ok := r.teamRef(ref{ID: s.TeamID})
		if !ok {
			i = r.Res.Unowned(&r.TeamIDs)
			r.Rep.Change("service", s.Name, "has no team in Opsgenie; Vigil wants an owner, so it is owned by "+importer.Code(r.Res.Bundle.Teams[i].ID), "set the owner team that runs it")
		}
		vs.Owner = r.Res.Bundle.Teams[i].ID
		r.services[vs.ID] = true
		r.Res.Bundle.Services = append(r.Res.Bundle.Services, vs)
	}
	return nil
}

// integration types by what Vigil takes from their senders.
var integrationTypes = map[string]string{
	"Prometheus": catalog.IntegrationAlertmanager,
	"Grafana":    catalog.IntegrationGrafana,
	"API":        catalog.IntegrationGeneric,
}

// importIntegrations keeps the key of each integration Vigil can take,
// on a service of the integration's team. In Opsgenie an integration
// belongs to a team; in Vigil to a service: the team's one service, or a
// service of its own named after the integration.
func (r *run) importIntegrations(pages [][]byte) error {
	items, err := importer.Items[integration](pages, "integrations", "data")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	for _, in := range items {
		if in.ID == "" {
			continue
		}
		full, err := detail(r, in, "integrations", in.ID)
		if err != nil {
			return err
		}
		typ, known := integrationTypes[full.Type]
		switch {
		case full.Type == "Webhook":
			r.Rep.Skip("integration", in.Name, "outgoing webhook", "add a webhook contact method to the people or on the schedules that should receive it")
			continue
		case strings.Contains(strings.ToLower(full.Type), "email"):
			r.Rep.Skip("integration", in.Name, "email integration", "send alerts through Alertmanager, Grafana, the Events API or a generic webhook integration")
			continue
		case !known:
			r.UnknownIntegration(in.Name, full.Type)
			continue
		case full.APIKey == "":
			r.Rep.Skip("integration", in.Name, "its API key is not in the files (integrations/"+in.ID+".json = GET /v2/integrations/"+in.ID+")", "save the detail and import again")
			continue
		case !importer.ValidKey(full.APIKey):
			r.Rep.Skip("integration", in.Name, "API key "+importer.Code(full.APIKey)+" is not a key Vigil takes", "give it a new key")
			continue
		}
		if r.KeyTaken(in.Name, full.APIKey) {
			continue
		}
		owner := ref{ID: full.TeamID}
		if full.OwnerTeam != nil {
			owner = *full.OwnerTeam
		}
		svc := r.serviceFor(in.Name, owner)
		r.Keys[full.APIKey] = b.Services[svc].ID
		vi := catalog.Integration{Type: typ, Key: full.APIKey}
		how := ""
		switch typ {
		case catalog.IntegrationAlertmanager:
			how = "point Alertmanager's webhook_configs at /api/v1/integrations/alertmanager/" + full.APIKey + " instead of opsgenie_configs"
		case catalog.IntegrationGrafana:
			how = "point the Grafana contact point (webhook) at /api/v1/integrations/grafana/" + full.APIKey
		case catalog.IntegrationGeneric:
			// The fields of Opsgenie's create-alert request.
			vi.Mapping = map[string]string{"summary": "/message", "dedup_key": "/alias", "source": "/source", "details": "/details"}
			vi.DefaultSeverity = "critical"
			how = "POST alerts to /api/v1/integrations/generic/" + full.APIKey + " (message, alias, source and details are read as Opsgenie sends them; every alert is critical unless it says a severity; close with status resolve)"
		}
		b.Services[svc].Integrations = append(b.Services[svc].Integrations, vi)
		r.Rep.Change("integration", in.Name, "key kept, as integration "+importer.Code(typ)+" of service "+importer.Code(b.Services[svc].ID)+"; senders use Vigil's endpoint with the same key", how)
		if !full.Enabled {
			r.Rep.Change("integration", in.Name, "disabled in Opsgenie, imported all the same", "remove it if it is not wanted")
		}
	}
	return nil
}

// serviceFor is the service an integration of a team goes to.
func (r *run) serviceFor(integrationName string, owner ref) int {
	b := &r.Res.Bundle
	team, ok := r.teamRef(owner)
	if !ok {
		team = r.Res.Unowned(&r.TeamIDs)
	}
	var owned []int
	for i, s := range b.Services {
		if s.Owner == b.Teams[team].ID && r.services[s.ID] {
			owned = append(owned, i)
		}
	}
	if len(owned) == 1 {
		return owned[0]
	}
	b.Services = append(b.Services, catalog.Service{ID: r.ServiceIDs.New(integrationName, "", "service"), Name: integrationName, Owner: b.Teams[team].ID})
	r.Rep.Change("service", integrationName, fmt.Sprintf("made for integration %s, since its team %s owns %d services", importer.Code(integrationName), importer.Code(b.Teams[team].ID), len(owned)),
		"move the integration to the service it alerts about, or rename the service")
	return len(b.Services) - 1
}

// importHeartbeats names each heartbeat: Opsgenie's open an alert of their
// own making when pings stop and have no service; Vigil's belong to a
// service.
func (r *run) importHeartbeats(pages [][]byte) error {
	for i, p := range pages {
		hb, err := importer.Object[struct {
			Heartbeats []heartbeat `json:"heartbeats"`
		}](p, fmt.Sprintf("heartbeats page %d", i+1), "data")
		if err != nil {
			return err
		}
		for _, h := range hb.Heartbeats {
			unit := strings.TrimSuffix(h.IntervalUnit, "s")
			r.Rep.Skip("heartbeat", h.Name, fmt.Sprintf("expects a ping every %d %s(s) and opens its own alert when pings stop", h.Interval, unit),
				"add a heartbeat integration with that interval to the service the job belongs to, and ping POST /api/v1/heartbeat/KEY")
		}
	}
	return nil
}

// leftovers are the resources the import names item by item without
// carrying them over.
var leftovers = []importer.Leftover{
	{List: "policies", Key: "data", Kind: "alert policy", What: "alert or notification policy (filters, deduplication, delays)", Instead: "route and suppress with org.event_rules"},
	{List: "forwarding-rules", Key: "data", Kind: "forwarding rule", What: "notification forwarding from one user to another", Instead: "an override on the schedules the user is on"},
	{List: "maintenance", Key: "data", Kind: "maintenance", What: "maintenance window", Instead: "create it again: POST /api/v1/services/ID/maintenance"},
	{List: "roles", Key: "data", Kind: "user role", What: "custom user role", Instead: "API tokens with the roles admin, user or viewer"},
}
