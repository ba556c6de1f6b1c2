// One SLO: what it measures, its objective and window, the error budget
// over the window as a chart, the burn rate of each alerting tier, which
// tier fires, and whether the budget freezes releases.

import {h, badge, table} from '../dom.js';
import {describe, esc, get} from '../api.js';
import {count, pct, when} from '../format.js';
import {budgetChart} from '../chart.js';
import {detailOf, severityBadge, statusBadge} from './common.js';
import {ceilingSection} from '../ceiling.js';

export {pct};

const rate = (v) => `${v.toFixed(1)}×`;

// sliText says what an indicator counts and where its data comes from.
export function sliText(sli, name) {
  const what = {
    'ratio-good/total': 'good events out of all events',
    'ratio-bad/total': 'all events less the bad ones, out of all events',
    threshold: `one sample a minute, good when its value is ${{gt: 'above', gte: 'at least', lt: 'below', lte: 'at most'}[sli.op] || sli.op} ${sli.value}`,
  }[sli.kind] || sli.kind;
  const from = sli.source === 'vigil-push'
    ? `pushed to Vigil at /api/v1/slos/${name}/events`
    : `pulled from Prometheus${sli.data_source ? ` ${sli.data_source}` : ''}${sli.url ? ` (${sli.url})` : ''}`;
  return `${sli.name ? `${sli.name}: ` : ''}${what}, ${from}`;
}

// tierState words a burn-rate tier's state.
export function tierState(t, minEvents) {
  if (t.disabled) return 'disabled';
  if (t.met && t.suppressed) return 'firing, held back by a faster tier';
  if (t.met) return 'firing';
  if (t.long_events < minEvents) return `quiet: ${count(t.long_events)} of the ${count(minEvents)} events a tier needs`;
  return 'quiet';
}

function windowText(w, status) {
  if (w.rolling) return `rolling ${w.duration}`;
  const zone = w.time_zone ? ` in ${w.time_zone}` : '';
  return `calendar periods of about ${w.duration}${zone}, this one from ${when(status.window_start, w.time_zone || undefined)}`;
}

function budgetingText(b) {
  if (b.method !== 'Timeslices') return 'events (Occurrences)';
  return `time slices of ${b.slice_window}, each good when ${pct(b.slice_target)} of its events are (Timeslices)`;
}

