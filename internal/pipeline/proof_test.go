package pipeline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// proofOrg is a realistic organisation: 32 services, six dev teams in six
// time zones, an irt team for the two revenue-critical services and a
// follow-the-sun global IRT. HOOK is replaced by the test receiver's URL.
//
// The dependency graph, hard edges unless marked soft:
//
//	checkout* -> cart, payments-api*, ingress; soft: orders, recommendations
//	payments-api* -> ledger; soft: fraud-score
//	cart -> db-proxy, sessions; soft: cache
//	orders -> db-proxy; soft: message-queue        shipping -> orders
//	ledger -> db-proxy        invoices -> object-store; soft: ledger
//	db-proxy -> storage       object-store -> storage
//	search -> search-index -> object-store          image-resizer -> object-store
//	catalog -> db-proxy       recommendations -> feature-store; soft: catalog
//	storefront -> ingress, catalog; soft: search, checkout
//	accounts -> db-proxy      auth -> accounts       sessions -> cache
//	fraud-score -> feature-store -> cache            ingress -> dns
//	email-sender -> notifications -> message-queue
//	reporting -> warehouse    hr-portal -> hr-db (linked to nothing else)
//
// (* revenue-critical). Critical by derivation: checkout, payments-api,
// cart, ingress, dns, ledger, db-proxy, storage, sessions, cache. irt-revenue
// covers checkout and payments-api; the global IRT covers the other
// critical services and every major incident.
const proofOrg = `
org:
  correlation_window: 5m

users:
  - {id: pia,   name: Pia Becker,      time_zone: Europe/Berlin,     contact_methods: [{id: pia-hook,   type: webhook, url: "HOOK/pia"}]}
  - {id: pete,  name: Pete Vogel,      time_zone: Europe/Berlin,     contact_methods: [{id: pete-hook,  type: webhook, url: "HOOK/pete"}]}
  - {id: carl,  name: Carl Diaz,       time_zone: America/New_York,  contact_methods: [{id: carl-hook,  type: webhook, url: "HOOK/carl"}]}
  - {id: cora,  name: Cora Reyes,      time_zone: America/New_York,  contact_methods: [{id: cora-hook,  type: webhook, url: "HOOK/cora"}]}
  - {id: cole,  name: Cole Brooks,     time_zone: America/Chicago,   contact_methods: [{id: cole-hook,  type: webhook, url: "HOOK/cole"}]}
  - {id: priya, name: Priya Nair,      time_zone: Asia/Kolkata,      contact_methods: [{id: priya-hook, type: webhook, url: "HOOK/priya"}]}
  - {id: raj,   name: Raj Mehta,       time_zone: Asia/Kolkata,      contact_methods: [{id: raj-hook,   type: webhook, url: "HOOK/raj"}]}
  - {id: kenji, name: Kenji Sato,      time_zone: Asia/Tokyo,        contact_methods: [{id: kenji-hook, type: webhook, url: "HOOK/kenji"}]}
  - {id: yuki,  name: Yuki Tanaka,     time_zone: Asia/Tokyo,        contact_methods: [{id: yuki-hook,  type: webhook, url: "HOOK/yuki"}]}
  - {id: sora,  name: Sora Ito,        time_zone: Asia/Tokyo,        contact_methods: [{id: sora-hook,  type: webhook, url: "HOOK/sora"}]}
  - {id: liam,  name: Liam Walker,     time_zone: Australia/Sydney,  contact_methods: [{id: liam-hook,  type: webhook, url: "HOOK/liam"}]}
  - {id: mia,   name: Mia Chen,        time_zone: Australia/Sydney,  contact_methods: [{id: mia-hook,   type: webhook, url: "HOOK/mia"}]}
  - {id: bruno, name: Bruno Costa,     time_zone: America/Sao_Paulo, contact_methods: [{id: bruno-hook, type: webhook, url: "HOOK/bruno"}]}
  - {id: bia,   name: Bia Lima,        time_zone: America/Sao_Paulo, contact_methods: [{id: bia-hook,   type: webhook, url: "HOOK/bia"}]}
  - {id: ivan,  name: Ivan Petrov,     time_zone: Europe/Berlin,     contact_methods: [{id: ivan-hook,  type: webhook, url: "HOOK/ivan"}]}
  - {id: iris,  name: Iris Murphy,     time_zone: Europe/Dublin,     contact_methods: [{id: iris-hook,  type: webhook, url: "HOOK/iris"}]}
  - {id: gina,  name: Gina Rossi,      time_zone: Europe/Berlin,     contact_methods: [{id: gina-hook,  type: webhook, url: "HOOK/gina"}]}
  - {id: gus,   name: Gus Miller,      time_zone: America/New_York,  contact_methods: [{id: gus-hook,   type: webhook, url: "HOOK/gus"}]}
  - {id: gwen,  name: Gwen Taylor,     time_zone: Australia/Sydney,  contact_methods: [{id: gwen-hook,  type: webhook, url: "HOOK/gwen"}]}

teams:
  - {id: platform,   kind: dev, time_zone: Europe/Berlin,     country: DE, members: [pia, pete],         schedule: platform-oncall,   escalation_policy: platform-default}
  - {id: commerce,   kind: dev, time_zone: America/New_York,  country: US, members: [carl, cora, cole],  schedule: commerce-oncall,   escalation_policy: commerce-default}
  - {id: payments,   kind: dev, time_zone: Asia/Kolkata,      country: IN, members: [priya, raj],        schedule: payments-oncall,   escalation_policy: payments-default}
  - {id: discovery,  kind: dev, time_zone: Asia/Tokyo,        country: JP, members: [kenji, yuki, sora], schedule: discovery-oncall,  escalation_policy: discovery-default}
  - {id: identity,   kind: dev, time_zone: Australia/Sydney,  country: AU, members: [liam, mia],         schedule: identity-oncall,   escalation_policy: identity-default}
  - {id: backoffice, kind: dev, time_zone: America/Sao_Paulo, country: BR, members: [bruno, bia],        schedule: backoffice-oncall, escalation_policy: backoffice-default}
  - {id: irt-revenue, kind: irt, covers: [checkout, payments-api], members: [ivan, iris], schedule: irt-revenue-oncall, escalation_policy: irt-revenue}
  - {id: irt-global, kind: global-irt, members: [gina, gus, gwen], schedule: irt-global-oncall, escalation_policy: irt-global}

schedules:
  - id: platform-oncall
    time_zone: Europe/Berlin
    layers:
      - {id: weekly, users: [pia, pete], rotation: {every: 1w}, start: "2026-11-02T09:00:00+01:00"}
  - id: commerce-oncall           # handoffs stay at 09:00 New York time across the DST change of 1 November
    time_zone: America/New_York
    layers:
      - {id: weekly, users: [carl, cora, cole], rotation: {every: 1w}, start: "2026-10-05T09:00:00-04:00"}
  - id: payments-oncall
    time_zone: Asia/Kolkata
    layers:
      - {id: daily, users: [priya, raj], rotation: {every: 1d}, start: "2026-11-01T09:00:00+05:30"}
  - id: discovery-oncall
    time_zone: Asia/Tokyo
    layers:
      - {id: weekly, users: [kenji, yuki, sora], rotation: {every: 1w}, start: "2026-11-02T10:00:00+09:00"}
  - id: identity-oncall
    time_zone: Australia/Sydney
    layers:
      - {id: weekly, users: [liam, mia], rotation: {every: 1w}, start: "2026-11-02T09:00:00+11:00"}
  - id: backoffice-oncall
    time_zone: America/Sao_Paulo
    layers:
      - {id: weekly, users: [bruno, bia], rotation: {every: 1w}, start: "2026-11-09T08:00:00-03:00"}
  - id: irt-revenue-oncall
    time_zone: Europe/Berlin
    layers:
      - {id: weekly, users: [ivan, iris], rotation: {every: 1w}, start: "2026-11-16T09:00:00+01:00"}
  - id: irt-global-oncall         # follow the sun: each region covers its own day; later layers win
    time_zone: UTC
    layers:
      - {id: backstop, users: [gina, gus, gwen], rotation: {every: 1w}, start: "2026-11-02T00:00:00Z"}
      - {id: apac, users: [gwen], rotation: {every: 1w}, start: "2026-11-02T08:00:00+11:00", time_zone: Australia/Sydney, active: [{from: "08:00", to: "16:00"}]}
      - {id: emea, users: [gina], rotation: {every: 1w}, start: "2026-11-02T08:00:00+01:00", time_zone: Europe/Berlin,    active: [{from: "08:00", to: "16:00"}]}
      - {id: amer, users: [gus],  rotation: {every: 1w}, start: "2026-11-02T08:00:00-05:00", time_zone: America/New_York, active: [{from: "08:00", to: "16:00"}]}

escalation_policies:
  - id: platform-default
    steps:
      - {targets: [{schedule: platform-oncall}], escalate_after: 10m}
      - {targets: [{user: pete}], escalate_after: 10m}
  - id: commerce-default
    steps:
      - {targets: [{schedule: commerce-oncall}], escalate_after: 10m}
      - {targets: [{user: cole}], escalate_after: 10m}
  - id: payments-default
    steps:
      - {targets: [{schedule: payments-oncall}], escalate_after: 5m}
      - {targets: [{user: raj}], escalate_after: 10m}
  - id: discovery-default
    steps:
      - {targets: [{schedule: discovery-oncall}], escalate_after: 10m}
      - {targets: [{user: sora}], escalate_after: 10m}
  - id: identity-default
    steps:
      - {targets: [{schedule: identity-oncall}], escalate_after: 10m}
      - {targets: [{user: mia}], escalate_after: 10m}
  - id: backoffice-default
    steps:
      - {targets: [{schedule: backoffice-oncall}], escalate_after: 5m}
      - {targets: [{user: bia}], escalate_after: 10m}
  - id: irt-revenue
    steps:
      - {targets: [{schedule: irt-revenue-oncall}], escalate_after: 5m}
      - {targets: [{user: ivan}], escalate_after: 10m}
  - id: irt-global
    steps:
      - {targets: [{schedule: irt-global-oncall}], escalate_after: 5m}
      - {targets: [{user: gus}], escalate_after: 10m}

services:
  # platform
  - {id: storage,       owner: platform, integrations: [{type: generic, key: gen-storage}, {type: pagerduty, key: "5707a6e05707a6e05707a6e05707a6e0"}]}
  - {id: db-proxy,      owner: platform, depends_on: [{service: storage, kind: hard}], integrations: [{type: generic, key: gen-db-proxy}]}
  - {id: object-store,  owner: platform, depends_on: [{service: storage, kind: hard}], integrations: [{type: generic, key: gen-object-store}]}
  - {id: message-queue, owner: platform, integrations: [{type: generic, key: gen-message-queue}]}
  - {id: cache,         owner: platform, integrations: [{type: generic, key: gen-cache}]}
  - {id: dns,           owner: platform, integrations: [{type: generic, key: gen-dns}]}
  - {id: ingress,       owner: platform, depends_on: [{service: dns, kind: hard}], integrations: [{type: generic, key: gen-ingress}]}
  # commerce
  - id: checkout
    owner: commerce
    revenue_critical: true
    depends_on:
      - {service: cart, kind: hard}
      - {service: payments-api, kind: hard}
      - {service: ingress, kind: hard}
      - {service: orders, kind: soft}
      - {service: recommendations, kind: soft}
    integrations: [{type: generic, key: gen-checkout}]
  - {id: cart,       owner: commerce, depends_on: [{service: db-proxy, kind: hard}, {service: sessions, kind: hard}, {service: cache, kind: soft}], integrations: [{type: generic, key: gen-cart}]}
  - {id: orders,     owner: commerce, depends_on: [{service: db-proxy, kind: hard}, {service: message-queue, kind: soft}], integrations: [{type: generic, key: gen-orders}]}
  - {id: shipping,   owner: commerce, depends_on: [{service: orders, kind: hard}], integrations: [{type: generic, key: gen-shipping}]}
  - {id: storefront, owner: commerce, depends_on: [{service: ingress, kind: hard}, {service: catalog, kind: hard}, {service: search, kind: soft}, {service: checkout, kind: soft}], integrations: [{type: generic, key: gen-storefront}]}
  # payments
  - {id: payments-api,  owner: payments, revenue_critical: true, depends_on: [{service: ledger, kind: hard}, {service: fraud-score, kind: soft}], integrations: [{type: generic, key: gen-payments-api}]}
  - {id: ledger,        owner: payments, depends_on: [{service: db-proxy, kind: hard}], integrations: [{type: generic, key: gen-ledger}]}
  - {id: fraud-score,   owner: payments, depends_on: [{service: feature-store, kind: hard}], integrations: [{type: generic, key: gen-fraud-score}]}
  - {id: invoices,      owner: payments, depends_on: [{service: object-store, kind: hard}, {service: ledger, kind: soft}], integrations: [{type: generic, key: gen-invoices}]}
  - {id: feature-store, owner: payments, depends_on: [{service: cache, kind: hard}], integrations: [{type: generic, key: gen-feature-store}]}
  # discovery
  - {id: search,          owner: discovery, depends_on: [{service: search-index, kind: hard}], integrations: [{type: generic, key: gen-search}]}
  - {id: search-index,    owner: discovery, depends_on: [{service: object-store, kind: hard}], integrations: [{type: generic, key: gen-search-index}]}
  - {id: catalog,         owner: discovery, depends_on: [{service: db-proxy, kind: hard}], integrations: [{type: generic, key: gen-catalog}]}
  - {id: recommendations, owner: discovery, depends_on: [{service: feature-store, kind: hard}, {service: catalog, kind: soft}], integrations: [{type: generic, key: gen-recommendations}]}
  - {id: image-resizer,   owner: discovery, depends_on: [{service: object-store, kind: hard}], integrations: [{type: generic, key: gen-image-resizer}]}
  # identity
  - {id: auth,     owner: identity, depends_on: [{service: accounts, kind: hard}], integrations: [{type: generic, key: gen-auth}]}
  - {id: accounts, owner: identity, depends_on: [{service: db-proxy, kind: hard}], integrations: [{type: generic, key: gen-accounts}]}
  - {id: sessions, owner: identity, depends_on: [{service: cache, kind: hard}], integrations: [{type: generic, key: gen-sessions}]}
  - {id: sso,      owner: identity, integrations: [{type: generic, key: gen-sso}]}
  # backoffice
  - {id: notifications, owner: backoffice, depends_on: [{service: message-queue, kind: hard}], integrations: [{type: generic, key: gen-notifications}]}
  - {id: email-sender,  owner: backoffice, depends_on: [{service: notifications, kind: hard}], integrations: [{type: generic, key: gen-email-sender}]}
  - {id: reporting,     owner: backoffice, depends_on: [{service: warehouse, kind: hard}], integrations: [{type: generic, key: gen-reporting}]}
  - {id: warehouse,     owner: backoffice, integrations: [{type: generic, key: gen-warehouse}]}
  - {id: hr-portal,     owner: backoffice, depends_on: [{service: hr-db, kind: hard}], integrations: [{type: generic, key: gen-hr-portal}]}
  - {id: hr-db,         owner: backoffice, integrations: [{type: generic, key: gen-hr-db}]}
`

