// A layered (Sugiyama-style) layout of a directed graph, pure: no DOM, no
// clock. A node sits above the nodes it points to.
//
//  1. Layers by longest path: a node is one layer below the lowest node
//     that points to it. Edges that close a cycle are turned round for
//     the layout (and drawn pointing the right way).
//  2. An edge that spans several layers gets a dummy node in each layer
//     it crosses, so that it passes through a row between boxes, never
//     through one.
//  3. Crossing reduction: barycentre sweeps down and up, then swaps of
//     neighbours that remove crossings, keeping the best order seen.
//  4. Coordinates: each row is pulled towards its neighbours' positions
//     (a least-squares fit that keeps the gaps, solved exactly per row),
//     with dummies weighted so that long edges run straight.
//  5. Each edge is a path from a port on its source's bottom through its
//     dummies to a port on its target's top: curves in the gaps between
//     rows, straight lines through rows.

export const NODE_HEIGHT = 36;
export const LAYER_GAP = 64;
export const PAD = 12;
const NODE_GAP = 28; // between two boxes in a row
const DUMMY_GAP = 14; // between an edge passing through a row and what is beside it
const LOOP = 26; // room on a box's right for an edge to itself
const CHAR_WIDTH = 7.4; // a generous estimate for the 13px UI font
const PORT_GAP = 10; // between two edges leaving or entering one side of a box
const SWEEPS = 24;
const PATIENCE = 4; // sweeps without a better order before giving up
const PLACEMENT_ROUNDS = 8;
const DUMMY_WEIGHT = 4;

export function nodeWidth(label) {
  return Math.max(88, Math.ceil(label.length * CHAR_WIDTH) + 28);
}

const byString = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const pairKey = (a, b) => `${a}\u0000${b}`;

// acyclic finds, by a depth-first search in id order, the edges that close
// a cycle (back edges), and a topological order of the rest.
function acyclic(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (out.has(e.from) && out.has(e.to) && e.from !== e.to) out.get(e.from).push(e.to);
  }
  for (const list of out.values()) list.sort(byString);
  const state = new Map(); // 1 on the stack, 2 done
  const back = new Set();
  const order = []; // post-order; reversed below
  // An explicit stack: a long chain of services must not overflow the
  // call stack.
  for (const root of [...ids].sort(byString)) {
    if (state.has(root)) continue;
    state.set(root, 1);
    const stack = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, i] = top;
      const next = out.get(id)[i];
      if (next === undefined) {
        state.set(id, 2);
        order.push(id);
        stack.pop();
        continue;
      }
      top[1]++;
      if (state.get(next) === 1) back.add(pairKey(id, next));
      else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  order.reverse();
  return {out, back, order};
}

// layers gives each node its layer: 0 for nodes nothing points to, else
// one below the lowest node that points to it (longest path), so every
// edge points downwards. Edges that close a cycle are left out of the
// layering; the layout still draws them.
export function layers(ids, edges) {
  return rank(ids, edges).layer;
}

// rank is layers with the back edges it left out.
function rank(ids, edges) {
  const {out, back, order} = acyclic(ids, edges);
  const layer = new Map(ids.map((id) => [id, 0]));
  for (const id of order) {
    for (const to of out.get(id)) {
      if (back.has(pairKey(id, to))) continue;
      layer.set(to, Math.max(layer.get(to), layer.get(id) + 1));
    }
  }
  return {layer, back};
}

// crossingsBetween counts the crossings of the segments between two
// adjacent rows, each segment [position above, position below]: pairs
// whose ends are in opposite orders. Segments that share an end do not
// cross.
function crossingsBetween(segments) {
  const segs = [...segments].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const size = segs.reduce((m, s) => Math.max(m, s[1]), 0) + 2;
  const tree = new Array(size + 1).fill(0); // a Fenwick tree over lower positions
  let count = 0;
  let inserted = 0;
  for (const [, lower] of segs) {
    // Earlier segments start left of or at this one's start and, when at
    // the same start, end left of or at its end: those ending strictly
    // right of it cross it.
    let atOrLeft = 0;
    for (let i = lower + 1; i > 0; i -= i & -i) atOrLeft += tree[i];
    count += inserted - atOrLeft;
    for (let i = lower + 1; i <= size; i += i & -i) tree[i]++;
    inserted++;
  }
  return count;
}

