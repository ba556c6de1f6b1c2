// A schedule over two weeks as an SVG timeline, drawn by the app: a row
// per layer (its rotation alone), the overrides, and the final rotation
// that pages, with a line at the start of each day in the zone shown.

import {s} from './dom.js';
import {midnights, wallParts, when} from './format.js';

const WIDTH = 1120;
const LABEL = 150; // room for the rows' names
const RIGHT = 8;
const TOP = 34; // room for the days
const ROW = 34;
const BAR = 24;
const COLOURS = 8;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// timelineScale maps [from, to) onto the plane's x axis. Pure, for the
// tests.
export function timelineScale(from, to) {
  const f = Date.parse(from);
  const t = Date.parse(to);
  const x = (iso) => {
    const v = Math.min(Math.max(Date.parse(iso), f), t);
    return Math.round((LABEL + ((v - f) / (t - f)) * (WIDTH - LABEL - RIGHT)) * 10) / 10;
  };
  return {x, left: LABEL, right: WIDTH - RIGHT};
}

// colourOf gives each user one of the palette's colours, the same on
// every row.
function colourOf(users) {
  const index = new Map(users.map((u, i) => [u.id, i % COLOURS]));
  return (id) => `u${index.has(id) ? index.get(id) : 0}`;
}

// timelineChart draws a timeline answer (GET .../timeline) in timeZone
// (the reader's when undefined). onOverride(o) is called when an override
// made through the API is chosen, onShift(sh) when a final shift is.
export function timelineChart(tl, {timeZone, onOverride, onShift} = {}) {
  const sc = timelineScale(tl.from, tl.to);
  const colour = colourOf(tl.users);
  const rows = [
    ...tl.layers.map((l) => ({name: `layer ${l.id}`, kind: 'layer', items: l.shifts.map((sh) => ({sh, user: sh.user.id}))})),
    {name: 'overrides', kind: 'overrides', items: tl.overrides.map((o) => ({o, user: o.user}))},
    {name: 'final: who is paged', kind: 'final', items: tl.final.map((sh) => ({sh, user: sh.user.id}))},
  ];
  const height = TOP + rows.length * ROW + 6;
  const days = Math.round((Date.parse(tl.to) - Date.parse(tl.from)) / 86400000);
  const lines = midnights(new Date(tl.from), days + 1, timeZone).filter((d) => d.getTime() >= Date.parse(tl.from) && d.getTime() < Date.parse(tl.to));
  const label = `${tl.schedule} from ${when(tl.from, timeZone)} to ${when(tl.to, timeZone)}`;
  return s('svg', {class: 'timeline', viewBox: `0 0 ${WIDTH} ${height}`, role: 'group', 'aria-label': label, 'data-zone': timeZone || ''},
    s('g', {class: 'days'}, lines.map((d) => {
      const x = sc.x(d.toISOString());
      const p = wallParts(d, timeZone);
      const name = `${WEEKDAYS[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()]} ${String(p.day).padStart(2, '0')}`;
      return s('g', {class: 'day', 'data-day': d.toISOString()},
        s('line', {x1: x, x2: x, y1: TOP - 6, y2: height}),
        s('text', {x: x + 3, y: TOP - 12}, name));
    })),
    rows.map((row, i) => {
      const y = TOP + i * ROW;
      return s('g', {class: `row row-${row.kind}`, 'data-row': row.name},
        s('text', {class: 'row-name', x: 4, y: y + ROW / 2, 'dominant-baseline': 'middle'}, row.name),
        s('line', {class: 'row-line', x1: sc.left, x2: sc.right, y1: y + ROW, y2: y + ROW}),
        row.items.map((it) => bar(it, y, sc, colour, {timeZone, onOverride, onShift: row.kind === 'final' ? onShift : null})));
    }));
}

function bar(it, y, sc, colour, {timeZone, onOverride, onShift}) {
  const item = it.o || it.sh;
  const x1 = sc.x(item.start);
  const x2 = sc.x(item.end);
  const w = Math.max(x2 - x1, 1);
  let title = `${it.user}: ${when(item.start, timeZone)} to ${when(item.end, timeZone)}`;
  const attrs = {class: `bar ${colour(it.user)}`, 'data-user': it.user, 'data-start': item.start, 'data-end': item.end};
  let choose = null;
  if (it.o) {
    attrs['data-override'] = it.o.id || '';
    attrs.class += ` override ${it.o.source}`;
    if (it.o.replaces) title += `, only where ${it.o.replaces} would be on call`;
    if (it.o.source === 'config') title += ' (from the configuration files: read-only here)';
    else if (onOverride) choose = () => onOverride(it.o);
  } else {
    attrs['data-layer'] = it.sh.layer;
    if (onShift) choose = () => onShift(it.sh);
  }
  if (choose) {
    attrs.tabindex = '0';
    attrs.role = 'button';
    attrs['aria-label'] = title;
    attrs.onclick = choose;
    attrs.onkeydown = (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        choose();
      }
    };
  }
  return s('g', attrs,
    s('title', null, title),
    s('rect', {x: x1, y: y + (ROW - BAR) / 2, width: w, height: BAR, rx: 3}),
    w > 34 ? s('text', {x: x1 + 4, y: y + ROW / 2, 'dominant-baseline': 'middle'}, it.user) : null);
}
