// The error budget of an SLO's window as an SVG chart, drawn by the app:
// the share of the budget left (a burn-down from the API) against time.

import {s} from './dom.js';
import {when} from './format.js';

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 48; // room for the budget's labels
const RIGHT = 14;
const TOP = 12;
const BOTTOM = 30; // room for the dates
const X_TICKS = 4; // dates between the window's ends

// budgetScale maps a burn-down to the chart's plane: x from the window's
// start to its end, y from the lowest quarter the budget reached (0 at
// least) up to 100%. Pure, for the tests.
export function budgetScale(burndown) {
  const from = Date.parse(burndown.window_start);
  const to = Date.parse(burndown.at);
  const values = burndown.points.map((p) => p.budget_remaining);
  const lo = Math.min(0, Math.floor(Math.min(...values, 0) * 4) / 4);
  const hi = Math.max(1, Math.ceil(Math.max(...values, 1) * 4) / 4);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (t) => LEFT + (to > from ? ((t - from) / (to - from)) * plotW : 0);
  const y = (v) => TOP + ((hi - v) / (hi - lo)) * plotH;
  const ticks = [];
  for (let v = hi; v >= lo - 1e-9; v -= 0.25) ticks.push(Math.round(v * 100) / 100);
  return {from, to, lo, hi, x, y, ticks, left: LEFT, right: WIDTH - RIGHT, top: TOP, bottom: HEIGHT - BOTTOM};
}

const round = (v) => Math.round(v * 10) / 10;
const percent = (v) => `${Math.round(v * 100)}%`;

// budgetChart draws a burn-down ({window_start, at, points: [{at,
// budget_remaining}]}), with the freeze threshold when there is one, and
// dates in timeZone (the reader's when not given).
export function budgetChart(burndown, {freezeBelow = 0, timeZone} = {}) {
  const sc = budgetScale(burndown);
  const pts = burndown.points.map((p) => [round(sc.x(Date.parse(p.at))), round(sc.y(p.budget_remaining))]);
  const line = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join(' ');
  const zero = round(sc.y(0));
  const area = pts.length ? `${line} L${pts[pts.length - 1][0]},${zero} L${pts[0][0]},${zero} Z` : '';
  const first = burndown.points[0];
  const last = burndown.points[burndown.points.length - 1];
  const summary = first && last
    ? `Error budget left from ${when(burndown.window_start, timeZone)} to ${when(burndown.at, timeZone)}: ${percent(first.budget_remaining)} at the start, ${percent(last.budget_remaining)} now.`
    : 'No budget data.';
  const dates = [];
  for (let i = 0; i <= X_TICKS + 1; i++) {
    const t = sc.from + ((sc.to - sc.from) * i) / (X_TICKS + 1);
    dates.push([round(sc.x(t)), when(new Date(t).toISOString(), timeZone).slice(0, 10)]);
  }
  return s('svg', {class: 'chart budget-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary},
    s('title', null, summary),
    s('g', {class: 'grid'}, sc.ticks.map((v) => [
      s('line', {x1: sc.left, x2: sc.right, y1: round(sc.y(v)), y2: round(sc.y(v)), class: v === 0 ? 'zero' : null}),
      s('text', {x: sc.left - 6, y: round(sc.y(v)), 'text-anchor': 'end', 'dominant-baseline': 'middle'}, percent(v)),
    ])),
    s('g', {class: 'dates'}, dates.map(([x, text], i) =>
      s('text', {x, y: sc.bottom + 18, 'text-anchor': i === 0 ? 'start' : i === dates.length - 1 ? 'end' : 'middle'}, text))),
    freezeBelow > 0 && freezeBelow < sc.hi ? s('g', {class: 'freeze'},
      s('line', {x1: sc.left, x2: sc.right, y1: round(sc.y(freezeBelow)), y2: round(sc.y(freezeBelow))}),
      s('text', {x: sc.right - 4, y: round(sc.y(freezeBelow)) - 5, 'text-anchor': 'end'}, `releases freeze at ${percent(freezeBelow)}`)) : null,
    area ? s('path', {d: area, class: 'budget-area'}) : null,
    line ? s('path', {d: line, class: 'budget-line', 'data-points': pts.length}) : null);
}
