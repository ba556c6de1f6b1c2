// The dependency graph: a small layered layout (pure) and its drawing as
// inline SVG. A service sits above the services it depends on.

import {s} from './dom.js';

export const NODE_HEIGHT = 36;
const LAYER_GAP = 56;
const NODE_GAP = 24;
const PAD = 12;
const CHAR_WIDTH = 7.4; // a generous estimate for the 13px UI font

export function nodeWidth(label) {
  return Math.max(88, Math.ceil(label.length * CHAR_WIDTH) + 28);
}

// layers gives each node its layer: 0 for services nothing depends on,
// else one below the lowest service that depends on it (longest path), so
// every edge points downwards. Edges that close a cycle are ignored for
// layering; they are still drawn.
export function layers(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (out.has(e.from) && out.has(e.to) && e.from !== e.to) out.get(e.from).push(e.to);
  }
  for (const list of out.values()) list.sort();
  // Depth-first search in id order marks the edges that close a cycle.
  const state = new Map(); // 1 on the stack, 2 done
  const back = new Set();
  const order = []; // reverse post-order: a topological order of the DAG
  const visit = (id) => {
    state.set(id, 1);
    for (const to of out.get(id)) {
      if (state.get(to) === 1) back.add(`${id}\u0000${to}`);
      else if (!state.has(to)) visit(to);
    }
    state.set(id, 2);
    order.push(id);
  };
  for (const id of [...ids].sort()) if (!state.has(id)) visit(id);
  order.reverse();
  const layer = new Map(ids.map((id) => [id, 0]));
  for (const id of order) {
    for (const to of out.get(id)) {
      if (back.has(`${id}\u0000${to}`)) continue;
      layer.set(to, Math.max(layer.get(to), layer.get(id) + 1));
    }
  }
  return layer;
}

// layout places nodes [{id, label}] and edges [{from, to, kind}] (from
// depends on to). Within a layer, nodes are ordered by the mean position of
// their neighbours in the layer above, then below, then above again, which
// removes most crossings in graphs of the size teams draw; ties go by id.
export function layout(nodes, edges) {
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const es = edges.filter((e) => known.has(e.from) && known.has(e.to));
  const layer = layers(ids, es);
  const depth = Math.max(0, ...layer.values()) + 1;
  const rows = Array.from({length: depth}, () => []);
  for (const id of [...ids].sort()) rows[layer.get(id)].push(id);

  const pos = new Map();
  const index = () => rows.forEach((row) => row.forEach((id, i) => pos.set(id, i)));
  index();
  const up = new Map(ids.map((id) => [id, []]));
  const down = new Map(ids.map((id) => [id, []]));
  for (const e of es) {
    if (e.from === e.to) continue;
    down.get(e.from).push(e.to);
    up.get(e.to).push(e.from);
  }
  const sortRow = (row, neighbours) => {
    const key = new Map(row.map((id) => {
      const ns = neighbours.get(id).filter((n) => layer.get(n) !== layer.get(id));
      const mean = ns.length ? ns.reduce((sum, n) => sum + pos.get(n), 0) / ns.length : pos.get(id);
      return [id, mean];
    }));
    row.sort((a, b) => key.get(a) - key.get(b) || (a < b ? -1 : a > b ? 1 : 0));
    row.forEach((id, i) => pos.set(id, i));
  };
  for (let i = 1; i < depth; i++) sortRow(rows[i], up);
  for (let i = depth - 2; i >= 0; i--) sortRow(rows[i], down);
  for (let i = 1; i < depth; i++) sortRow(rows[i], up);

  const label = new Map(nodes.map((n) => [n.id, n.label || n.id]));
  const rowWidth = (row) => row.reduce((w, id) => w + nodeWidth(label.get(id)), 0) + NODE_GAP * Math.max(0, row.length - 1);
  const width = Math.max(0, ...rows.map(rowWidth)) + 2 * PAD;
  const placed = new Map();
  rows.forEach((row, li) => {
    let x = (width - rowWidth(row)) / 2;
    row.forEach((id, order) => {
      const w = nodeWidth(label.get(id));
      placed.set(id, {id, label: label.get(id), layer: li, order, x, y: PAD + li * (NODE_HEIGHT + LAYER_GAP), w, h: NODE_HEIGHT});
      x += w + NODE_GAP;
    });
  });
  const height = depth * NODE_HEIGHT + (depth - 1) * LAYER_GAP + 2 * PAD;
  return {
    width,
    height,
    nodes: ids.map((id) => placed.get(id)),
    edges: es.map((e) => ({...e, d: edgePath(placed.get(e.from), placed.get(e.to))})),
  };
}

// edgePath is a curve from a dependent's bottom to its dependency's top
// (or the other way round for an edge that closes a cycle).
function edgePath(a, b) {
  const r = (v) => Math.round(v * 10) / 10;
  if (a.id === b.id) {
    const x = a.x + a.w, y = a.y + a.h / 2;
    return `M${r(x)},${r(y - 8)} C${r(x + 30)},${r(y - 24)} ${r(x + 30)},${r(y + 24)} ${r(x)},${r(y + 8)}`;
  }
  const x1 = a.x + a.w / 2;
  const x2 = b.x + b.w / 2;
  let y1 = a.y + a.h;
  let y2 = b.y;
  if (b.layer <= a.layer) {
    y1 = a.y;
    y2 = b.y + b.h;
  }
  const bend = (y2 - y1) / 2;
  return `M${r(x1)},${r(y1)} C${r(x1)},${r(y1 + bend)} ${r(x2)},${r(y2 - bend)} ${r(x2)},${r(y2)}`;
}

let graphCount = 0;

// drawGraph draws a layout as SVG. Each node links to its service page;
// critical services and the current one are marked by class (and said in
// the node's accessible name, not by colour alone).
export function drawGraph(g, {critical = new Set(), current = null, label = 'Dependency graph'} = {}) {
  const marker = `arrow-${++graphCount}`;
  return s('svg', {
    class: 'graph', role: 'group', 'aria-label': label,
    viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height,
  },
  s('defs', null,
    s('marker', {id: marker, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
      s('path', {d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head'}))),
  s('g', {class: 'edges'}, g.edges.map((e) =>
    s('path', {d: e.d, class: `edge edge-${e.kind === 'soft' ? 'soft' : 'hard'}`, 'marker-end': `url(#${marker})`,
      'data-from': e.from, 'data-to': e.to},
    s('title', null, `${e.from} needs ${e.to} (${e.kind === 'soft' ? 'soft' : 'hard'})`)))),
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
