// The dependency graph drawn as inline SVG from a layout (layout.js): a
// service sits above the services it depends on.

import {s} from './dom.js';

let graphCount = 0;

// drawGraph draws a layout as SVG. Each node links to its service page;
// critical services and the current one are marked by class (and said in
// the node's accessible name, not by colour alone).
export function drawGraph(g, {critical = new Set(), current = null, label = 'Dependency graph'} = {}) {
  // One arrowhead per kind of edge, as light as its line; ids are unique
  // per drawing, as a page may hold several.
  const serial = ++graphCount;
  const marker = (kind) => s('marker', {id: `arrow-${kind}-${serial}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
    s('path', {d: 'M0,0 L10,5 L0,10 z', class: `arrow-head arrow-head-${kind}`}));
  return s('svg', {
    class: 'graph', role: 'group', 'aria-label': label,
    viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height,
  },
  s('defs', null, marker('hard'), marker('soft')),
  s('g', {class: 'edges'}, g.edges.map((e) => {
    const kind = e.kind === 'soft' ? 'soft' : 'hard';
    return s('path', {d: e.d, class: `edge edge-${kind}`, 'marker-end': `url(#arrow-${kind}-${serial})`,
      'data-from': e.from, 'data-to': e.to},
    s('title', null, `${e.from} needs ${e.to} (${kind})`));
  })),
  s('g', {class: 'nodes'}, g.nodes.map((n) => {
    const classes = ['node'];
    const words = [n.label];
    if (critical.has(n.id)) { classes.push('critical'); words.push('critical'); }
    if (n.id === current) { classes.push('current'); words.push('this service'); }
    return s('a', {href: `/services/${encodeURIComponent(n.id)}`, class: classes.join(' '), 'data-service': n.id, 'aria-label': words.join(', ')},
      s('rect', {x: n.x, y: n.y, width: n.w, height: n.h, rx: 7}),
      s('text', {x: n.x + n.w / 2, y: n.y + n.h / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central'}, n.label));
  })));
}

// neighbourhood is the ids reachable from id along dependencies and along
// dependents (both transitively): what a service page draws.
export function neighbourhood(id, edges) {
  const seen = new Set([id]);
  for (const [a, b] of [['from', 'to'], ['to', 'from']]) {
    const stack = [id];
    const mine = new Set([id]);
    while (stack.length) {
      const cur = stack.pop();
      for (const e of edges) {
        if (e[a] === cur && !mine.has(e[b])) {
          mine.add(e[b]);
          seen.add(e[b]);
          stack.push(e[b]);
        }
      }
    }
  }
  return seen;
}

// edgesOf lists the dependency edges of services as the API shows them.
export function edgesOf(services) {
  const out = [];
  for (const svc of services) {
    for (const d of svc.depends_on || []) out.push({from: svc.id, to: d.service, kind: d.kind});
  }
  return out;
}
