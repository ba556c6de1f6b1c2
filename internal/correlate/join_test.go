package correlate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// graphOf builds a graph from "a>b" (a needs b, hard) and "a~b" (soft)
// edges; every service named anywhere exists.
func graphOf(edges ...string) *catalog.Graph {
	deps := map[string][]catalog.Dependency{}
	var order []string
	add := func(id string) {
		if _, ok := deps[id]; !ok {
			deps[id] = nil
			order = append(order, id)
		}
	}
	for _, e := range edges {
		for k, sep := range []string{">", "~"} {
			from, to, ok := strings.Cut(e, sep)
			if !ok {
				continue
			}
			add(from)
			if to == "" {
				break
			}
			add(to)
			kind := catalog.Hard
			if k == 1 {
				kind = catalog.Soft
			}
			deps[from] = append(deps[from], catalog.Dependency{Service: to, Kind: kind})
		}
	}
	services := make([]catalog.Service, 0, len(order))
	for _, id := range order {
		services = append(services, catalog.Service{ID: id, DependsOn: deps[id]})
	}
	return catalog.NewGraph(services)
}

// evidence is Evidence from two lists.
type evidence struct{ alerting, changed, failing []string }

func (e evidence) Alerting(s string) bool { return slices.Contains(e.alerting, s) }
func (e evidence) Changed(s string) bool  { return slices.Contains(e.changed, s) }
func (e evidence) DependentsFailing(s string) bool {
	return slices.Contains(e.failing, s)
}

// shop is a 23-service company. checkout needs payments-api, which needs
// ledger-db and (softly) fraud-score, which needs ml-features, which
// recommendations needs too. storage-cluster sits below twelve services: a
// hub. a, b and c form a cycle that d needs; p, q and r test soft chains.
func shop() *catalog.Graph {
	edges := []string{
		"checkout>payments-api", "payments-api>ledger-db", "payments-api~fraud-score",
		"fraud-score>ml-features", "recommendations>ml-features",
		"ads-index>storage-cluster", "ledger-db>storage-cluster", "ml-features>storage-cluster",
		"search>search-db", "catalog>search-db", "search-db>storage-cluster",
		"a>b", "b>c", "c>a", "d>a",
		"p~q", "q~r", "s>t", "t~u",
	}
	for _, svc := range []string{"images", "mail", "reports", "audit", "billing", "notifier", "exporter", "archive", "backup"} {
		edges = append(edges, svc+">storage-cluster")
	}
	return graphOf(edges...)
}

func TestIndexSourcesAndHubs(t *testing.T) {
	x := NewIndex(shop(), IndexOptions{})
	sources := []struct {
		service string
		want    []string
	}{
		// Hard edges any distance.
		{"checkout", []string{"ledger-db", "payments-api", "storage-cluster"}},
		// A soft edge as the first step, then hard edges below it.
		{"payments-api", []string{"fraud-score", "ledger-db", "ml-features", "storage-cluster"}},
		// Soft edges do not chain: p degrades when q fails, not when r does.
		{"p", []string{"q"}},
		// A soft edge below a hard one does not reach up: s fails with t,
		// but t only degrades when u fails.
		{"s", []string{"t"}},
		// A cycle: each member's failure reaches the others (a service is
		// never its own source).
		{"a", []string{"b", "c"}},
		{"d", []string{"a", "b", "c"}},
		{"storage-cluster", nil},
	}
	for _, c := range sources {
		if got := x.Sources(c.service); !slices.Equal(got, c.want) {
			t.Errorf("Sources(%s) = %v, want %v", c.service, got, c.want)
		}
	}
	for service, want := range map[string]bool{"storage-cluster": true, "ml-features": false, "ledger-db": false, "nope": false} {
		if got := x.Hub(service); got != want {
			t.Errorf("Hub(%s) = %v, want %v", service, got, want)
		}
	}
	// A share above what any service reaches turns hubs off.
	if NewIndex(shop(), IndexOptions{HubShare: 1}).Hub("storage-cluster") {
		t.Error("HubShare 1: storage-cluster is still a hub")
	}
	// Small graphs have no hubs, however shared a dependency is.
	if NewIndex(graphOf("a>db", "b>db", "c>db"), IndexOptions{}).Hub("db") {
		t.Error("a three-service graph has a hub")
	}
}

// decideCase is one hand-worked verdict.
type decideCase struct {
	name     string
	service  string
	incident []string
	ev       evidence
	want     Verdict
}