export async function sloPage(ctx) {
  const d = await detailOf(ctx, 'slos', 'SLO');
  if (d === null) return;
  const {base, obj: v} = d;
  let burndownError = '';
  let ceilingError = '';
  const [burndown, ceiling] = await Promise.all([
    get(`${base}/burndown`).catch((err) => { burndownError = describe('The budget over the window could not be loaded', err); return null; }),
    get(`/api/v1/services/${esc(v.service)}/ceiling`).catch((err) => { ceilingError = describe('The availability ceiling could not be loaded', err); return null; }),
  ]);
  if (!ctx.alive()) return;
  ctx.title(v.display_name || v.name);
  const st = v.status;
  const policy = v.policy || {freeze_below: 0, exemptions: []};

  const state = [];
  if (st.no_data) state.push(badge('no data', 'grey'));
  if (st.firing) state.push(badge(`firing: ${st.firing.tier}`, st.firing.severity === 'page' ? 'red' : 'amber'));
  if (st.frozen) state.push(badge('releases frozen', 'red-outline'));
  if (!state.length) state.push(badge('within budget', 'green'));

  const dl = h('dl', {class: 'facts'});
  const fact = (k, ...val) => dl.append(h('dt', null, k), h('dd', null, ...val));
  fact('Service', h('a', {href: `/services/${esc(v.service)}`}, v.service));
  if (v.description) fact('About', v.description);
  fact('SLI', sliText(v.sli, v.name));
  if (v.sli.source !== 'vigil-push') {
    const queries = [['good', v.sli.good], ['bad', v.sli.bad], ['total', v.sli.total], ['query', v.sli.query]].filter(([, q]) => q);
    if (queries.length) fact('Queries', h('ul', {class: 'plain'}, queries.map(([k, q]) => h('li', null, `${k}: `, h('code', null, q)))));
  }
  fact('Objective', `${pct(v.objective)} of ${budgetingText(v.budgeting)}`);
  fact('Window', windowText(v.window, st));
  fact('SLI now', st.sli === null ? 'no data: no events in the window' : `${pct(st.sli)} (${count(st.good)} good of ${count(st.total)})`);
  fact('Error budget', `${pct(st.error_budget)} of the events may be bad: ${pct(st.budget_consumed, 1)} of it spent, ${pct(st.budget_remaining, 1)} left`);
  fact('Burn rate (1h)', `${rate(st.burn_rate_1h)}${st.time_to_exhaustion ? `: the budget lasts ${st.time_to_exhaustion} at this rate` : ''}`);
  fact('Releases', h('span', {class: 'freeze-state'}, st.frozen
    ? `frozen: the budget left (${pct(st.budget_remaining, 1)}) is at or below ${pct(policy.freeze_below, 1)}, so the release gate denies releases of ${v.service}`
    : `not frozen: they freeze when the budget left falls to ${policy.freeze_below > 0 ? pct(policy.freeze_below, 1) : 'nothing'}`),
  (policy.exemptions || []).length ? `. Change types that pass a freeze: ${policy.exemptions.join(', ')}` : '');
  if (v.pull_error) fact('Last pull', h('span', {class: 'error'}, v.pull_error));
  fact('Evaluated', h('time', {datetime: st.at}, when(st.at)));

  const firing = st.firing
    ? h('p', {class: 'firing'}, badge(st.firing.severity, st.firing.severity === 'page' ? 'red' : 'amber'), ' ',
      `${st.firing.tier} fires (${st.firing.urgency} urgency): the budget burns at ${rate(st.firing.burn_rate)} over ${st.firing.long} and ${rate(st.firing.short_burn_rate)} over ${st.firing.short}, above ${rate(st.firing.factor)}.`)
    : h('p', {class: 'firing muted'}, 'No tier fires.');

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '/slos'}, '← SLOs')),
    h('h1', null, v.display_name || v.name, v.display_name ? h('span', {class: 'muted'}, ` ${v.name}`) : null),
    h('p', {class: 'badges'}, state),
    h('div', {class: 'facts-wrap'}, dl),
    h('section', {'aria-labelledby': 'budget-title'},
      h('h2', {id: 'budget-title'}, 'Error budget over the window'),
      burndown
        ? h('figure', {class: 'chart-figure'}, budgetChart(burndown, {freezeBelow: policy.freeze_below}),
          h('figcaption', {class: 'muted small'},
            'The share of this window’s budget still unspent at each moment: it falls as bad events spend it, and goes below 0 when more than the budget was spent. ',
            `From ${when(burndown.window_start)} to ${when(burndown.at)}, a point every ${burndown.step}.`))
        : h('p', {class: 'error', role: 'alert'}, burndownError)),
    ceiling ? ceilingSection(ceiling, v.name) : h('p', {class: 'error', role: 'alert'}, ceilingError),
    h('section', {'aria-labelledby': 'tiers-title'},
      h('h2', {id: 'tiers-title'}, 'Burn rates'),
      firing,
      table('Burn-rate tiers', ['Tier', 'Severity', 'Long window', 'Long burn rate', 'Short window', 'Short burn rate', 'Fires above', 'State'],
        (st.tiers || []).map((t) => ({
          attrs: {'data-tier': t.name, class: t.met && !t.disabled ? 'row-firing' : null},
          cells: [t.name, t.severity, t.long, rate(t.long_burn_rate), t.short, rate(t.short_burn_rate), rate(t.factor), tierState(t, v.min_events)],
        })), {empty: 'This SLO has no burn-rate tiers.', className: 'tiers'})),
    h('section', {'aria-labelledby': 'incidents-title'},
      h('h2', {id: 'incidents-title'}, 'Incidents in the window'),
      table('Incidents in the window', ['Incident', 'Severity', 'Status', 'Opened', 'Budget spent', 'Post-mortem'],
        (v.incidents || []).map((inc) => ({
          attrs: {'data-incident': inc.id},
          cells: [h('a', {href: `/incidents/${esc(inc.id)}`}, `#${inc.id} ${inc.title}`), severityBadge(inc.severity), statusBadge(inc.status),
            h('time', {datetime: inc.created_at}, when(inc.created_at)), pct(inc.budget_share, 1),
            inc.needs_postmortem ? badge('needed: over 20% of the budget', 'orange') : ''],
        })), {empty: `No incidents on ${v.service} in this window.`})));
}
