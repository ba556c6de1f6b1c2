// Package pagerduty imports a PagerDuty account, read from its REST API v2
// responses, into a Vigil configuration: users with their contact methods
// and high-urgency notification rules, teams, schedules (every layer with
// its rotation and restrictions, overrides to come), escalation policies
// and services with their integration keys. What has no place in Vigil is
// named in the report.
package pagerduty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/importer"
)

// Vendor is the name the report and the command use.
const Vendor = "PagerDuty"

// run is one import: the source, the result so far and the maps from
// PagerDuty ids to Vigil ids.
type run struct {
	importer.Run

	users     map[string]string // PagerDuty id -> Vigil id
	userNames map[string]string // PagerDuty id -> name, for the report
	teams     map[string]int    // PagerDuty id -> index in Bundle.Teams
	schedules map[string]string
	policies  map[string]string

	pdUsers  []user
	lowRules []string // users' low-urgency rules, for one report line
}

// Import reads a PagerDuty account from src.
func Import(ctx context.Context, src importer.Source, opts importer.Options) (*importer.Result, error) {
	r := &run{
		Run:   importer.NewRun(ctx, Vendor, src, opts),
		users: map[string]string{}, userNames: map[string]string{}, teams: map[string]int{},
		schedules: map[string]string{}, policies: map[string]string{},
	}
	if err := r.ReadAll([]importer.List{
		{Name: "users", Read: r.importUsers},
		{Name: "teams", Read: r.importTeams},
		{Name: "schedules", Read: r.importSchedules},
		{Name: "escalation_policies", Read: r.importPolicies},
		{Name: "services", Read: r.importServices},
	}, "no PagerDuty responses found: expected users.json, teams.json, schedules.json, escalation_policies.json, services.json"); err != nil {
		return nil, err
	}
	return r.Res.Complete(ctx, src, leftovers)
}

// refUser maps a reference to an imported user.
func (r *run) refUser(u ref) (string, bool) {
	id, ok := r.users[u.ID]
	return id, ok
}

func (r *run) importUsers(pages [][]byte) error {
	users, err := importer.Items[user](pages, "users", "users")
	if err != nil {
		return err
	}
	r.pdUsers = users
	defer func() {
		if len(r.lowRules) > 0 {
			r.Rep.Skip("notification rule", fmt.Sprintf("%d users", len(r.lowRules)), "low-urgency notification rules: "+strings.Join(r.lowRules, ", "),
				"none needed: Vigil never pages for low urgency; it notifies the owner team's on-call once, in business hours, by their notification rules")
		}
	}()
	for _, u := range users {
		if u.ID == "" {
			r.Rep.Skip("user", u.Name, "has no id", "add the person by hand")
			continue
		}
		if _, dup := r.users[u.ID]; dup {
			r.Rep.Skip("user", u.Name, "listed twice (id "+importer.Code(u.ID)+"); the first was kept", "nothing")
			continue
		}
		cu, label := r.Res.NewUser(&r.UserIDs, u.Name, u.Email, u.TimeZone)
		id := cu.ID
		if u.Role == "admin" || u.Role == "owner" {
			cu.Role = "admin"
		}
		r.contactMethods(u, label, &cu)
		r.users[u.ID] = id
		r.userNames[u.ID] = label
		r.Res.Bundle.Users = append(r.Res.Bundle.Users, cu)
	}
	return nil
}

