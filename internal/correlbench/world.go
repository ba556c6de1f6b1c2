// Package correlbench measures how well correlation groups alerts: it
// generates companies of realistic shape, injects failures into them,
// feeds the alerts through the real pipeline and scores the incidents that
// come out against what was injected, for the pipeline's own correlation
// rule and for the baselines it must beat.
package correlbench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
)

// A generated company:
//
//   - a few hubs (storage, authentication, DNS, a secrets store) that most
//     services need, owned by one platform team;
//   - every other service in one of five layers (edge, API, domain, core,
//     data) and one of many domains of about domainSize services; a service
//     needs one to three services of the next layer down (sometimes two
//     down), mostly of its own domain;
//   - a quarter of the edges soft; a few pairs of services of one layer and
//     domain call each other, closing cycles;
//   - teams of three to six services (up to eight at the end of a domain),
//     cut from each domain in layer order, each with one person on call.
const (
	domainSize  = 25
	hardShare   = 0.75
	crossDomain = 0.2
	skipLayer   = 0.15
	backEdge    = 0.03
)

// layerShares is the share of the non-hub services in each layer, top down.
var layerShares = []float64{0.15, 0.25, 0.25, 0.2, 0.15}

// hubs are the dependencies most services share: each is needed by every
// service with its probability, by a hard edge unless soft.
var hubs = []struct {
	id   string
	p    float64
	soft bool
}{
	{"hub-dns", 0.85, false},
	{"hub-auth", 0.7, false},
	{"hub-storage", 0.6, false},
	{"hub-secrets", 0.6, true},
}

// Names of what every generated company has.
const (
	GlobalIRT     = "global-irt"
	GlobalIRTUser = "irt-oncall"
	platformTeam  = "platform"
	hookURL       = "http://127.0.0.1:9/page"
)

// World is a generated company: its configuration and what the generator
// knows about it.
type World struct {
	Bundle *config.Bundle
	// Services are the ids of every service; Hubs those of the hubs.
	Services []string
	Hubs     []string
	// Owner maps a service to its team.
	Owner map[string]string
	// up lists, by service, the services that need it: hard and soft.
	up map[string][]dependent
}

type dependent struct {
	service string
	hard    bool
}