// layout places nodes [{id, label}] and edges [{from, to, kind}] (from
// points to to). It answers {width, height, crossings, nodes: [{id,
// label, layer, order, x, y, w, h}], edges: [{from, to, kind, reversed,
// points, d}]}: x and y are a box's top left corner; an edge's points are
// its path's corners (control points, for the curves), from its source to
// its target, and d is the SVG path.
export function layout(nodes, edges) {
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const es = edges.filter((e) => known.has(e.from) && known.has(e.to));
  const label = new Map(nodes.map((n) => [n.id, n.label || n.id]));
  const {layer, back} = rank(ids, es);
  const depth = Math.max(0, ...layer.values()) + 1;

  // Items are the boxes and the dummies; each row lists its items in order.
  const loops = new Set(es.filter((e) => e.from === e.to).map((e) => e.from));
  const item = new Map();
  const rows = Array.from({length: depth}, () => []);
  for (const id of [...ids].sort(byString)) {
    const it = {key: id, node: id, layer: layer.get(id), w: nodeWidth(label.get(id)), up: [], down: [], weight: 1, x: 0};
    item.set(id, it);
    rows[it.layer].push(it);
  }
  const chains = [];
  es.forEach((e, index) => {
    if (e.from === e.to) return;
    const reversed = back.has(pairKey(e.from, e.to));
    const top = item.get(reversed ? e.to : e.from);
    const bottom = item.get(reversed ? e.from : e.to);
    const chain = [top];
    for (let l = top.layer + 1; l < bottom.layer; l++) {
      const dummy = {key: `${index}:${l}`, node: null, layer: l, w: 0, up: [], down: [], weight: DUMMY_WEIGHT, x: 0};
      rows[l].push(dummy);
      chain.push(dummy);
    }
    chain.push(bottom);
    for (let i = 0; i + 1 < chain.length; i++) {
      chain[i].down.push(chain[i + 1]);
      chain[i + 1].up.push(chain[i]);
    }
    chains.push({edge: e, reversed, items: chain});
  });

  orderRows(rows);
  placeRows(rows, loops);

  // Shift everything right of the padding.
  let left = Infinity;
  let right = -Infinity;
  for (const row of rows) {
    for (const it of row) {
      left = Math.min(left, it.x - it.w / 2);
      right = Math.max(right, it.x + it.w / 2 + (it.node !== null && loops.has(it.node) ? LOOP : 0));
    }
  }
  if (!Number.isFinite(left)) left = right = 0;
  const shift = PAD - left;
  const rowTop = (l) => PAD + l * (NODE_HEIGHT + LAYER_GAP);
  const placed = new Map();
  rows.forEach((row, l) => {
    let order = 0;
    for (const it of row) {
      it.x += shift;
      if (it.node === null) continue;
      placed.set(it.node, {id: it.node, label: label.get(it.node), layer: l, order: order++,
        x: round(it.x - it.w / 2), y: rowTop(l), w: it.w, h: NODE_HEIGHT});
    }
  });

  const ports = portsOf(chains);
  const routed = [];
  chains.forEach((c, i) => {
    const [first, ...rest] = c.items;
    const last = rest.pop();
    const points = [[round(first.x + ports.get(i).out), rowTop(first.layer) + NODE_HEIGHT]];
    for (const d of rest) points.push([round(d.x), rowTop(d.layer)], [round(d.x), rowTop(d.layer) + NODE_HEIGHT]);
    points.push([round(last.x + ports.get(i).in), rowTop(last.layer)]);
    if (c.reversed) points.reverse();
    routed.push({...c.edge, reversed: c.reversed, points, d: pathOf(points)});
  });
  const loopEdges = es.filter((e) => e.from === e.to).map((e) => {
    const n = placed.get(e.from);
    const x = n.x + n.w;
    const y = n.y + n.h / 2;
    const points = [[x, y - 8], [x + LOOP - 4, y - 20], [x + LOOP - 4, y + 20], [x, y + 8]];
    const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = points;
    return {...e, reversed: false, points, d: `M${x0},${y0} C${x1},${y1} ${x2},${y2} ${x3},${y3}`};
  });
  // Edges come out in the order they came in.
  const byEdge = new Map([...routed, ...loopEdges].map((r) => [`${r.from}\u0000${r.to}\u0000${r.kind}`, r]));
  return {
    width: round(right + shift + PAD),
    height: depth * NODE_HEIGHT + (depth - 1) * LAYER_GAP + 2 * PAD,
    crossings: totalCrossings(rows),
    nodes: ids.map((id) => placed.get(id)),
    edges: es.map((e) => byEdge.get(`${e.from}\u0000${e.to}\u0000${e.kind}`)),
  };
}

