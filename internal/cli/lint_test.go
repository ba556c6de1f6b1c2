package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/slo/slotest"
)

// lintOrg is a shop whose revenue-critical checkout needs payments, which
// needs ledger; fraud is soft and promises little, which does not matter.
const lintOrg = `users:
  - {id: alice, time_zone: Europe/Berlin}
teams:
  - {id: shop, kind: global-irt, members: [alice], escalation_policy: pol}
escalation_policies:
  - {id: pol, steps: [{targets: [{user: alice}], escalate_after: 5m}]}
services:
  - {id: checkout, owner: shop, revenue_critical: true, depends_on: [{service: payments, kind: hard}, {service: fraud, kind: soft}]}
  - {id: payments, owner: shop, depends_on: [{service: ledger, kind: hard}]}
  - {id: ledger, owner: shop}
  - {id: fraud, owner: shop}
`

func sloDoc(name, service string, target float64) string {
	return "---\n" + slotest.Edit(slotest.CheckoutAvailability,
		"name: checkout-availability", "name: "+name, "service: checkout", "service: "+service,
		"name: checkout-requests", "name: "+name+"-requests", "target: 0.999", fmt.Sprintf("target: %g", target))
}

func writeLintOrg(t *testing.T, checkout float64) string {
	t.Helper()
	dir := t.TempDir()
	slos := sloDoc("checkout-availability", "checkout", checkout) + sloDoc("payments-availability", "payments", 0.9995) +
		sloDoc("ledger-availability", "ledger", 0.9999) + sloDoc("fraud-availability", "fraud", 0.9)
	for name, content := range map[string]string{"org.yaml": lintOrg, "slos.yaml": slos} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLint(t *testing.T) {
	// checkout at 99.9%: payments 99.95% × ledger 99.99% = 99.940005%
	// allows it, but payments lacks the extra nine (99.99%).
	within := writeLintOrg(t, 0.999)
	code, out, errOut := run(t, nil, "lint", within)
	wantOut := "warning: checkout: critical checkout promises 99.9%, so each hard dependency should offer roughly one more nine (99.99%); payments offers 99.95% (SLO payments-availability)\n" +
		"    fix: add capacity or replicas to payments (in independent failure domains) and raise SLO payments-availability to 99.99%\n" +
		"    fix: make checkout's dependency on payments soft, with a fallback (a cache, a default, a degraded answer)\n" +
		"    fix: relax checkout's objective below 99.9%\n" +
		"ceiling: checkout promises 99.9%, ceiling 99.94% (2 hard dependencies)\n" +
		"ceiling: fraud promises 90%, ceiling 100% (no hard dependencies)\n" +
		"ceiling: ledger promises 99.99%, ceiling 100% (no hard dependencies)\n" +
		"ceiling: payments promises 99.95%, ceiling 99.99% (1 hard dependency)\n" +
		within + ": 0 error(s), 1 warning(s)\n"
	if code != exitOK || out != wantOut || errOut != "" {
		t.Errorf("lint within the ceiling: exit %d\nstdout %s\nstderr %q\nwant exit 0\nstdout %s", code, out, errOut, wantOut)
	}

	// checkout at 99.95% is above the 99.940005% its dependencies allow.
	above := writeLintOrg(t, 0.9995)
	code, out, _ = run(t, nil, "lint", "-f", above)
	wantFirst := filepath.Join(above, "slos.yaml") + ":2: error: checkout: SLO checkout-availability promises 99.95%, above the 99.94% that checkout's hard dependencies allow at most (ledger 99.99% × payments 99.95%): pulled down by payments\n" +
		"    fix: make checkout's dependency on payments soft, with a fallback (a cache, a default, a degraded answer)\n" +
		"    fix: add capacity or replicas to payments (in independent failure domains) and raise its objective to at least 99.96%\n" +
		"    fix: relax SLO checkout-availability to below 99.94%, leaving room for checkout's own failures\n"
	if code != exitFail || !strings.HasPrefix(out, wantFirst) || !strings.Contains(out, "ABOVE ITS CEILING") || !strings.HasSuffix(out, above+": 1 error(s), 1 warning(s)\n") {
		t.Errorf("lint above the ceiling: exit %d\nstdout %s\nwant exit 1, starting\n%s", code, out, wantFirst)
	}

	code, out, _ = run(t, nil, "lint", "--format", "json", above)
	var rep lintReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFail {
		t.Fatalf("lint --format json: exit %d, %v\n%s", code, err, out)
	}
	if rep.Errors != 1 || rep.Warnings != 1 || len(rep.Ceilings) != 4 || rep.Ceilings[0].Service != "checkout" || !rep.Ceilings[0].AboveCeiling {
		t.Errorf("lint json: %+v", rep)
	}
}

func TestLintExample(t *testing.T) {
	// The example's checkout needs four services without an SLO; search
	// (not critical) needs one. Warnings only: exit 0.
	code, out, errOut := run(t, nil, "lint", exampleOrg)
	if code != exitOK || errOut != "" {
		t.Fatalf("lint %s: exit %d, stderr %q", exampleOrg, code, errOut)
	}
	for _, want := range []string{
		"warning: checkout: checkout needs ledger-db (through payments-api), which has no SLO",
		"fix: make payments-api's dependency on ledger-db soft, with a fallback",
		"warning: search: search needs catalog-api, which has no SLO: search's ceiling is unknown\n",
		"ceiling: checkout promises 99.9%, ceiling unknown (4 hard dependencies; without an SLO: auth, inventory, ledger-db, payments-api)\n",
		exampleOrg + ": 0 error(s), 5 warning(s)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint %s: no %q in\n%s", exampleOrg, want, out)
		}
	}
}

func TestLintRefusals(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("services:\n  - {id: x, owner: nobody}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, nil, "lint", bad); code != exitFail || !strings.Contains(errOut, "nobody") {
		t.Errorf("lint of an invalid file: exit %d, stderr %q; want exit 1 naming the problem", code, errOut)
	}
	if code, _, errOut := run(t, nil, "lint"); code != exitError || !strings.Contains(errOut, "give a configuration FILE or DIR") {
		t.Errorf("lint without files: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "lint", "--format", "xml", exampleOrg); code != exitError || !strings.Contains(errOut, "want text or json") {
		t.Errorf("lint --format xml: exit %d, stderr %q", code, errOut)
	}
}
