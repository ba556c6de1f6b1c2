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

// niceMax is the top of a bar chart's scale: max rounded up so that the
// four grid lines fall on round numbers (steps of 1, 2, 2.5 or 5 times a
// power of ten; whole steps of 1, 2, 3, 5 or 10 when the values are
// counts).
export function niceMax(max, integers = false) {
  if (!(max > 0)) return integers ? 4 : 1;
  let pow = 10 ** Math.floor(Math.log10(max / 4));
  if (integers && pow < 1) pow = 1;
  const steps = integers && pow === 1 ? [1, 2, 3, 5, 10] : [1, 2, 2.5, 5, 10];
  for (const m of steps) {
    if (4 * m * pow >= max) return 4 * m * pow;
  }
  return 40 * pow;
}

const BAR_TOP = 34; // room for the legend
const BAR_BOTTOM = 40; // room for the category labels
const LABEL_PX = 6.5; // width of a category label's character, roughly
const LEGEND_PX = 7.5; // and of the legend's, which is larger

// barChart draws stacked bars, one per category, one segment per series:
// {categories: [{key, label}], series: [{key, label, cls}], value(cat,
// series) -> number, format(v) -> text, axis(v) -> the scale's text
// (format's when not given), summary}. Each bar segment carries
// its category, series and value as data attributes; its title says them.
export function barChart({categories, series, value, format = (v) => String(v), axis = format, summary}) {
  const totals = categories.map((c) => series.reduce((sum, sr) => sum + (value(c, sr) || 0), 0));
  const top = niceMax(Math.max(0, ...totals), totals.every(Number.isInteger));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - BAR_TOP - BAR_BOTTOM;
  const y = (v) => BAR_TOP + plotH - (v / top) * plotH;
  const slot = categories.length ? plotW / categories.length : plotW;
  const barW = Math.max(1, Math.min(slot * 0.72, 64));
  // Labels every step-th category, so that they do not run into each other.
  const chars = (c) => String(c.label).length;
  const widest = Math.min(18, Math.max(1, ...categories.map(chars)));
  const step = Math.max(1, Math.ceil((widest * LABEL_PX + 8) / slot));
  const fit = (text, px) => (text.length * LABEL_PX <= px ? text : `${text.slice(0, Math.max(1, Math.floor(px / LABEL_PX) - 1))}…`);
  const grid = [0, 1, 2, 3, 4].map((i) => (top * i) / 4);
  let legendX = LEFT;
  const legend = series.map((sr) => {
    const g = s('g', {class: 'legend-entry'},
      s('rect', {x: legendX, y: 8, width: 12, height: 12, rx: 2, class: `bar ${sr.cls}`}),
      s('text', {x: legendX + 17, y: 18}, sr.label));
    legendX += 17 + sr.label.length * LEGEND_PX + 16;
    return g;
  });
  return s('svg', {class: 'chart bar-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary, 'data-bars': categories.length},
    s('title', null, summary),
    s('g', {class: 'legend'}, legend),
    s('g', {class: 'grid'}, grid.map((v) => [
      s('line', {x1: LEFT, x2: WIDTH - RIGHT, y1: round(y(v)), y2: round(y(v))}),
      s('text', {x: LEFT - 6, y: round(y(v)), 'text-anchor': 'end', 'dominant-baseline': 'middle'}, axis(v)),
    ])),
    s('g', {class: 'bars'}, categories.map((c, i) => {
      const x = round(LEFT + slot * i + (slot - barW) / 2);
      let base = 0;
      return s('g', {class: 'bar-group', 'data-category': c.key},
        series.map((sr) => {
          const v = value(c, sr) || 0;
          const y0 = y(base);
          base += v;
          if (v <= 0) return null;
          return s('rect', {x, y: round(y(base)), width: round(barW), height: round(y0 - y(base)), class: `bar ${sr.cls}`,
            'data-series': sr.key, 'data-value': v},
          s('title', null, `${c.label}, ${sr.label}: ${format(v)}`));
        }),
        i % step === 0
          ? s('text', {x: round(LEFT + slot * i + slot / 2), y: HEIGHT - BAR_BOTTOM + 16, 'text-anchor': 'middle', class: 'category'},
            fit(String(c.label), slot * step - 6))
          : null);
    })),
    categories.length ? null : s('text', {x: WIDTH / 2, y: BAR_TOP + plotH / 2, 'text-anchor': 'middle'}, 'Nothing in this period.'));
}
