package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// largeConfig writes a valid configuration of n teams, each with 5 users,
// a schedule, a policy and 10 services that depend on the previous team's.
func largeConfig(n int) string {
	var users, teams, schedules, policies, services strings.Builder
	users.WriteString("users:\n")
	teams.WriteString("teams:\n  - {id: irt-global, kind: global-irt, members: [u0-0], escalation_policy: p0}\n")
	schedules.WriteString("schedules:\n")
	policies.WriteString("escalation_policies:\n")
	services.WriteString("services:\n")
	for t := range n {
		var members []string
		for u := range 5 {
			id := fmt.Sprintf("u%d-%d", t, u)
			members = append(members, id)
			fmt.Fprintf(&users, `  - id: %s
    time_zone: Europe/Berlin
    contact_methods: [{id: hook, type: webhook, url: "http://127.0.0.1:9000/%s"}]
    notification_rules: [{contact_method: hook, delay: 0m}]
`, id, id)
		}
		list := strings.Join(members, ", ")
		fmt.Fprintf(&teams, "  - {id: t%d, kind: dev, time_zone: Europe/Berlin, country: DE, members: [%s], schedule: s%d, escalation_policy: p%d}\n", t, list, t, t)
		fmt.Fprintf(&schedules, `  - id: s%d
    time_zone: Europe/Berlin
    layers: [{id: weekly, users: [%s], rotation: {every: 1w}, start: "2026-01-05T09:00:00+01:00", active: [{days: [mon, tue, wed, thu, fri], from: "07:00", to: "19:00"}]}]
`, t, list)
		fmt.Fprintf(&policies, "  - {id: p%d, repeat: 1, steps: [{targets: [{schedule: s%d}], escalate_after: 10m}, {targets: [{team: irt-global}], escalate_after: 15m}]}\n", t, t)
		for s := range 10 {
			deps := ""
			if t > 0 {
				deps = fmt.Sprintf(", depends_on: [{service: svc%d-%d, kind: hard}, {service: svc%d-%d, kind: soft}]", t-1, s, t-1, (s+1)%10)
			}
			fmt.Fprintf(&services, "  - {id: svc%d-%d, owner: t%d%s, integrations: [{type: alertmanager, key: am-%d-%d}, {type: pagerduty, key: %032d}], urgency: {warning: low}}\n",
				t, s, t, deps, t, s, t*10+s)
		}
	}
	return users.String() + teams.String() + schedules.String() + policies.String() + services.String()
}

func TestLargeConfigIsValid(t *testing.T) {
	l := LoadBytes("large.yaml", []byte(largeConfig(3)))
	for _, p := range l.Problems {
		t.Errorf("problem: %s", p)
	}
	if len(l.Bundle.Services) != 30 || len(l.Bundle.Users) != 15 {
		t.Errorf("got %d services and %d users, want 30 and 15", len(l.Bundle.Services), len(l.Bundle.Users))
	}
}

func BenchmarkLoadExampleOrg(b *testing.B) {
	for b.Loop() {
		l, err := Load("../../examples/org")
		if err != nil || len(l.Problems) > 0 {
			b.Fatal(err, l.Problems)
		}
	}
}

// BenchmarkLoadLarge loads 200 teams, 1,000 users and 2,000 services.
func BenchmarkLoadLarge(b *testing.B) {
	data := []byte(largeConfig(200))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if l := LoadBytes("large.yaml", data); len(l.Problems) > 0 {
			b.Fatal(l.Problems[0])
		}
	}
}

// BenchmarkValidateLarge is the REST API's cost of checking a change to a
// configuration of 200 teams, 1,000 users and 2,000 services.
func BenchmarkValidateLarge(b *testing.B) {
	l := LoadBytes("large.yaml", []byte(largeConfig(200)))
	if len(l.Problems) > 0 {
		b.Fatal(l.Problems[0])
	}
	for b.Loop() {
		if ps := Validate(&l.Bundle); len(ps) > 0 {
			b.Fatal(ps[0])
		}
	}
}

// BenchmarkValidateUnknownReferences measures the worst case of the typo
// suggestions: 2,000 unknown owners, each compared with 1,000 similar ids.
func BenchmarkValidateUnknownReferences(b *testing.B) {
	bundle := &Bundle{}
	for i := range 1000 {
		bundle.Teams = append(bundle.Teams, teamWithID(fmt.Sprintf("team-%04d", i)))
	}
	for i := range 2000 {
		bundle.Services = append(bundle.Services, serviceOwnedBy(fmt.Sprintf("svc-%d", i), fmt.Sprintf("team-%04dx", i)))
	}
	for b.Loop() {
		Validate(bundle)
	}
}

func BenchmarkRefuseAliasBomb(b *testing.B) {
	data := []byte(billionLaughs(9))
	for b.Loop() {
		if l := LoadBytes("bomb.yaml", data); len(l.Problems) != 1 {
			b.Fatal(l.Problems)
		}
	}
}

// BenchmarkParseAtItemLimit is the worst case for input without aliases: a
// file just under the item limit, all of it parsed.
func BenchmarkParseAtItemLimit(b *testing.B) {
	data := []byte("x: [" + strings.Repeat("1,", maxItems-10) + "1]\n")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if l := LoadBytes("big.yaml", data); len(l.Problems) != 1 {
			b.Fatal(l.Problems)
		}
	}
}

func teamWithID(id string) catalog.Team {
	return catalog.Team{ID: id, Kind: catalog.KindDev}
}

func serviceOwnedBy(id, owner string) catalog.Service {
	return catalog.Service{ID: id, Owner: owner, EscalationPolicy: "p"}
}
