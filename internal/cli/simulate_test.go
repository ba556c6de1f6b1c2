package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleSimulate = "../../examples/simulate"

func simulateArgs(extra ...string) []string {
	args := []string{"simulate", "--history", exampleSimulate + "/history.jsonl", "--map", exampleSimulate + "/map.yaml"}
	for _, o := range []string{"sre-holds-pager", "dev-owned-irt", "dev-owned-follow-the-sun"} {
		args = append(args, "--org", exampleSimulate+"/"+o)
	}
	return append(args, extra...)
}

// The example's three organisations, compared: the contract's JSON shape,
// the retired service unmapped in each, the renamed one mapped, and the
// operating model's case — fewer sleep pages owning services, fewest
// following the sun.
func TestSimulateExample(t *testing.T) {
	code, out, errOut := run(t, nil, simulateArgs("--format", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Orgs []struct {
			Name   string `json:"name"`
			People []struct {
				User string `json:"user"`
			} `json:"people"`
			Totals struct {
				Pages int     `json:"pages"`
				Sleep int     `json:"sleep"`
				Cost  float64 `json:"cost"`
			} `json:"totals"`
			Unmapped []struct {
				Service string `json:"service"`
				Alerts  int    `json:"alerts"`
			} `json:"unmapped"`
		} `json:"orgs"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.Orgs) != 3 || res.Orgs[0].Name != "sre-holds-pager" || res.Orgs[2].Name != "dev-owned-follow-the-sun" {
		t.Fatalf("orgs %+v", res.Orgs)
	}
	for _, o := range res.Orgs {
		if len(o.Unmapped) != 1 || o.Unmapped[0].Service != "legacy-ftp" || o.Unmapped[0].Alerts != 3 {
			t.Errorf("%s: unmapped %+v, want legacy-ftp (3 alerts) alone: storefront is mapped to checkout", o.Name, o.Unmapped)
		}
	}
	sre, irt, sun := res.Orgs[0].Totals, res.Orgs[1].Totals, res.Orgs[2].Totals
	if !(sre.Sleep > irt.Sleep && irt.Sleep > sun.Sleep) || !(sre.Cost > irt.Cost && irt.Cost > sun.Cost) {
		t.Errorf("sleep pages %d, %d, %d and cost %v, %v, %v: want each model to wake and cost less than the one before", sre.Sleep, irt.Sleep, sun.Sleep, sre.Cost, irt.Cost, sun.Cost)
	}
}

func TestSimulateFormats(t *testing.T) {
	code, out, errOut := run(t, nil, simulateArgs()...)
	if code != exitOK || !strings.Contains(out, "Organisations side by side") || !strings.Contains(out, "Unmapped in dev-owned-irt") ||
		!strings.Contains(out, "taken as acknowledging") {
		t.Errorf("table: exit %d, %s %s", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "compare.html")
	code, _, errOut = run(t, nil, simulateArgs("--format", "html", "-o", file)...)
	if code != exitOK {
		t.Fatalf("html: exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "sre-holds-pager", "dev-owned-follow-the-sun", "Who is woken"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "<script") || strings.Contains(string(page), "http://") && strings.Contains(string(page), "<link") {
		t.Error("the page must be self-contained")
	}
}

func TestSimulateRefuses(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("users: [{id: Nope}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no history", []string{"simulate", "--org", exampleSimulate + "/dev-owned-irt"}, exitError, "--history"},
		{"no org", []string{"simulate", "--history", exampleSimulate + "/history.jsonl"}, exitError, "--org"},
		{"bad format", simulateArgs("--format", "pdf"), exitError, "--format"},
		{"bad from", simulateArgs("--from", "last week"), exitError, "--from"},
		{"missing history", []string{"simulate", "--history", "/nonexistent", "--org", exampleSimulate + "/dev-owned-irt"}, exitError, "history"},
		{"bad history format", simulateArgs("--history-format", "csv"), exitError, "unknown history format"},
		{"invalid org", []string{"simulate", "--history", exampleSimulate + "/history.jsonl", "--org", bad}, exitFail, "not valid configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (%s), want %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