func loadProofOrg(t *testing.T, hook string) *config.Bundle {
	t.Helper()
	l := config.LoadBytes("proof.yaml", []byte(strings.ReplaceAll(proofOrg, "HOOK", hook)))
	if len(l.Problems) > 0 {
		t.Fatalf("the proof organisation is invalid: %v", l.Problems)
	}
	if n := len(l.Bundle.Services); n != 32 {
		t.Fatalf("%d services, want 32", n)
	}
	return &l.Bundle
}

// pageLog records the deliveries of each tick: pages due in one tick go
// out concurrently, so order is checked between ticks, and within one as
// a set.
type pageLog struct {
	h     *harness
	seen  int
	ticks []string
}

// tick runs what is due and records who was paged, for which incident
// (named by the service it was opened on), as "label: user(service) ...".
func (l *pageLog) tick(label string) {
	l.h.t.Helper()
	l.h.tick()
	l.h.recv.mu.Lock()
	fresh := l.h.recv.got[l.seen:]
	l.seen = len(l.h.recv.got)
	l.h.recv.mu.Unlock()
	var pages []string
	for _, d := range fresh {
		inc, _ := d.Body["incident"].(map[string]any)
		pages = append(pages, fmt.Sprintf("%s(%v)", strings.TrimPrefix(d.Path, "/"), inc["service"]))
	}
	sort.Strings(pages)
	l.ticks = append(l.ticks, strings.TrimSpace(label+": "+strings.Join(pages, " ")))
}