func checkDecide(t *testing.T, x *Index, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		got := x.Decide(c.service, c.incident, c.ev)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: Decide(%s, %v)\n got %+v\nwant %+v", c.name, c.service, c.incident, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	x := NewIndex(shop(), IndexOptions{})
	checkDecide(t, x, []decideCase{
		{"a dependent joins", "checkout", []string{"payments-api"}, evidence{},
			Verdict{Join: true, Explained: true, Reason: "checkout depends on payments-api"}},
		{"a dependency joins, transitively", "ledger-db", []string{"checkout"}, evidence{},
			Verdict{Join: true, Explains: true, Reason: "checkout depends on ledger-db"}},
		{"a soft dependency joins its direct dependent", "fraud-score", []string{"payments-api"}, evidence{},
			Verdict{Join: true, Explains: true, Reason: "payments-api depends on fraud-score"}},
		{"a soft dependency does not join what is above its dependent", "fraud-score", []string{"checkout"}, evidence{},
			Verdict{}},
		{"a failure below a soft dependency reaches its direct dependent", "ml-features", []string{"payments-api"}, evidence{},
			Verdict{Join: true, Explains: true, Reason: "payments-api depends on ml-features"}},
		{"a shared dependency without evidence relates, never joins", "recommendations", []string{"checkout", "payments-api", "ledger-db"}, evidence{},
			Verdict{Shared: []string{"ml-features"}, Reason: "recommendations and payments-api both depend on ml-features, which shows no sign of trouble"}},
		{"a shared dependency that changed joins", "recommendations", []string{"checkout", "payments-api"}, evidence{changed: []string{"ml-features"}},
			Verdict{Join: true, Via: []string{"ml-features"}, Reason: "recommendations shares ml-features with the incident, and ml-features changed just before"}},
		{"a shared dependency that alerts joins", "recommendations", []string{"payments-api"}, evidence{alerting: []string{"ml-features"}},
			Verdict{Join: true, Via: []string{"ml-features"}, Reason: "recommendations shares ml-features with the incident, and ml-features is alerting"}},
		{"a shared dependency that its dependents show failing joins", "recommendations", []string{"payments-api"}, evidence{failing: []string{"ml-features"}},
			Verdict{Join: true, Via: []string{"ml-features"}, Reason: "recommendations shares ml-features with the incident, and at least 3 services that need ml-features fail at once"}},
		{"a shared hub neither joins nor relates", "ads-index", []string{"ledger-db"}, evidence{},
			Verdict{}},
		{"a shared hub does not join even when it changed", "ads-index", []string{"ledger-db"}, evidence{changed: []string{"storage-cluster"}},
			Verdict{}},
		{"a shared hub does not join even when it alerts", "images", []string{"mail"}, evidence{alerting: []string{"storage-cluster"}},
			Verdict{}},
		{"the hub itself alerting joins what needs it, but explains nothing", "storage-cluster", []string{"ads-index"}, evidence{},
			Verdict{Join: true, Reason: "ads-index depends on storage-cluster"}},
		{"a non-hub shared below a hub path", "catalog", []string{"search"}, evidence{},
			Verdict{Shared: []string{"search-db"}, Reason: "catalog and search both depend on search-db, which shows no sign of trouble"}},
		{"a cycle links its members", "d", []string{"b"}, evidence{},
			Verdict{Join: true, Explained: true, Reason: "d depends on b"}},
		{"between two of the incident's services: explained, and not explaining the whole incident", "payments-api", []string{"checkout", "ledger-db"}, evidence{},
			Verdict{Join: true, Explained: true, Reason: "payments-api depends on ledger-db"}},
		{"below every service of the incident: explains it", "ledger-db", []string{"checkout", "payments-api", "ghost"}, evidence{},
			Verdict{Join: true, Explains: true, Reason: "checkout depends on ledger-db"}},
		{"below some services of the incident only: does not explain it", "ml-features", []string{"payments-api", "ledger-db"}, evidence{},
			Verdict{Join: true, Reason: "payments-api depends on ml-features"}},
		{"below only a service that joined later: no link", "ledger-db", []string{"recommendations", "payments-api"}, evidence{},
			Verdict{}},
		{"below the service it opened on, the first known", "ledger-db", []string{"ghost", "checkout", "recommendations"}, evidence{},
			Verdict{Join: true, Reason: "checkout depends on ledger-db"}},
		{"in a cycle, each member explains the others", "a", []string{"c"}, evidence{},
			Verdict{Join: true, Explained: true, Explains: true, Reason: "a depends on c"}},
		{"what a cycle needs explains it", "b", []string{"d"}, evidence{},
			Verdict{Join: true, Explains: true, Reason: "d depends on b"}},
		{"soft edges do not chain", "p", []string{"r"}, evidence{}, Verdict{}},
		{"one soft hop links", "q", []string{"r"}, evidence{}, Verdict{Join: true, Explained: true, Reason: "q depends on r"}},
		{"a soft edge below a hard one links nothing above", "s", []string{"u"}, evidence{}, Verdict{}},
		{"the same service alone is grouping's business", "checkout", []string{"checkout"}, evidence{}, Verdict{}},
		{"the same service among others", "checkout", []string{"checkout", "ledger-db"}, evidence{},
			Verdict{Join: true, Explained: true, Reason: "checkout depends on ledger-db"}},
		{"an unknown service joins nothing", "ghost", []string{"checkout"}, evidence{}, Verdict{}},
		{"an unknown incident service is skipped", "checkout", []string{"ghost", "payments-api"}, evidence{},
			Verdict{Join: true, Explained: true, Reason: "checkout depends on payments-api"}},
		{"unrelated services stay apart", "mail", []string{"checkout"}, evidence{}, Verdict{}},
	})
}