// NewWorld generates a company of n services (at least 50) from a seed.
func NewWorld(n int, seed uint64) *World {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	rest := n - len(hubs)
	// Ids carry no order of layer or domain: suspects tied on score are
	// ranked by id, which must not give the benchmark away.
	perm := rng.Perm(rest)
	width := len(fmt.Sprint(rest))
	domains := max(1, (rest+domainSize-1)/domainSize)

	// layer[l][d] lists the services of layer l in domain d.
	layer := make([][][]int, len(layerShares))
	layerOf := make([]int, rest)
	domainOf := make([]int, rest)
	next := 0
	for l, share := range layerShares {
		layer[l] = make([][]int, domains)
		count := int(share * float64(rest))
		if l == len(layerShares)-1 {
			count = rest - next
		}
		for k := range count {
			i := next + k
			d := k % domains
			layer[l][d] = append(layer[l][d], i)
			layerOf[i], domainOf[i] = l, d
		}
		next += count
	}
	ids := make([]string, rest)
	for i := range rest {
		ids[i] = fmt.Sprintf("s%0*d", width, perm[i])
	}
	pick := func(l, d int) (int, bool) {
		if rng.Float64() < crossDomain || len(layer[l][d]) == 0 {
			d = rng.IntN(domains)
		}
		for range domains { // an empty domain slice: look at the next
			if c := layer[l][d]; len(c) > 0 {
				return c[rng.IntN(len(c))], true
			}
			d = (d + 1) % domains
		}
		return 0, false
	}
	edge := func(to string, hardP float64) catalog.Dependency {
		kind := catalog.Soft
		if rng.Float64() < hardP {
			kind = catalog.Hard
		}
		return catalog.Dependency{Service: to, Kind: kind}
	}

	w := &World{Owner: map[string]string{}, up: map[string][]dependent{}}
	services := make([]catalog.Service, 0, n)
	for i := range rest {
		l, d := layerOf[i], domainOf[i]
		var deps []catalog.Dependency
		add := func(dep catalog.Dependency) {
			if dep.Service == ids[i] || slices.ContainsFunc(deps, func(x catalog.Dependency) bool { return x.Service == dep.Service }) {
				return
			}
			deps = append(deps, dep)
		}
		if l+1 < len(layer) {
			for range 1 + rng.IntN(3) {
				below := l + 1
				if below+1 < len(layer) && rng.Float64() < skipLayer {
					below++
				}
				if j, ok := pick(below, d); ok {
					add(edge(ids[j], hardShare))
				}
			}
		}
		for _, h := range hubs {
			if rng.Float64() < h.p {
				kind := catalog.Hard
				if h.soft {
					kind = catalog.Soft
				}
				add(catalog.Dependency{Service: h.id, Kind: kind})
			}
		}
		services = append(services, catalog.Service{ID: ids[i], DependsOn: deps})
	}

	// Cycles: a few pairs of services of one layer and domain call each
	// other.
	for i := range rest {
		peers := layer[layerOf[i]][domainOf[i]]
		if rng.Float64() >= backEdge || len(peers) < 2 {
			continue
		}
		j := peers[rng.IntN(len(peers))]
		if j == i || slices.ContainsFunc(services[i].DependsOn, func(d catalog.Dependency) bool { return d.Service == ids[j] }) {
			continue
		}
		services[i].DependsOn = append(services[i].DependsOn, edge(ids[j], hardShare))
		services[j].DependsOn = append(services[j].DependsOn, edge(ids[i], hardShare))
	}

	// Teams: each domain's services in layer order, cut into runs of three
	// to six.
	b := &config.Bundle{}
	addTeam := func(id string, kind string, user string) {
		b.Users = append(b.Users, catalog.User{ID: user, TimeZone: "UTC",
			ContactMethods:    []catalog.ContactMethod{{ID: user + "-hook", Type: catalog.MethodWebhook, URL: hookURL}},
			NotificationRules: []catalog.NotificationRule{{ContactMethod: user + "-hook"}}})
		b.Teams = append(b.Teams, catalog.Team{ID: id, Kind: kind, TimeZone: "UTC", Members: []string{user}, EscalationPolicy: id})
		b.EscalationPolicies = append(b.EscalationPolicies, escalation.Policy{ID: id, Steps: []escalation.Step{
			{Targets: []escalation.Target{{User: user}}, EscalateAfter: duration.Duration(30 * time.Minute)},
		}})
	}
	for d := range domains {
		var members []int
		for l := range layer {
			members = append(members, layer[l][d]...)
		}
		for t := 0; len(members) > 0; t++ {
			size := 3 + rng.IntN(4)
			if len(members)-size < 3 { // no team of one or two
				size = len(members)
			}
			team := fmt.Sprintf("t%d-%d", d, t)
			addTeam(team, catalog.KindDev, "u-"+team)
			for _, i := range members[:size] {
				services[i].Owner = team
			}
			members = members[size:]
		}
	}
	addTeam(platformTeam, catalog.KindDev, "u-"+platformTeam)
	addTeam(GlobalIRT, catalog.KindGlobalIRT, GlobalIRTUser)
	for _, h := range hubs {
		services = append(services, catalog.Service{ID: h.id, Owner: platformTeam})
		w.Hubs = append(w.Hubs, h.id)
	}
	for i := range services {
		s := &services[i]
		s.Integrations = []catalog.Integration{{Type: catalog.IntegrationGeneric, Key: IntegrationKey(s.ID)}}
		w.Services = append(w.Services, s.ID)
		w.Owner[s.ID] = s.Owner
		for _, dep := range s.DependsOn {
			w.up[dep.Service] = append(w.up[dep.Service], dependent{s.ID, dep.Kind == catalog.Hard})
		}
	}
	b.Services = services
	w.Bundle = b
	return w
}

// IntegrationKey is the key a generated service's alerts arrive on.
func IntegrationKey(service string) string { return "k-" + service }

// Affected returns what a failure of root reaches, the way failures travel:
// everything that needs it through hard edges, any distance (failed), and
// the soft dependents of those and of root, one hop (degraded). Neither
// list holds root.
func (w *World) Affected(root string) (failed, degraded []string) {
	seen := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, d := range w.up[cur] {
			if d.hard && !seen[d.service] {
				seen[d.service] = true
				failed = append(failed, d.service)
				queue = append(queue, d.service)
			}
		}
	}
	soft := map[string]bool{}
	for _, s := range append([]string{root}, failed...) {
		for _, d := range w.up[s] {
			if !d.hard && !seen[d.service] && !soft[d.service] {
				soft[d.service] = true
				degraded = append(degraded, d.service)
			}
		}
	}
	slices.Sort(failed)
	slices.Sort(degraded)
	return failed, degraded
}