const round = (v) => Math.round(v * 10) / 10;

// pathOf draws points as a path: a curve between rows, leaving and
// entering each row vertically so that it stays within the gap, and a
// straight line through a row.
function pathOf(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x0 === x1 || i % 2 === 0) {
      d += ` L${x1},${y1}`;
    } else {
      const ym = round((y0 + y1) / 2);
      d += ` C${x0},${ym} ${x1},${ym} ${x1},${y1}`;
    }
  }
  return d;
}

// position indexes each row's items.
function index(rows) {
  for (const row of rows) row.forEach((it, i) => { it.pos = i; });
}

function totalCrossings(rows) {
  let n = 0;
  for (let l = 0; l + 1 < rows.length; l++) {
    const segs = [];
    for (const it of rows[l]) for (const d of it.down) segs.push([it.pos, d.pos]);
    n += crossingsBetween(segs);
  }
  return n;
}

// orderRows orders each row to reduce crossings: barycentre sweeps down
// and up, each followed by swaps of neighbours, keeping the best order.
function orderRows(rows) {
  index(rows);
  // A first order: each row by its parents' positions, so that the sweeps
  // start from a sensible place.
  for (let l = 1; l < rows.length; l++) sortBy(rows[l], 'up');
  let best = rows.map((row) => [...row]);
  let bestCount = totalCrossings(rows);
  let stale = 0;
  for (let s = 0; s < SWEEPS && bestCount > 0 && stale < PATIENCE; s++) {
    if (s % 2 === 0) for (let l = 1; l < rows.length; l++) sortBy(rows[l], 'up');
    else for (let l = rows.length - 2; l >= 0; l--) sortBy(rows[l], 'down');
    transpose(rows);
    const count = totalCrossings(rows);
    if (count < bestCount) {
      best = rows.map((row) => [...row]);
      bestCount = count;
      stale = 0;
    } else {
      stale++;
    }
  }
  best.forEach((row, l) => { rows[l] = row; });
  index(rows);
}

// sortBy orders a row by the mean position of each item's neighbours on
// one side; an item without any keeps its place. Ties keep the order.
function sortBy(row, side) {
  const key = new Map(row.map((it) => {
    const ns = it[side];
    return [it, ns.length ? ns.reduce((sum, n) => sum + n.pos, 0) / ns.length : it.pos];
  }));
  row.sort((a, b) => key.get(a) - key.get(b) || a.pos - b.pos);
  row.forEach((it, i) => { it.pos = i; });
}

// crossingsOf counts the crossings between the edges of a and of b (a left
// of b) on both sides.
function crossingsOf(a, b) {
  let n = 0;
  for (const side of ['up', 'down']) {
    for (const p of a[side]) for (const q of b[side]) if (p.pos > q.pos) n++;
  }
  return n;
}

