// Package opsgenie imports an Opsgenie account, read from its REST API
// responses, into a Vigil configuration: users with their contact methods
// and the steps of their new-alert notification rules, teams and members,
// schedules (every rotation with its length, start and time restrictions;
// rotations are on call together, so a schedule may become several Vigil
// schedules), overrides to come, escalations, services and the keys of
// their integrations. What has no place in Vigil, heartbeats among them, is
// named in the report.
package opsgenie

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
)

// Vendor is the name the report and the command use.
const Vendor = "Opsgenie"

type run struct {
	importer.Run

	users     map[string]string   // Opsgenie id -> Vigil id
	usernames map[string]string   // username (email) -> Vigil id
	teams     map[string]int      // Opsgenie id -> index in Bundle.Teams
	teamOrder []string            // Opsgenie team ids in the order read
	teamNames map[string]int      // name -> index
	schedules map[string][]string // Opsgenie id -> Vigil schedules (tracks)
	schedByNm map[string]string   // name -> Opsgenie id
	policies  map[string]string
	policyNm  map[string]string // name -> Opsgenie id
	services  map[string]bool   // Vigil ids of the services Opsgenie lists

	lowRules []string
}

// maxDelay is importer.MaxDelay in minutes.
const maxDelay = int(importer.MaxDelay / time.Minute)

// Import reads an Opsgenie account from src.
func Import(ctx context.Context, src importer.Source, opts importer.Options) (*importer.Result, error) {
	r := &run{
		Run:   importer.NewRun(ctx, Vendor, src, opts),
		users: map[string]string{}, usernames: map[string]string{}, teams: map[string]int{}, teamNames: map[string]int{},
		schedules: map[string][]string{}, schedByNm: map[string]string{}, policies: map[string]string{}, policyNm: map[string]string{},
		services: map[string]bool{},
	}
	if err := r.ReadAll([]importer.List{
		{Name: "users", Read: r.importUsers},
		{Name: "teams", Read: r.importTeams},
		{Name: "schedules", Read: r.importSchedules},
		{Name: "escalations", Read: r.importEscalations},
		{Name: "services", Read: r.importServices},
		{Name: "integrations", Read: r.importIntegrations},
		{Name: "heartbeats", Read: r.importHeartbeats},
	}, "no Opsgenie responses found: expected users.json, teams.json, schedules.json, escalations.json, services.json, integrations.json"); err != nil {
		return nil, err
	}
	r.teamRouting()
	return r.Res.Complete(ctx, src, leftovers)
}

// detail returns the detail response {"data": ...} of a listed item, at
// dir/id, in place of the list's copy of it, listed, when the source has
// it; otherwise (also when id cannot be part of a path) listed itself.
func detail[T any](r *run, listed T, dir, id string) (T, error) {
	path := dir + "/" + id
	if !importer.SafeID(id) || importer.CheckPath(path) != nil {
		return listed, nil
	}
	body, found, err := r.Src.Object(r.Ctx, path)
	if err != nil || !found {
		return listed, err
	}
	return importer.Object[T](body, path+".json", "data")
}

// list reads every page of a list {"data": [...]} when it is there.
func list[T any](r *run, path string) ([]T, bool, error) {
	if err := importer.CheckPath(path); err != nil {
		return nil, false, nil
	}
	pages, err := r.Src.Pages(r.Ctx, path)
	if err != nil || pages == nil {
		return nil, false, err
	}
	items, err := importer.Items[T](pages, path, "data")
	return items, err == nil, err
}

func (r *run) importUsers(pages [][]byte) error {
	users, err := importer.Items[user](pages, "users", "data")
	if err != nil {
		return err
	}
	defer func() {
		if len(r.lowRules) > 0 {
			r.Rep.Skip("notification rule", fmt.Sprintf("%d users", len(r.lowRules)), "notification rules for other events than a new alert: "+strings.Join(r.lowRules, ", "),
				"none: Vigil notifies on pages; acknowledgements, closes and notes show on the incident's timeline")
		}
	}()
	for _, u := range users {
		if u.ID == "" || r.users[u.ID] != "" {
			continue
		}
		cu, label := r.Res.NewUser(&r.UserIDs, u.FullName, u.Username, u.TimeZone)
		if u.Role != nil && (u.Role.Name == "Admin" || u.Role.Name == "Owner") {
			cu.Role = "admin"
		}
		if u.Blocked {
			r.Rep.Change("user", label, "blocked in Opsgenie, imported all the same", "remove the user if they left")
		}
		if err := r.contacts(u, label, &cu); err != nil {
			return err
		}
		r.users[u.ID] = cu.ID
		r.usernames[strings.ToLower(u.Username)] = cu.ID
		r.Res.Bundle.Users = append(r.Res.Bundle.Users, cu)
	}
	return nil
}

