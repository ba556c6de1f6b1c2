// Package grafanaoncall imports a Grafana OnCall organisation, read from
// its public API (/api/v1) responses, into a Vigil configuration: users
// with email and their default personal notification rules, teams,
// schedules built from on-call shifts (rotations of users in turn, by
// priority level, overrides on top; where several people are on call at
// once a schedule becomes several Vigil schedules), escalation chains, and
// one service per integration with its key. Jinja templates, routes,
// outgoing webhooks and what else has no place in Vigil are named in the
// report.
package grafanaoncall

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/importer"
)

// Vendor is the name the report and the command use.
const Vendor = "Grafana OnCall"

// maxDelay is importer.MaxDelay in seconds.
const maxDelay = int(importer.MaxDelay / time.Second)

type run struct {
	importer.Run

	users     map[string]string   // OnCall id -> Vigil id
	userNames map[string]string   // OnCall id -> name, for the report
	teams     map[string]int      // OnCall id -> index in Bundle.Teams
	schedules map[string][]string // OnCall id -> Vigil schedules (tracks)
	policies  map[string]string   // escalation chain id -> Vigil policy

}

// Import reads a Grafana OnCall organisation from src.
func Import(ctx context.Context, src importer.Source, opts importer.Options) (*importer.Result, error) {
	r := &run{
		Run:   importer.NewRun(ctx, Vendor, src, opts),
		users: map[string]string{}, userNames: map[string]string{}, teams: map[string]int{},
		schedules: map[string][]string{}, policies: map[string]string{},
	}
	if err := r.ReadAll([]importer.List{
		{Name: "teams", Read: r.importTeams},
		{Name: "users", Read: r.importUsers},
		{Name: "schedules", Read: r.importSchedules},
		{Name: "escalation_chains", Read: r.importChains},
		{Name: "integrations", Read: r.importIntegrations},
	}, "no Grafana OnCall responses found: expected users.json, teams.json, schedules.json, on_call_shifts.json, escalation_chains.json, escalation_policies.json, integrations.json"); err != nil {
		return nil, err
	}
	return r.Res.Complete(ctx, src, leftovers)
}

// all reads every page of a list's results, nil when it is not there.
func all[T any](r *run, list string) ([]T, error) {
	pages, err := r.Src.Pages(r.Ctx, list)
	if err != nil || pages == nil {
		return nil, err
	}
	return importer.Items[T](pages, list, "results")
}

func (r *run) importTeams(pages [][]byte) error {
	teams, err := importer.Items[team](pages, "teams", "results")
	if err != nil {
		return err
	}
	for _, t := range teams {
		if ct, ok := r.NewTeam(r.teams, t.ID, t.Name); ok {
			r.AddTeam(r.teams, t.ID, ct)
		}
	}
	return nil
}

func (r *run) importUsers(pages [][]byte) error {
	users, err := importer.Items[user](pages, "users", "results")
	if err != nil {
		return err
	}
	rules, err := all[notificationRule](r, "personal_notification_rules")
	if err != nil {
		return err
	}
	if rules == nil {
		r.Rep.Check("No personal_notification_rules.json was given: add notification_rules to the users, or they will not be paged.")
	}
	byUser := map[string][]notificationRule{}
	for _, n := range rules {
		byUser[n.UserID] = append(byUser[n.UserID], n)
	}
	var important []string
	for _, u := range users {
		if u.ID == "" || r.users[u.ID] != "" {
			continue
		}
		cu, label := r.Res.NewUser(&r.UserIDs, u.Username, u.Email, u.Timezone)
		if u.Role == "admin" {
			cu.Role = "admin"
		}
		if imp := r.notificationRules(label, &cu, byUser[u.ID]); imp != "" {
			important = append(important, label+" ("+imp+")")
		}
		r.users[u.ID] = cu.ID
		r.userNames[u.ID] = label
		for _, tid := range u.Teams {
			if i, ok := r.teams[tid]; ok {
				importer.AddMember(&r.Res.Bundle.Teams[i], cu.ID)
			}
		}
		r.Res.Bundle.Users = append(r.Res.Bundle.Users, cu)
	}
	if len(important) > 0 {
		r.Rep.Skip("notification rule", fmt.Sprintf("%d users", len(important)), "important notification rules (for escalation steps marked important): "+strings.Join(important, ", "),
			"none: Vigil has one set of notification rules per person")
	}
	return nil
}

// notificationRules carries over the default (not important) personal
// notification rules: each notify step after the waits before it. OnCall's
// API has no phone numbers, so only email carries over; it returns a
// summary of the important rules left out.
func (r *run) notificationRules(label string, cu *catalog.User, rules []notificationRule) string {
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Position < rules[j].Position })
	delay := 0
	var important []string
	methods := map[string]bool{}
	for _, n := range rules {
		if n.Important {
			important = append(important, n.Type)
			continue
		}
		switch n.Type {
		case "wait":
			delay += max(n.Duration, 0)
			if delay > maxDelay {
				delay = maxDelay
			}
		case "notify_by_email":
			if cu.Email == "" {
				r.Rep.Skip("notification rule", label, "notify by email, but the user has no valid email address", "add an email contact method")
				continue
			}
			if !methods["email"] {
				methods["email"] = true
				cu.ContactMethods = append(cu.ContactMethods, catalog.ContactMethod{ID: "email", Type: catalog.MethodEmail, Address: cu.Email})
			}
			cu.NotificationRules = append(cu.NotificationRules, catalog.NotificationRule{ContactMethod: "email", Delay: importer.Minutes(delay / 60)})
		case "notify_by_sms", "notify_by_phone_call":
			r.Rep.Skip("notification rule", label, fmt.Sprintf("%s after %d min: OnCall's API does not give the phone number", n.Type, delay/60),
				"add an sms or voice contact method with the number and a rule for it")
		default:
			r.Rep.Skip("notification rule", label, fmt.Sprintf("%s after %d min", n.Type, delay/60), "add a slack, ntfy or webhook contact method and a rule for it")
		}
	}
	if len(cu.NotificationRules) == 0 {
		r.Rep.Check("User %s has no notification rule that carried over: add contact methods and notification_rules, or they will not be paged.", importer.Code(cu.ID))
	}
	return strings.Join(important, ", ")
}

func (r *run) userOf(id string) (string, bool) {
	v, ok := r.users[id]
	return v, ok && id != ""
}