// transpose swaps neighbours in a row while that removes crossings.
function transpose(rows) {
  for (let pass = 0, improved = true; improved && pass < 8; pass++) {
    improved = false;
    for (const row of rows) {
      for (let i = 0; i + 1 < row.length; i++) {
        const a = row[i];
        const b = row[i + 1];
        if (crossingsOf(b, a) < crossingsOf(a, b)) {
          row[i] = b;
          row[i + 1] = a;
          b.pos = i;
          a.pos = i + 1;
          improved = true;
        }
      }
    }
  }
}

// gap is the least distance between the centres of two neighbours in a row.
function gap(a, b, loops) {
  const room = a.node !== null && b.node !== null ? NODE_GAP : DUMMY_GAP;
  return a.w / 2 + b.w / 2 + room + (a.node !== null && loops.has(a.node) ? LOOP : 0);
}

// placeRows gives each item its centre x: packed first, then each row in
// turn pulled towards its neighbours above, below, and both.
function placeRows(rows, loops) {
  for (const row of rows) {
    let x = 0;
    row.forEach((it, i) => {
      if (i) x += gap(row[i - 1], it, loops);
      it.x = x;
    });
  }
  const pull = (l, sides) => {
    const row = rows[l];
    const want = row.map((it) => {
      const ns = sides.flatMap((side) => it[side]);
      return ns.length ? ns.reduce((sum, n) => sum + n.x, 0) / ns.length : it.x;
    });
    fitRow(row, want, loops);
  };
  for (let r = 0; r < PLACEMENT_ROUNDS; r++) {
    for (let l = 1; l < rows.length; l++) pull(l, ['up']);
    for (let l = rows.length - 2; l >= 0; l--) pull(l, ['down']);
  }
  for (let l = 0; l < rows.length; l++) pull(l, ['up', 'down']);
}

// fitRow places a row's items as near their wanted centres as the gaps
// allow: the weighted least-squares fit of x_i to want_i subject to
// x_{i+1} − x_i ≥ gap_i. With x_i = y_i + offset_i it is an isotonic
// regression of want_i − offset_i, solved exactly by pooling adjacent
// violators.
function fitRow(row, want, loops) {
  const offset = [];
  let o = 0;
  row.forEach((it, i) => {
    if (i) o += gap(row[i - 1], it, loops);
    offset.push(o);
  });
  const blocks = []; // {value, weight, count}
  row.forEach((it, i) => {
    let b = {value: want[i] - offset[i], weight: it.weight, count: 1};
    while (blocks.length && blocks[blocks.length - 1].value >= b.value) {
      const p = blocks.pop();
      const weight = p.weight + b.weight;
      b = {value: (p.value * p.weight + b.value * b.weight) / weight, weight, count: p.count + b.count};
    }
    blocks.push(b);
  });
  let i = 0;
  for (const b of blocks) {
    for (let k = 0; k < b.count; k++, i++) row[i].x = b.value + offset[i];
  }
}

// portsOf spreads the edges that leave a box's bottom, or enter its top,
// along that side, in the order of where they go, so that they neither
// overlap nor cross at the box. It answers, per chain, the offsets from
// the box's centre of its two ends.
function portsOf(chains) {
  const sides = new Map(); // item -> {out: [[chain, other x]], in: [...]}
  const side = (it) => {
    if (!sides.has(it)) sides.set(it, {out: [], in: []});
    return sides.get(it);
  };
  chains.forEach((c, i) => {
    const items = c.items;
    side(items[0]).out.push([i, items[1].x]);
    side(items[items.length - 1]).in.push([i, items[items.length - 2].x]);
  });
  const ports = new Map(chains.map((_, i) => [i, {out: 0, in: 0}]));
  for (const [it, s] of sides) {
    for (const dir of ['out', 'in']) {
      const list = s[dir].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      const step = list.length > 1 ? Math.min(PORT_GAP, (it.w - 24) / (list.length - 1)) : 0;
      list.forEach(([chain], k) => { ports.get(chain)[dir] = (k - (list.length - 1) / 2) * step; });
    }
  }
  return ports;
}