func TestVerdictRelated(t *testing.T) {
	for _, c := range []struct {
		v    Verdict
		want bool
	}{
		{Verdict{}, false},
		{Verdict{Shared: []string{"db"}}, true},
		{Verdict{Join: true, Via: []string{"db"}}, false},
	} {
		if got := c.v.Related(); got != c.want {
			t.Errorf("%+v.Related() = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestHubShare: in a company of 25 services, db sits below 12 (48%).
func TestHubShare(t *testing.T) {
	var edges []string
	for i := 1; i <= 12; i++ {
		edges = append(edges, fmt.Sprintf("s%d>db", i))
	}
	for i := 1; i <= 12; i++ {
		edges = append(edges, fmt.Sprintf("alone%d>", i))
	}
	g := graphOf(edges...)
	cases := []struct {
		share float64
		hub   bool
		want  Verdict
	}{
		{0, false, Verdict{Shared: []string{"db"}, Reason: "s1 and s2 both depend on db, which shows no sign of trouble"}},
		{0.5, false, Verdict{Shared: []string{"db"}, Reason: "s1 and s2 both depend on db, which shows no sign of trouble"}},
		{0.48, true, Verdict{}},
		{0.4, true, Verdict{}},
		{1, false, Verdict{Shared: []string{"db"}, Reason: "s1 and s2 both depend on db, which shows no sign of trouble"}},
	}
	for _, c := range cases {
		x := NewIndex(g, IndexOptions{HubShare: c.share})
		if got := x.Hub("db"); got != c.hub {
			t.Errorf("share %v: Hub(db) = %v, want %v", c.share, got, c.hub)
		}
		// A hub still joins what needs it, when it alerts itself.
		if got := x.Decide("db", []string{"s3"}, evidence{}); !got.Join {
			t.Errorf("share %v: db does not join s3: %+v", c.share, got)
		}
		if got := x.Decide("s1", []string{"s2"}, evidence{changed: []string{"db"}}); got.Join == c.hub {
			t.Errorf("share %v: s1 with s2 while db changed: %+v", c.share, got)
		}
		if got := x.Decide("s1", []string{"s2"}, evidence{}); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("share %v: Decide(s1, [s2]) = %+v, want %+v", c.share, got, c.want)
		}
	}
}

// chain: w1 and w2 both need qa, which needs pb, oc and nd in a hard chain;
// v and v2 need nd too; w3 and w4 need oc softly; lone needs nothing. The
// fewer services depend on a shared dependency, the better it explains a
// link: qa (2 dependents), pb (3), oc (6), nd (9) — the reverse of their
// ids' order.
func chain() *catalog.Graph {
	return graphOf("w1>qa", "w2>qa", "qa>pb", "pb>oc", "oc>nd", "v>nd", "v2>nd", "w3~oc", "w4~oc", "lone>")
}

func TestDecideNamesTheMostSpecificSharedDependencies(t *testing.T) {
	x := NewIndex(chain(), IndexOptions{})
	checkDecide(t, x, []decideCase{
		{"the three most specific, best first", "w1", []string{"w2"}, evidence{},
			Verdict{Shared: []string{"qa", "pb", "oc"}, Reason: "w1 and w2 both depend on qa, pb, oc, which show no sign of trouble"}},
		{"evidence on two: the most specific is named first", "w1", []string{"w2"}, evidence{changed: []string{"nd"}, alerting: []string{"pb"}},
			Verdict{Join: true, Via: []string{"pb", "nd"}, Reason: "w1 shares pb, nd with the incident, and pb is alerting"}},
		{"evidence on one joins, whatever else is shared", "w2", []string{"w1"}, evidence{changed: []string{"nd"}},
			Verdict{Join: true, Via: []string{"nd"}, Reason: "w2 shares nd with the incident, and nd changed just before"}},
		{"each incident service is looked at; the one sharing is named", "v", []string{"lone", "w1"}, evidence{},
			Verdict{Shared: []string{"nd"}, Reason: "v and w1 both depend on nd, which shows no sign of trouble"}},
		{"soft dependents share what is below their soft dependency", "w3", []string{"w4"}, evidence{},
			Verdict{Shared: []string{"oc", "nd"}, Reason: "w3 and w4 both depend on oc, nd, which show no sign of trouble"}},
		{"a soft dependent shares with a hard one", "w3", []string{"w1"}, evidence{},
			Verdict{Shared: []string{"oc", "nd"}, Reason: "w3 and w1 both depend on oc, nd, which show no sign of trouble"}},
	})
}

func TestSharedWithEvidence(t *testing.T) {
	x := NewIndex(shop(), IndexOptions{})
	y := NewIndex(chain(), IndexOptions{})
	cases := []struct {
		name     string
		x        *Index
		services []string
		ev       evidence
		want     []string
	}{
		{"a changed dependency of two services", x, []string{"recommendations", "payments-api"}, evidence{changed: []string{"ml-features"}}, []string{"ml-features"}},
		{"without evidence, nothing", x, []string{"recommendations", "payments-api"}, evidence{}, nil},
		{"a hub, even changed, is never named", x, []string{"ads-index", "ledger-db"}, evidence{changed: []string{"storage-cluster"}}, nil},
		{"a dependency of one service only is not shared", x, []string{"recommendations", "mail"}, evidence{changed: []string{"ml-features"}}, nil},
		{"a shared dependency among the services is not named", x, []string{"recommendations", "payments-api", "ml-features"}, evidence{alerting: []string{"ml-features"}}, nil},
		{"most specific first", y, []string{"w1", "w2", "ghost"}, evidence{changed: []string{"nd", "oc"}, alerting: []string{"pb"}}, []string{"pb", "oc", "nd"}},
		{"one service shares nothing", y, []string{"w1"}, evidence{changed: []string{"qa"}}, nil},
	}
	for _, c := range cases {
		if got := c.x.SharedWithEvidence(c.services, c.ev); !slices.Equal(got, c.want) {
			t.Errorf("%s: SharedWithEvidence(%v) = %v, want %v", c.name, c.services, got, c.want)
		}
	}
}

func TestCoFailing(t *testing.T) {
	x := NewIndex(chain(), IndexOptions{})
	cases := []struct {
		name     string
		alerting []string
		want     []string
	}{
		{"two failing below oc show nothing", []string{"w1", "w2"}, nil},
		// oc (6 dependents) is the most specific dependency all three
		// need; nd, below it too, is explained by it.
		{"three failing on their own below oc", []string{"w1", "w2", "w3"}, []string{"oc"}},
		{"an alert explained by another counts as that one", []string{"w1", "w2", "qa"}, nil},
		{"what oc explains is not counted again for nd", []string{"w1", "w2", "w3", "v", "v2"}, []string{"oc"}},
		{"three below nd only", []string{"v", "v2", "w3"}, []string{"nd"}},
		{"repeats and unknown services are no one", []string{"w1", "w1", "w2", "ghost"}, nil},
	}
	for _, c := range cases {
		if got := x.CoFailing(c.alerting); !slices.Equal(got, c.want) {
			t.Errorf("%s: CoFailing(%v) = %v, want %v", c.name, c.alerting, got, c.want)
		}
	}
	// A hub is never shown failing, however many need it.
	if got := NewIndex(shop(), IndexOptions{}).CoFailing([]string{"images", "mail", "reports", "audit"}); got != nil {
		t.Errorf("four services below only the hub show %v failing, want nothing", got)
	}
}