// contactMethods carries over email, phone (voice) and SMS methods and the
// notification rules of high urgency.
func (r *run) contactMethods(u user, label string, cu *catalog.User) {
	var ids importer.IDs
	methods := map[string]string{} // PagerDuty id -> Vigil id
	for _, m := range u.ContactMethods {
		cm := catalog.ContactMethod{}
		switch strings.TrimSuffix(m.Type, "_reference") {
		case "email_contact_method":
			if !importer.ValidEmail(m.Address) {
				r.Rep.Skip("contact method", label+": "+m.name(), "email address "+importer.Code(m.Address)+" is not valid", "add the address by hand")
				continue
			}
			cm = catalog.ContactMethod{Type: catalog.MethodEmail, Address: m.Address}
		case "phone_contact_method", "sms_contact_method":
			number := importer.PhoneNumber(m.CountryCode, m.Address)
			if strings.HasPrefix(strings.TrimSpace(m.Address), "+") {
				number = importer.PhoneNumber(0, m.Address)
			}
			if number == "" {
				r.Rep.Skip("contact method", label+": "+m.name(), "phone number "+importer.Code(m.Address)+" (country code "+fmt.Sprint(m.CountryCode)+") is not a valid international number", "add the number in E.164 form, such as +4915100000001")
				continue
			}
			cm = catalog.ContactMethod{Type: catalog.MethodVoice, Number: number}
			if strings.HasPrefix(m.Type, "sms") {
				cm.Type = catalog.MethodSMS
			}
		case "push_notification_contact_method":
			r.Rep.Skip("contact method", label+": "+m.name(), "push notifications to the PagerDuty mobile app", "add an ntfy contact method (the ntfy app on the phone) or Slack")
			continue
		default:
			r.Rep.Skip("contact method", label+": "+m.name(), "contact method type "+importer.Code(m.Type)+" has no counterpart", "add a contact method of a type Vigil has (email, sms, voice, webhook, slack, teams, mattermost, ntfy)")
			continue
		}
		if m.Blacklisted || m.Enabled != nil && !*m.Enabled {
			r.Rep.Change("contact method", label+": "+m.name(), "disabled or blocked in PagerDuty, imported all the same", "check that it reaches the person, or remove it")
		}
		cm.ID = ids.New(m.Label+" "+cm.Type, "", cm.Type)
		methods[m.ID] = cm.ID
		cu.ContactMethods = append(cu.ContactMethods, cm)
	}
	type rule struct {
		method string
		delay  int
	}
	seen := map[rule]bool{}
	var low []string
	for _, n := range u.NotificationRules {
		method, ok := methods[n.ContactMethod.ID]
		switch {
		case n.Urgency == "low":
			low = append(low, fmt.Sprintf("%s after %d min", n.ContactMethod.name(), n.StartDelayInMinutes))
			continue
		case !ok:
			r.Rep.Skip("notification rule", label, fmt.Sprintf("the rule after %d min uses a contact method that was not carried over", n.StartDelayInMinutes), "add a rule for one of the user's contact methods")
			continue
		case n.StartDelayInMinutes < 0 || n.StartDelayInMinutes > maxDelay:
			r.Rep.Skip("notification rule", label, fmt.Sprintf("delay %d min is out of range", n.StartDelayInMinutes), "add the rule by hand")
			continue
		}
		k := rule{method, n.StartDelayInMinutes}
		if seen[k] {
			continue
		}
		seen[k] = true
		cu.NotificationRules = append(cu.NotificationRules, catalog.NotificationRule{ContactMethod: method, Delay: importer.Minutes(n.StartDelayInMinutes)})
	}
	if len(low) > 0 {
		r.lowRules = append(r.lowRules, label+" ("+strings.Join(low, "; ")+")")
	}
	if len(cu.NotificationRules) == 0 {
		r.Rep.Check("User %s has no high-urgency notification rule that carried over: add notification_rules, or they will not be paged.", importer.Code(cu.ID))
	}
}

// name is how the report names a contact method: its label, or the
// summary of a reference to it.
func (m contactMethod) name() string {
	for _, s := range []string{m.Label, m.Summary, m.Type, m.ID} {
		if s != "" {
			return s
		}
	}
	return "(unnamed)"
}

func (r *run) importTeams(pages [][]byte) error {
	teams, err := importer.Items[team](pages, "teams", "teams")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	for _, t := range teams {
		name := cmp.Or(t.Name, t.Summary)
		ct, ok := r.NewTeam(r.teams, t.ID, name)
		if !ok {
			continue
		}
		members, found, err := r.teamMembers(t.ID)
		if err != nil {
			return err
		}
		if found {
			ct.Members = members
		}
		if t.Parent != nil && t.Parent.ID != "" {
			r.Rep.Skip("team", name, "is a subteam of "+importer.Code(t.Parent.Summary), "Vigil teams are flat: nothing to do, or merge the teams")
		}
		r.AddTeam(r.teams, t.ID, ct)
	}
	// Besides teams/ID/members.json, membership comes from the users'
	// teams (GET /users?include[]=teams).
	for _, u := range r.pdUsers {
		id, ok := r.users[u.ID]
		if !ok {
			continue
		}
		for _, tr := range u.Teams {
			if i, ok := r.teams[tr.ID]; ok {
				importer.AddMember(&b.Teams[i], id)
			}
		}
	}
	return nil
}

// teamMembers reads teams/ID/members.json (GET /teams/ID/members).
func (r *run) teamMembers(teamID string) ([]string, bool, error) {
	if !importer.SafeID(teamID) {
		return nil, false, nil
	}
	pages, err := r.Src.Pages(r.Ctx, "teams/"+teamID+"/members")
	if err != nil || pages == nil {
		return nil, false, err
	}
	members, err := importer.Items[member](pages, "teams/"+teamID+"/members", "members")
	if err != nil {
		return nil, false, err
	}
	out := []string{}
	for _, m := range members {
		if id, ok := r.refUser(m.User); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, true, nil
}