// methodKey identifies a contact method as notification rule steps name
// it: by method and address.
type methodKey struct{ method, to string }

// contacts carries over email, SMS and voice contacts, from the list's
// userContacts (expand=contact) or users/ID/contacts.json, and the steps
// of the user's new-alert notification rules.
func (r *run) contacts(u user, label string, cu *catalog.User) error {
	var all []contact
	for _, c := range u.UserContacts {
		all = append(all, contact{ID: c.ID, Method: c.ContactMethod, To: c.To})
	}
	if importer.SafeID(u.ID) {
		more, _, err := list[contact](r, "users/"+u.ID+"/contacts")
		if err != nil {
			return err
		}
		all = append(all, more...)
	}
	var ids importer.IDs
	methods := map[methodKey]string{}
	for _, c := range all {
		k := methodKey{c.Method, c.To}
		if _, dup := methods[k]; dup {
			continue
		}
		var cm catalog.ContactMethod
		switch c.Method {
		case "email":
			if !importer.ValidEmail(c.To) {
				r.Rep.Skip("contact method", label+": "+c.To, "email address "+importer.Code(c.To)+" is not valid", "add the address by hand")
				continue
			}
			cm = catalog.ContactMethod{Type: catalog.MethodEmail, Address: c.To}
		case "sms", "voice":
			number := importer.PhoneNumber(0, c.To)
			if number == "" {
				r.Rep.Skip("contact method", label+": "+c.Method, "phone number "+importer.Code(c.To)+" is not a valid international number", "add the number in E.164 form, such as +4915100000001")
				continue
			}
			cm = catalog.ContactMethod{Type: catalog.MethodSMS, Number: number}
			if c.Method == "voice" {
				cm.Type = catalog.MethodVoice
			}
		case "mobile":
			r.Rep.Skip("contact method", label+": mobile app", "push notifications to the Opsgenie mobile app", "add an ntfy contact method (the ntfy app on the phone) or Slack")
			continue
		default:
			r.Rep.Skip("contact method", label+": "+c.Method, "contact method "+importer.Code(c.Method)+" has no counterpart", "add a contact method of a type Vigil has")
			continue
		}
		if c.Status != nil && !c.Status.Enabled {
			r.Rep.Change("contact method", label+": "+c.To, "disabled in Opsgenie, imported all the same", "check that it reaches the person, or remove it")
		}
		cm.ID = ids.New(cm.Type, "", cm.Type)
		methods[k] = cm.ID
		cu.ContactMethods = append(cu.ContactMethods, cm)
	}
	return r.notificationRules(u, label, cu, methods)
}

// notificationRules carries over the steps of the rules that act on a new
// alert (actionType create-alert), each after its delay.
func (r *run) notificationRules(u user, label string, cu *catalog.User, methods map[methodKey]string) error {
	if !importer.SafeID(u.ID) {
		return nil
	}
	rules, found, err := list[notificationRule](r, "users/"+u.ID+"/notification-rules")
	if err != nil {
		return err
	}
	if !found {
		r.Rep.Check("Notification rules of %s were not given (users/ID/notification-rules.json and one users/ID/notification-rules/RULE.json per rule): add notification_rules, or they will not be paged.", importer.Code(cu.ID))
		return nil
	}
	type step struct {
		method string
		delay  int
	}
	seen := map[step]bool{}
	var other []string
	for _, rule := range rules {
		if rule.ActionType != "create-alert" {
			if rule.Enabled {
				other = append(other, rule.Name+" ("+rule.ActionType+")")
			}
			continue
		}
		if !rule.Enabled {
			r.Rep.Skip("notification rule", label+": "+rule.Name, "disabled in Opsgenie", "none")
			continue
		}
		full, err := detail(r, rule, "users/"+u.ID+"/notification-rules", rule.ID)
		if err != nil {
			return err
		}
		if len(full.Steps) == 0 {
			r.Rep.Skip("notification rule", label+": "+rule.Name, "its steps were not given (users/ID/notification-rules/"+rule.ID+".json)", "add notification_rules by hand")
			continue
		}
		if full.Criteria != nil && full.Criteria.Type != "" && full.Criteria.Type != "match-all" {
			r.Rep.Change("notification rule", label+": "+rule.Name, "applies to some alerts only ("+full.Criteria.Type+"); in Vigil its steps apply to every page", "nothing, or remove steps that should not always run")
		}
		for _, s := range full.Steps {
			if s.Enabled != nil && !*s.Enabled {
				continue
			}
			method, ok := methods[methodKey{s.Contact.Method, s.Contact.To}]
			delay := 0
			if s.SendAfter != nil {
				delay = s.SendAfter.TimeAmount
				if s.SendAfter.TimeUnit == "hours" {
					delay *= 60
				}
			}
			switch {
			case !ok:
				r.Rep.Skip("notification rule", label+": "+rule.Name, "a step to "+s.Contact.Method+" "+importer.Code(s.Contact.To)+" uses a contact method that was not carried over", "add a rule for one of the user's contact methods")
				continue
			case delay < 0 || delay > maxDelay:
				r.Rep.Skip("notification rule", label+": "+rule.Name, fmt.Sprintf("a step's delay of %d minutes is out of range", delay), "add it by hand")
				continue
			}
			k := step{method, delay}
			if !seen[k] {
				seen[k] = true
				cu.NotificationRules = append(cu.NotificationRules, catalog.NotificationRule{ContactMethod: method, Delay: importer.Minutes(delay)})
			}
		}
	}
	if len(other) > 0 {
		r.lowRules = append(r.lowRules, label+" ("+strings.Join(other, "; ")+")")
	}
	if len(cu.NotificationRules) == 0 {
		r.Rep.Check("User %s has no new-alert notification step that carried over: add notification_rules, or they will not be paged.", importer.Code(cu.ID))
	}
	return nil
}

