package catalog

import (
	"cmp"
	"slices"
)

// Graph is the dependency graph between services, with each service's
// derived criticality. It is immutable once built, so any number of
// goroutines may read it at once; a changed catalog gets a new Graph.
//
// The graph is lenient about what validation reports elsewhere: edges to
// unknown services are ignored, a repeated service id keeps its first
// definition, an edge repeated with both kinds counts as hard, and any kind
// other than "hard" is treated as "soft". Self-edges and cycles are allowed.
type Graph struct {
	// ids is sorted, so ordering services by index orders them by id.
	ids   []string
	index map[string]int
	out   [][]edge // depends_on edges, ordered by target
	in    [][]edge // the same edges reversed, ordered by source
	// parent is the previous service on each service's critical path, or
	// one of the sentinels below.
	parent []int
}

// edge points at another service by index: the dependency in Graph.out, the
// dependent in Graph.in.
type edge struct {
	peer int
	hard bool
}

const (
	notCritical     = -1
	revenueCritical = -2
)

// NewGraph builds the graph of services and derives the criticality of every
// service in a single breadth-first search, in time linear in the size of
// the graph (plus sorting the edges).
func NewGraph(services []Service) *Graph {
	first := make(map[string]int, len(services)) // id -> position in services
	ids := make([]string, 0, len(services))
	for i, s := range services {
		if _, seen := first[s.ID]; seen {
			continue
		}
		first[s.ID] = i
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)

	g := &Graph{
		ids:    ids,
		index:  make(map[string]int, len(ids)),
		out:    make([][]edge, len(ids)),
		in:     make([][]edge, len(ids)),
		parent: make([]int, len(ids)),
	}
	for i, id := range ids {
		g.index[id] = i
	}

	inDegree := make([]int, len(ids))
	for i, id := range ids {
		deps := services[first[id]].DependsOn
		out := make([]edge, 0, len(deps))
		for _, d := range deps {
			to, ok := g.index[d.Service]
			if !ok {
				continue
			}
			out = append(out, edge{peer: to, hard: d.Kind == Hard})
		}
		// Hard before soft for the same target, so compacting keeps the
		// stronger edge.
		slices.SortFunc(out, func(a, b edge) int {
			if c := cmp.Compare(a.peer, b.peer); c != 0 {
				return c
			}
			return compareBool(b.hard, a.hard)
		})
		out = slices.CompactFunc(out, func(a, b edge) bool { return a.peer == b.peer })
		g.out[i] = slices.Clip(out)
		for _, e := range out {
			inDegree[e.peer]++
		}
	}
	// Walking sources in index order fills each reverse list already sorted.
	for to, n := range inDegree {
		g.in[to] = make([]edge, 0, n)
	}
	for from, out := range g.out {
		for _, e := range out {
			g.in[e.peer] = append(g.in[e.peer], edge{peer: from, hard: e.hard})
		}
	}

	g.deriveCriticality(services, first)
	return g
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// deriveCriticality runs one breadth-first search over hard edges from all
// revenue-critical services at once. The first path to reach a service is
// then a shortest one, and the lexicographically smallest among those: the
// search starts from the roots in id order, expands each level in the order
// of its members' own paths, and follows each service's edges in id order,
// so services are discovered in the lexicographic order of their paths.
func (g *Graph) deriveCriticality(services []Service, first map[string]int) {
	queue := make([]int, 0, len(g.ids))
	for i, id := range g.ids {
		if services[first[id]].RevenueCritical {
			g.parent[i] = revenueCritical
			queue = append(queue, i)
		} else {
			g.parent[i] = notCritical
		}
	}
	for head := 0; head < len(queue); head++ {
		from := queue[head]
		for _, e := range g.out[from] {
			if !e.hard || g.parent[e.peer] != notCritical {
				continue
			}
			g.parent[e.peer] = from
			queue = append(queue, e.peer)
		}
	}
}

// IDs returns every service of the graph, sorted.
func (g *Graph) IDs() []string { return slices.Clone(g.ids) }

// Has reports whether the graph knows the service.
func (g *Graph) Has(id string) bool {
	_, ok := g.index[id]
	return ok
}

// Criticality reports whether the service is critical and why: the path of
// service ids along hard edges from a revenue-critical service down to this
// one. The path is the shortest such path, ties going to the
// lexicographically smallest; it is [id] for a revenue-critical service and
// empty (not nil, so that it encodes as []) for a service that is not
// critical or not known.
func (g *Graph) Criticality(id string) (critical bool, because []string) {
	i, ok := g.index[id]
	if !ok || g.parent[i] == notCritical {
		return false, []string{}
	}
	for ; i != revenueCritical; i = g.parent[i] {
		because = append(because, g.ids[i])
	}
	slices.Reverse(because)
	return true, because
}

// Dependencies returns the services id depends on directly, sorted by id.
// A self-edge is listed like any other.
func (g *Graph) Dependencies(id string) []Dependency {
	i, ok := g.index[id]
	if !ok {
		return []Dependency{}
	}
	return g.dependencies(g.out[i])
}

// Dependents returns the services that depend on id directly, with the kind
// of their edge, sorted by id. A self-edge is listed like any other.
func (g *Graph) Dependents(id string) []Dependency {
	i, ok := g.index[id]
	if !ok {
		return []Dependency{}
	}
	return g.dependencies(g.in[i])
}

func (g *Graph) dependencies(edges []edge) []Dependency {
	deps := make([]Dependency, len(edges))
	for k, e := range edges {
		kind := Soft
		if e.hard {
			kind = Hard
		}
		deps[k] = Dependency{Service: g.ids[e.peer], Kind: kind}
	}
	return deps
}

// BlastRadius returns every service that transitively depends on id, that
// is every service an outage of id may take down, sorted. With hardOnly it
// follows hard edges only. The service itself is never listed, even when a
// cycle leads back to it: the blast radius is what else is hit.
func (g *Graph) BlastRadius(id string, hardOnly bool) []string {
	return g.walk(id, g.in, hardOnly)
}

// Reachable returns every service id transitively depends on, through edges
// of any kind, sorted; id itself is never listed.
func (g *Graph) Reachable(id string) []string {
	return g.walk(id, g.out, false)
}

// HardReachable returns every service id transitively depends on through
// hard edges only, sorted; id itself is never listed. These are the services
// without which id cannot work.
func (g *Graph) HardReachable(id string) []string {
	return g.walk(id, g.out, true)
}

// walk returns the ids of the services reachable from id along adjacency,
// excluding id itself, sorted.
func (g *Graph) walk(id string, adjacency [][]edge, hardOnly bool) []string {
	start, ok := g.index[id]
	if !ok {
		return []string{}
	}
	seen := make([]bool, len(g.ids))
	g.search(seen, start, adjacency, hardOnly, -1)
	seen[start] = false
	// Scanning in index order yields the ids already sorted.
	found := []string{}
	for i, s := range seen {
		if s {
			found = append(found, g.ids[i])
		}
	}
	return found
}

// Linked reports whether one of the two services depends on the other,
// directly or transitively, through edges of any kind. A known service is
// linked to itself; an unknown one is linked to nothing. Services that only
// share a dependency are not linked.
func (g *Graph) Linked(a, b string) bool {
	ia, okA := g.index[a]
	ib, okB := g.index[b]
	if !okA || !okB {
		return false
	}
	if ia == ib {
		return true
	}
	return g.reaches(ia, ib) || g.reaches(ib, ia)
}

// reaches reports whether to is reachable from from along depends_on edges.
func (g *Graph) reaches(from, to int) bool {
	return g.search(make([]bool, len(g.ids)), from, g.out, false, to)
}

// search goes depth first from start along adjacency (hard edges only
// with hardOnly), marking in seen, which is as long as ids and all false,
// start and each service it reaches. It stops at stop, reporting that it
// reached it; -1 stops nowhere.
func (g *Graph) search(seen []bool, start int, adjacency [][]edge, hardOnly bool, stop int) bool {
	seen[start] = true
	stack := []int{start}
	for len(stack) > 0 {
		from := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range adjacency[from] {
			if seen[e.peer] || (hardOnly && !e.hard) {
				continue
			}
			if e.peer == stop {
				return true
			}
			seen[e.peer] = true
			stack = append(stack, e.peer)
		}
	}
	return false
}

// Related groups the given services so that linked services (see Linked)
// share a group, transitively: if a is linked to b and b to c, all three are
// in one group even when a and c are not linked. This is how the alerts of
// several services are correlated into incidents. Each group is sorted,
// groups are ordered by their first id, repeated ids count once, and an
// unknown id forms a group of its own.
func (g *Graph) Related(ids []string) [][]string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)

	// position of each known given service among ids, by graph index
	position := make(map[int]int, len(ids))
	for k, id := range ids {
		if i, ok := g.index[id]; ok {
			position[i] = k
		}
	}
	groups := newUnionFind(len(ids))
	seen := make([]bool, len(g.ids))
	for k, id := range ids {
		start, ok := g.index[id]
		if !ok {
			continue
		}
		clear(seen)
		g.search(seen, start, g.out, false, -1)
		for i, other := range position {
			if seen[i] && i != start {
				groups.union(k, other)
			}
		}
	}

	byRoot := make(map[int]int) // union-find root -> index in result
	var result [][]string
	// ids is sorted, so groups appear in the order of their first id and
	// fill up in sorted order.
	for k, id := range ids {
		root := groups.find(k)
		at, ok := byRoot[root]
		if !ok {
			at = len(result)
			byRoot[root] = at
			result = append(result, nil)
		}
		result[at] = append(result[at], id)
	}
	if result == nil {
		return [][]string{}
	}
	return result
}

// unionFind is a disjoint-set forest over 0..n-1.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]] // path halving
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u[rb] = ra
	}
}
