package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// The example organisation is documentation that must keep loading.
func TestExampleOrgLoads(t *testing.T) {
	l, err := Load("../../examples/org")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Problems {
		t.Errorf("problem: %s", p)
	}
	b := &l.Bundle
	if len(l.Files) != 7 || len(b.Services) != 12 || len(b.Teams) != 5 || len(b.Users) != 15 || len(l.OpenSLO) != 3 || len(b.Operations) != 5 {
		t.Errorf("got %d files, %d services, %d teams, %d users, %d SLO documents, %d operations; want 7, 12, 5, 15, 3, 5",
			len(l.Files), len(b.Services), len(b.Teams), len(b.Users), len(l.OpenSLO), len(b.Operations))
	}

	// It shows the whole model: every team kind, dependency kind, contact
	// method type and integration type.
	seen := map[string]bool{}
	for _, t := range b.Teams {
		seen["team "+t.Kind] = true
	}
	for _, u := range b.Users {
		for _, m := range u.ContactMethods {
			seen["method "+m.Type] = true
		}
	}
	for _, s := range b.Services {
		for _, d := range s.DependsOn {
			seen["dependency "+d.Kind] = true
		}
		for _, in := range s.Integrations {
			seen["integration "+in.Type] = true
		}
		if s.Coverage != nil {
			seen["coverage "+s.Coverage.Mode] = true
		}
	}
	for _, want := range []string{
		"team " + catalog.KindDev, "team " + catalog.KindIRT, "team " + catalog.KindGlobalIRT,
		"dependency " + catalog.Hard, "dependency " + catalog.Soft,
		"coverage " + catalog.CoverageParallel, "coverage " + catalog.CoverageBackup, "coverage " + catalog.CoveragePrimary,
		"method " + catalog.MethodEmail, "method " + catalog.MethodSMS, "method " + catalog.MethodVoice,
		"method " + catalog.MethodWebhook, "method " + catalog.MethodSlack, "method " + catalog.MethodTeams,
		"method " + catalog.MethodMattermost, "method " + catalog.MethodNtfy,
		"integration " + catalog.IntegrationPagerDuty, "integration " + catalog.IntegrationAlertmanager,
		"integration " + catalog.IntegrationGrafana, "integration " + catalog.IntegrationGeneric,
		"integration " + catalog.IntegrationHeartbeat,
	} {
		if !seen[want] {
			t.Errorf("the example has no %s", want)
		}
	}

	var countries []string
	for _, t := range b.Teams {
		if t.Kind == catalog.KindDev {
			countries = append(countries, t.Country)
		}
	}
	if want := []string{"DE", "US", "AU"}; !slices.Equal(countries, want) {
		t.Errorf("dev team countries = %v, want %v", countries, want)
	}

	// The follow-the-sun schedule has day layers in two zones.
	var zones []string
	for _, s := range b.Schedules {
		if s.ID != "platform-follow-the-sun" {
			continue
		}
		for _, l := range s.Layers {
			if len(l.Active) > 0 {
				zones = append(zones, l.TimeZone)
			}
		}
		if len(s.Overrides) == 0 {
			t.Error("the follow-the-sun schedule has no overrides")
		}
	}
	if want := []string{"Australia/Sydney", "Europe/Berlin"}; !slices.Equal(zones, want) {
		t.Errorf("follow-the-sun active layers in %v, want %v", zones, want)
	}
}

// TestExampleREADME: the example's README names only files that are in the
// repository, by paths relative to the example or to the repository.
func TestExampleREADME(t *testing.T) {
	const dir = "../../examples/org"
	text, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(string(text), -1)
	checked := 0
	for _, q := range quoted {
		name := strings.Fields(q[1])[0]
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".md") && !strings.Contains(name, "/") {
			continue
		}
		if strings.Count(name, "/") == 1 && !strings.Contains(name, ".") && !strings.HasPrefix(name, "/") {
			continue // a time zone such as Europe/Berlin
		}
		if filepath.IsAbs(name) {
			t.Errorf("README names %s, a path outside the repository", name)
			continue
		}
		_, errExample := os.Stat(filepath.Join(dir, name))
		_, errRepo := os.Stat(filepath.Join("../..", name))
		if errExample != nil && errRepo != nil {
			t.Errorf("README names %s, which is neither in the example nor in the repository", name)
		}
		checked++
	}
	if checked < 6 {
		t.Errorf("only %d file names checked in the README", checked)
	}
}