// expect compares the whole sequence of ticks.
func (l *pageLog) expect(want ...string) {
	l.h.t.Helper()
	if strings.Join(l.ticks, "\n") != strings.Join(want, "\n") {
		l.h.t.Fatalf("pages tick by tick:\n%s\nwant:\n%s", strings.Join(l.ticks, "\n"), strings.Join(want, "\n"))
	}
}

// TestSilentDatabaseProxyBecomesOneMajorIncident is the end-to-end proof of the
// incident-response model on a realistic organisation.
//
// Wednesday 2026-11-25 09:00 UTC is 10:00 in Berlin, 04:00 in New York,
// 14:30 in Kolkata, 18:00 in Tokyo, 20:00 in Sydney and 06:00 in São
// Paulo. On call then, worked out from the schedules:
//
//	payments   priya  daily from 2026-11-01 09:00 IST: 24 handoffs by 25 Nov 09:00, 24 mod 2 = 0
//	commerce   cora   weekly from 2026-10-05 09:00 EDT, 09:00 EST after 1 Nov: 7 handoffs by 23 Nov, 7 mod 3 = 1
//	discovery  kenji  weekly from 2026-11-02 10:00 JST: 3 handoffs by 23 Nov, 3 mod 3 = 0
//	backoffice bruno  weekly from 2026-11-09 08:00 BRT: 2 handoffs by 23 Nov, 2 mod 2 = 0
//	irt-revenue iris  weekly from 2026-11-16 09:00 CET: 1 handoff by 23 Nov, 1 mod 2 = 1
//	irt-global gina   the emea layer covers 08:00-16:00 Berlin (10:00 now); amer
//	                  (04:00 New York) and apac (20:00 Sydney) do not
//
// Storage was deployed at 08:52. From 09:00 alerts arrive, 30 seconds
// apart, on payments-api (payments), orders (commerce), ledger (payments),
// search-index (discovery) and cart (commerce); storage and db-proxy stay
// silent. hr-portal, linked to none of them, alerts at 09:00:45.
//
// Storage is a hub (17 of the 32 services need it): sharing it, or its
// deploy, joins nothing. orders shares db-proxy with payments-api, which
// shows no sign of trouble yet: the two are only related. Once ledger,
// orders and cart, each failing on its own, all need db-proxy, db-proxy is
// shown failing: cart joins the incident, orders' incident is merged into
// it, and db-proxy becomes its first suspect. search-index, which shares
// only storage with them, keeps an incident of its own.
func TestSilentDatabaseProxyBecomesOneMajorIncident(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	deploy := t0.Add(-8 * time.Minute)
	h := newHarness(t, deploy)
	h.apply(loadProofOrg(t, h.recv.srv.URL))
	log := &pageLog{h: h}

	// The deploy arrives as a change event through the inbox, as from CI.
	change, _ := json.Marshal(ingest.ChangeEvent{Summary: "storage 4.2.0 deployed", Source: "ci", Timestamp: deploy,
		Links: []ingest.Link{{Href: "https://ci.example.com/storage/4.2.0", Text: "pipeline"}}})
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{{ReceivedAt: deploy, Kind: store.InboxChange,
		IntegrationKey: "5707a6e05707a6e05707a6e05707a6e0", Service: "storage", Payload: change}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Processor.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	changes, err := h.store.ListChanges(h.ctx, store.ChangeQuery{Services: []string{"storage"}, Limit: 10})
	if err != nil || len(changes) != 1 {
		t.Fatalf("storage changes = %+v, %v", changes, err)
	}
	deployID := changes[0].ID

	h.clock.Add(8 * time.Minute) // 09:00:00
	h.alertOn("payments-api", "p99")
	log.tick("09:00:00 payments-api")
	h.clock.Add(30 * time.Second)
	h.alertOn("orders", "5xx")
	log.tick("09:00:30 orders")
	h.clock.Add(15 * time.Second)
	h.alertOn("hr-portal", "down") // unrelated
	log.tick("09:00:45 hr-portal")
	h.clock.Add(15 * time.Second)
	h.alertOn("ledger", "timeouts")
	log.tick("09:01:00 ledger")
	h.clock.Add(30 * time.Second)
	h.alertOn("search-index", "stale")
	log.tick("09:01:30 search-index")
	h.clock.Add(30 * time.Second)
	h.alertOn("cart", "errors")
	log.tick("09:02:00 cart")
	// Nobody acknowledges: each incident's escalation policy runs on.
	for _, at := range []time.Duration{5 * time.Minute, 5*time.Minute + 45*time.Second, 15 * time.Minute, 16 * time.Minute, time.Hour} {
		h.clock.Add(t0.Add(at).Sub(h.clock.Now()))
		log.tick(t0.Add(at).Format("15:04:05"))
	}

	log.expect(
		// payments-api opens the incident: its owner's on-call and, for a
		// revenue-critical service, its irt in parallel.
		"09:00:00 payments-api: iris(payments-api) priya(payments-api)",
		// orders only shares db-proxy (and the hub storage) with
		// payments-api: an incident of its own, related to the first.
		"09:00:30 orders: cora(orders)",
		// An incident of its own: backoffice's on-call.
		"09:00:45 hr-portal: bruno(hr-portal)",
		// ledger joins: payments-api needs it. payments' on-call is on it
		// already; ledger is critical, and its covering IRT, the global
		// one, is paged.
		"09:01:00 ledger: gina(payments-api)",
		// search-index shares only the hub with the others.
		"09:01:30 search-index: kenji(search-index)",
		// cart joins on evidence, orders' incident merges in: commerce's
		// on-call and the global IRT are on it already. Two teams make it
		// major.
		"09:02:00 cart:",
		// payments-api's policy, step 2 after 5 minutes: raj.
		"09:05:00: raj(payments-api)",
		// hr-portal's policy, step 2 five minutes after its page: bia.
		"09:05:45: bia(hr-portal)",
		// search-index's policy, step 2 after its page; orders' stopped
		// when it merged. Then every policy has run out (repeat 0).
		"09:15:00: sora(search-index)",
		"09:16:00:",
		"10:00:00:",
	)

	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered}})
	if err != nil || len(incs) != 3 {
		t.Fatalf("open incidents = %d, %v; want 3", len(incs), err)
	}
	search, hr, storm := incs[0], incs[1], incs[2] // newest first
	if got := strings.Join(storm.Services, ","); got != "payments-api,ledger,orders,cart" {
		t.Errorf("services = %s, want payments-api, ledger, orders (merged) and cart", got)
	}
	if !storm.Major || storm.Severity != "SEV2" || storm.AlertCount != 4 {
		t.Errorf("major = %v, severity %s, %d alerts; want major SEV2 with 4", storm.Major, storm.Severity, storm.AlertCount)
	}
	if storm.Roles["commander"] != "gina" {
		t.Errorf("commander = %q, want gina (the global IRT's on-call)", storm.Roles["commander"])
	}
	if len(storm.Suspects) < 2 {
		t.Fatalf("suspects = %+v, want db-proxy, then storage", storm.Suspects)
	}
	first, second := storm.Suspects[0], storm.Suspects[1]
	if first.Service != "db-proxy" || len(first.Changes) != 0 {
		t.Fatalf("first suspect = %+v, want db-proxy, which joined the incident", first)
	}
	if second.Service != "storage" || len(second.Changes) != 1 || second.Changes[0] != deployID {
		t.Fatalf("second suspect = %+v, want storage with change %d", second, deployID)
	}
	reasons := strings.Join(append(first.Reasons, second.Reasons...), "; ")
	for _, want := range []string{
		"correlation joined cart, ledger, orders, payments-api through it, on evidence that it fails",
		"changed 8 minutes before the first alert: storage 4.2.0 deployed",
	} {
		if !strings.Contains(reasons, want) {
			t.Errorf("the suspects' reasons %q lack %q", reasons, want)
		}
	}
	if hr.Major || strings.Join(hr.Services, ",") != "hr-portal" || hr.Roles["commander"] != "" || len(hr.Related) != 0 {
		t.Errorf("unrelated incident = services %v, major %v, roles %v, related %v; want hr-portal alone, not major", hr.Services, hr.Major, hr.Roles, hr.Related)
	}
	if search.Major || strings.Join(search.Services, ",") != "search-index" || len(search.Related) != 0 {
		t.Errorf("search-index's incident = services %v, major %v, related %v; want search-index alone, not major, related to nothing (it shares only a hub)",
			search.Services, search.Major, search.Related)
	}

	// The timeline says why the incident became major and who took command.
	tl, err := h.store.Timeline(h.ctx, storm.ID)
	if err != nil {
		t.Fatal(err)
	}
	var story []string
	for _, e := range tl {
		if e.Kind == "major" || e.Kind == "role" {
			story = append(story, e.At.Format("15:04:05")+" "+e.Message)
		}
	}
	want := []string{
		"09:00:00 critical service (payments-api): IRT irt-revenue engaged, parallel coverage; commander: iris",
		"09:02:00 major incident: correlation merged alerts of 4 services owned by 2 teams (commerce, payments)",
		"09:02:00 commander: gina (global IRT irt-global), taking over from iris",
	}
	if strings.Join(story, "\n") != strings.Join(want, "\n") {
		t.Errorf("major and role entries:\n%s\nwant:\n%s", strings.Join(story, "\n"), strings.Join(want, "\n"))
	}
	var already []string
	for _, e := range tl {
		if strings.Contains(e.Message, "already responding") {
			already = append(already, e.Message)
		}
	}
	wantAlready := []string{
		"owner of ledger: nobody paged; already responding: priya",
		"owner of cart: nobody paged; already responding: cora",
	}
	if strings.Join(already, "\n") != strings.Join(wantAlready, "\n") {
		t.Errorf("entries of people not paged twice:\n%s\nwant:\n%s", strings.Join(already, "\n"), strings.Join(wantAlready, "\n"))
	}
}