func (r *run) userRef(p ref) (string, bool) {
	if id, ok := r.users[p.ID]; ok && p.ID != "" {
		return id, true
	}
	id, ok := r.usernames[strings.ToLower(p.Username)]
	if !ok {
		id, ok = r.usernames[strings.ToLower(p.Name)]
	}
	return id, ok
}

func (r *run) teamRef(p ref) (int, bool) {
	if i, ok := r.teams[p.ID]; ok && p.ID != "" {
		return i, true
	}
	i, ok := r.teamNames[p.Name]
	return i, ok && p.Name != ""
}

func (r *run) importTeams(pages [][]byte) error {
	teams, err := importer.Items[team](pages, "teams", "data")
	if err != nil {
		return err
	}
	for _, t := range teams {
		ct, ok := r.NewTeam(r.teams, t.ID, t.Name)
		if !ok {
			continue
		}
		full, err := detail(r, t, "teams", t.ID)
		if err != nil {
			return err
		}
		if full.Members == nil {
			r.Rep.Check("Members of team %s were not given (teams/%s.json = GET /v2/teams/%s): add them.", importer.Code(ct.ID), t.ID, t.ID)
		}
		for _, m := range full.Members {
			if id, ok := r.userRef(m.User); ok {
				importer.AddMember(&ct, id)
			} else {
				r.Rep.Skip("team member", t.Name+": "+m.User.Username, "not among the users imported", "add the member by hand")
			}
		}
		r.AddTeam(r.teams, t.ID, ct)
		r.teamOrder = append(r.teamOrder, t.ID)
		r.teamNames[t.Name] = r.teams[t.ID]
	}
	return nil
}

// teamRouting gives each team the escalation its default routing rule
// notifies (teams/ID/routing-rules.json), and names the other rules.
func (r *run) teamRouting() {
	for _, id := range r.teamOrder {
		t := &r.Res.Bundle.Teams[r.teams[id]]
		if !importer.SafeID(id) {
			continue
		}
		rules, found, err := list[routingRule](r, "teams/"+id+"/routing-rules")
		if err != nil || !found {
			if err != nil {
				r.Rep.Skip("routing rule", t.Name, "the routing rules could not be read: "+err.Error(), "set the team's escalation_policy")
			}
			continue
		}
		for _, rule := range rules {
			switch {
			case !rule.IsDefault:
				r.Rep.Skip("routing rule", t.Name+": "+rule.Name, "routes some alerts to "+rule.Notify.Type+" "+importer.Code(rule.Notify.Name), "route by labels with org.event_rules to a service whose escalation_policy is that one")
			case rule.Notify.Type == "escalation":
				if p, ok := r.policyOf(ref{ID: rule.Notify.ID, Name: rule.Notify.Name}); ok {
					t.EscalationPolicy = p
				}
			case rule.Notify.Type == "schedule":
				if tracks, ok := r.scheduleOf(ref{ID: rule.Notify.ID, Name: rule.Notify.Name}); ok {
					// Notifying a schedule is a policy of one step.
					p := escalation.Policy{ID: r.PolicyIDs.New(t.Name+" on call", "", "policy"), Name: t.Name + ": " + rule.Notify.Name,
						Steps: []escalation.Step{{Targets: scheduleTargets(tracks), EscalateAfter: importer.Minutes(defaultWait)}}}
					r.Res.Bundle.EscalationPolicies = append(r.Res.Bundle.EscalationPolicies, p)
					t.EscalationPolicy = p.ID
					r.Rep.Change("routing rule", t.Name+": "+rule.Name, "notifies schedule "+importer.Code(rule.Notify.Name)+" directly: it became escalation policy "+importer.Code(p.ID)+" with that one step", "nothing")
				}
			}
		}
	}
}
