// The on-call reports, computed by the server (GET /api/v1/reports/NAME)
// over a period and for the whole organisation or one team: an index of
// the seven, and a page for each with its chart, its tables and how each
// number was computed.

import {h, field, table} from '../dom.js';
import {describe, esc, get} from '../api.js';
import {count, pct, span, when} from '../format.js';
import {barChart} from '../chart.js';
import {loading} from './common.js';

// REPORTS are the reports, in the order the index shows them.
export const REPORTS = [
  ['interruptions', 'Interruptions', 'Incidents that paged each person and team, in business, off and sleep hours of their own time zone, week by week.'],
  ['response', 'Response', 'Time to acknowledge and to resolve per service and team (median, p90, mean), escalation rate, who acknowledged (owners or IRT), incidents per week.'],
  ['cost', 'Cost', 'What on-call costs per person and team: standby hours, interruptions weighted by hour and public holiday, response time by role.'],
  ['coverage', 'Coverage', 'Hours of guaranteed response per team, gaps and overlaps, night hours per person, follow-the-sun share, and which teams need 24/7.'],
  ['toil', 'Toil', 'Manual actions per team and service: acknowledgements of alerts that resolved themselves, repeat alerts, incidents closed with no note, operations run by hand.'],
  ['risks', 'Risks', 'The biggest reliability risks right now, ranked, each with its evidence.'],
  ['unclear-value', 'Unclear value', 'Signs that a service’s business value is unclear: noisy SLOs with no customer impact, incidents nobody notices, teams on call for many services per person.'],
];

const PRESETS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['365', 'Last year']];

const day = (iso) => new Date(iso).toISOString().slice(0, 10);
const hours = (v) => `${count(v)} h`;
const share = (v) => pct(v, 1);
const seconds = (v) => (v === null || v === undefined ? '—' : span(v * 1000));

// n is a figure in a table: its text, and its value as the API gave it
// (data-value), which the tests compare with the API's.
function n(v, text = count(v)) {
  return h('span', {class: 'figure', 'data-value': v}, text);
}

// query is the API query of a report page: the period and team in the
// page's address, or, for a preset, the days before today (UTC).
export function reportQuery(params, today = new Date()) {
  const q = new URLSearchParams();
  const days = params.get('days');
  if (days && /^\d{1,3}$/.test(days)) {
    const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
    q.set('from', day(to.getTime() - Number(days) * 24 * 3600 * 1000));
    q.set('to', day(to.getTime()));
  } else {
    for (const k of ['from', 'to']) if (params.get(k)) q.set(k, params.get(k));
  }
  if (params.get('team')) q.set('team', params.get('team'));
  return q;
}

export async function reportsPage(ctx) {
  ctx.title('Reports');
  const keep = new URLSearchParams();
  for (const k of ['from', 'to', 'days', 'team']) if (ctx.query.get(k)) keep.set(k, ctx.query.get(k));
  const suffix = keep.toString() ? `?${keep}` : '';
  ctx.main.append(h('h1', null, 'Reports'),
    h('p', {class: 'muted'}, 'What on-call costs and where it can get cheaper, from the history the server keeps: pages with each person’s time zone, escalations, acknowledgements, roles and served shifts. Each report covers any period, for the whole organisation or one team.'),
    h('ul', {class: 'report-index'}, REPORTS.map(([name, title, about]) => h('li', {class: 'card', 'data-report': name},
      h('h2', null, h('a', {href: `/reports/${name}${suffix}`}, title)),
      h('p', {class: 'muted small'}, about)))));
}

// pickers are the period and team controls; changing them reloads the
// page with the new address.
function pickers(ctx, name, rep, teams) {
  const days = ctx.query.get('days') || '';
  const preset = h('select', {name: 'days'},
    h('option', {value: '', selected: !days}, 'Dates below'),
    PRESETS.map(([v, t]) => h('option', {value: v, selected: v === days}, t)));
  const from = h('input', {type: 'date', name: 'from', value: day(rep.from), required: true});
  const to = h('input', {type: 'date', name: 'to', value: day(rep.to), required: true});
  const team = h('select', {name: 'team'},
    h('option', {value: ''}, 'The whole organisation'),
    teams.map((t) => h('option', {value: t.id, selected: t.id === (rep.team || '')}, t.name ? `${t.name} (${t.id})` : t.id)));
  const go = (params) => ctx.navigate(`/reports/${name}?${params}`, {replace: true});
  const form = h('form', {class: 'filters report-filters', 'aria-label': 'Period and team'},
    field('Period', preset), field('From', from, 'midnight UTC, included'), field('To', to, 'midnight UTC, not included'), field('Team', team),
    h('div', {class: 'field'}, h('span', {class: 'label-space', 'aria-hidden': 'true'}, ' '), h('button', {type: 'submit', class: 'primary'}, 'Show')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (preset.value) p.set('days', preset.value);
    else {
      p.set('from', from.value);
      p.set('to', to.value);
    }
    if (team.value) p.set('team', team.value);
    go(p);
  });
  preset.addEventListener('change', () => form.requestSubmit());
  team.addEventListener('change', () => form.requestSubmit());
  return form;
}

export async function reportPage(ctx) {
  const name = ctx.params[0];
  const meta = REPORTS.find(([n]) => n === name);
  if (!meta) {
    ctx.title('Reports');
    ctx.main.append(h('h1', null, 'No such report'), h('p', null, `There is no report named ${name}. `, h('a', {href: '/reports'}, 'All reports')));
    return;
  }
  const [, title, about] = meta;
  ctx.title(`${title} report`);
  ctx.main.append(h('p', {class: 'crumbs'}, h('a', {href: '/reports'}, '← Reports')), h('h1', null, `${title} report`),
    h('p', {class: 'muted'}, about), loading());
  const q = reportQuery(ctx.query);
  let rep;
  let teams = [];
  try {
    [rep, teams] = await Promise.all([
      get(`/api/v1/reports/${esc(name)}?${q}`),
      get('/api/v1/teams?limit=1000').then((p) => p.teams || []).catch(() => []),
    ]);
  } catch (err) {
    if (!ctx.alive()) return;
    ctx.main.lastChild.replaceWith(h('p', {class: 'error', role: 'alert'}, describe(`The ${name} report could not be loaded`, err)));
    return;
  }
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  const scope = rep.team ? `team ${rep.team}` : 'the whole organisation';
  ctx.main.append(pickers(ctx, name, rep, teams),
    h('p', {class: 'period', 'data-from': rep.from, 'data-to': rep.to},
      `From ${when(rep.from, 'UTC')} to ${when(rep.to, 'UTC')}, for ${scope}.`),
    ...RENDER[name](rep).filter((el) => el),
    h('section', {'aria-labelledby': 'method-title', class: 'method'},
      h('h2', {id: 'method-title'}, 'How these numbers were computed'),
      h('ul', null, (rep.method || []).map((m) => h('li', null, m)))));
}

// chartFigure wraps a chart with its caption.
function chartFigure(heading, chart, caption) {
  return h('section', {'aria-label': heading},
    h('h2', null, heading),
    h('figure', {class: 'chart-figure'}, chart, caption ? h('figcaption', {class: 'muted small'}, caption) : null));
}

const BUCKETS = [
  {key: 'business', label: 'Business hours', cls: 'bar-business'},
  {key: 'off', label: 'Off hours', cls: 'bar-off'},
  {key: 'sleep', label: 'Sleep hours', cls: 'bar-sleep'},
];

const countCells = (c) => [n(c.business), n(c.off), n(c.sleep), n(c.total), n(c.holiday)];
const COUNT_COLUMNS = ['Business', 'Off', 'Sleep', 'Total', 'On holidays'];

function interruptions(rep) {
  const weeks = rep.weeks || [];
  const sum = (k) => weeks.reduce((s, w) => s + w[k], 0);
  return [
    chartFigure('Interruptions per week', barChart({
      categories: weeks.map((w) => ({key: w.week, label: w.week.slice(5), w})),
      series: BUCKETS, value: (c, sr) => c.w[sr.key],
      summary: `${sum('total')} interruptions: ${sum('business')} in business hours, ${sum('off')} off hours, ${sum('sleep')} in sleep hours.`,
    }), `Weeks start on Monday, 00:00 UTC. Business hours ${rep.hours.business}, sleep hours ${rep.hours.night}, in each person’s own time zone.`),
    h('h2', null, 'Per person'),
    table('Interruptions per person', ['Person', ...COUNT_COLUMNS],
      (rep.people || []).map((p) => ({attrs: {'data-user': p.user}, cells: [p.name ? `${p.name} (${p.user})` : p.user, ...countCells(p)]})),
      {empty: 'Nobody in this report.', className: 'numbers'}),
    h('h2', null, 'Per team'),
    table('Interruptions per team', ['Team', 'Members', ...COUNT_COLUMNS],
      (rep.teams || []).map((t) => ({attrs: {'data-team': t.team}, cells: [t.team, n(t.members), ...countCells(t)]})),
      {empty: 'No team in this report.', className: 'numbers'}),
  ];
}

const RESPONSE_COLUMNS = ['Incidents', 'Acked', 'Resolved', 'MTTA median', 'MTTA p90', 'MTTA mean', 'MTTR median', 'MTTR p90', 'MTTR mean',
  'Escalation rate', 'Acked by owners', 'Acked by IRT', 'Per week'];

function responseCells(r) {
  const t = (x, k) => (x ? n(x[k], seconds(x[k])) : '—');
  return [n(r.incidents), n(r.acknowledged), n(r.resolved), t(r.mtta_seconds, 'median'), t(r.mtta_seconds, 'p90'), t(r.mtta_seconds, 'mean'),
    t(r.mttr_seconds, 'median'), t(r.mttr_seconds, 'p90'), t(r.mttr_seconds, 'mean'),
    n(r.escalation_rate, share(r.escalation_rate)), n(r.acknowledged_by.owner, share(r.acknowledged_by.owner)),
    n(r.acknowledged_by.irt, share(r.acknowledged_by.irt)), n(r.incidents_per_week)];
}

function response(rep) {
  const weeks = rep.weeks || [];
  const total = rep.total;
  return [
    chartFigure('Incidents per week', barChart({
      categories: weeks.map((w) => ({key: w.week, label: w.week.slice(5), w})),
      series: [{key: 'step1', label: 'Handled at step 1', cls: 'bar-business'}, {key: 'escalated', label: 'Escalated past step 1', cls: 'bar-sleep'}],
      value: (c, sr) => (sr.key === 'escalated' ? c.w.escalated : c.w.incidents - c.w.escalated),
      summary: `${total.incidents} incidents, ${total.escalated} of them escalated past step 1.`,
    }), 'Incidents opened each week (Monday, 00:00 UTC), by whether their escalation went past its first step.'),
    h('h2', null, 'Per service'),
    table('Response per service', ['Service', 'Team', ...RESPONSE_COLUMNS],
      (rep.services || []).map((r) => ({attrs: {'data-service': r.service}, cells: [
        h('a', {href: `/services/${esc(r.service)}`}, r.service), r.team || '—', ...responseCells(r)]})),
      {empty: 'No incidents in this period.', className: 'numbers'}),
    h('h2', null, 'Per team'),
    table('Response per team', ['Team', ...RESPONSE_COLUMNS],
      [...(rep.teams || []).map((r) => ({attrs: {'data-team': r.team}, cells: [r.team, ...responseCells(r)]})),
        ...(total.incidents ? [{attrs: {class: 'total', 'data-total': ''}, cells: [h('strong', null, 'All incidents'), ...responseCells(total)]}] : [])],
      {empty: 'No incidents in this period.', className: 'numbers'}),
  ];
}

const COST_SERIES = [
  {key: 'standby', label: 'Standby', cls: 'bar-business'},
  {key: 'interruptions', label: 'Interruptions', cls: 'bar-off'},
  {key: 'response', label: 'Response', cls: 'bar-sleep'},
];
const COST_COLUMNS = ['Standby', 'On holidays', 'Pages', 'Sleep pages', 'Response', 'Standby cost', 'Pages cost', 'Response cost', 'Total'];

function costCells(r, money) {
  const responseHours = Object.values(r.response_hours || {}).reduce((s, v) => s + v, 0);
  return [n(r.standby_hours, hours(r.standby_hours)), n(r.holiday_standby_hours, hours(r.holiday_standby_hours)),
    n(r.interruptions.total), n(r.interruptions.sleep), n(Math.round(responseHours * 100) / 100, hours(Math.round(responseHours * 100) / 100)),
    n(r.cost.standby, money(r.cost.standby)), n(r.cost.interruptions, money(r.cost.interruptions)),
    n(r.cost.response, money(r.cost.response)), n(r.cost.total, money(r.cost.total))];
}

function cost(rep) {
  const cur = rep.rates.currency || '';
  const money = (v) => `${count(Math.round(v * 100) / 100)}${cur ? ` ${cur}` : ''}`;
  const people = (rep.people || []).filter((p) => p.cost.total > 0).slice(0, 24);
  const r = rep.rates;
  return [
    chartFigure('Cost per person', barChart({
      categories: people.map((p) => ({key: p.user, label: p.user, p})),
      series: COST_SERIES, value: (c, sr) => c.p.cost[sr.key], format: money, axis: count,
      summary: `On-call cost ${money(rep.total.cost.total)}: standby ${money(rep.total.cost.standby)}, interruptions ${money(rep.total.cost.interruptions)}, response ${money(rep.total.cost.response)}.`,
    }), people.length < (rep.people || []).length ? 'The people who cost the most, most first; the table has everyone.' : 'Most first.'),
    h('p', {class: 'rates small muted'}, `Rates: standby ${money(r.standby_per_hour)} an hour; ${money(r.per_interruption)} an interruption, `,
      `×${r.off_hours_multiplier} off hours, ×${r.sleep_multiplier} in sleep hours, ×${r.holiday_multiplier} on public holidays; response per hour `,
      Object.entries(r.response_per_hour || {}).map(([role, v]) => `${role} ${money(v)}`).join(', ') || 'none', '.'),
    h('h2', null, 'Per person'),
    table('Cost per person', ['Person', ...COST_COLUMNS],
      (rep.people || []).map((p) => ({attrs: {'data-user': p.user}, cells: [p.name ? `${p.name} (${p.user})` : p.user, ...costCells(p, money)]})),
      {empty: 'Nobody in this report.', className: 'numbers'}),
    h('h2', null, 'Per team'),
    table('Cost per team', ['Team', ...COST_COLUMNS],
      [...(rep.teams || []).map((t) => ({attrs: {'data-team': t.team}, cells: [t.team, ...costCells(t, money)]})),
        {attrs: {class: 'total', 'data-total': ''}, cells: [h('strong', null, 'Everyone'), ...costCells(rep.total, money)]}],
      {className: 'numbers'}),
  ];
}

function coverage(rep) {
  const teams = rep.teams || [];
  return [
    chartFigure('Guaranteed response per team', barChart({
      categories: teams.map((t) => ({key: t.team, label: t.team, t})),
      series: [{key: 'guaranteed_hours', label: 'Someone paged at once', cls: 'bar-business'}, {key: 'gap_hours', label: 'Nobody on call', cls: 'bar-gap'}],
      value: (c, sr) => c.t[sr.key], format: hours, axis: (v) => `${count(Math.round(v))} h`,
      summary: `${teams.filter((t) => t.always_covered).length} of ${teams.length} teams had guaranteed response all the time.`,
    }), 'Hours in the period with someone on call on the schedules the team’s escalation policy pages first, and hours with nobody.'),
    h('h2', null, 'Teams'),
    table('Guaranteed response per team', ['Team', 'Schedules', 'Guaranteed', 'Gaps', 'Coverage', 'Overlap', '24/7', 'Critical services', 'Verdict', 'Follow the sun'],
      teams.map((t) => ({attrs: {'data-team': t.team, class: t.needs_24x7 && !t.always_covered ? 'row-warn' : null}, cells: [
        t.team, (t.schedules || []).join(', ') || '—', n(t.guaranteed_hours, hours(t.guaranteed_hours)), n(t.gap_hours, hours(t.gap_hours)),
        n(t.coverage, share(t.coverage)), n(t.overlap_hours, hours(t.overlap_hours)), t.always_covered ? 'yes' : 'no',
        (t.critical_services || []).join(', ') || '—', t.verdict, n(t.follow_the_sun_share, share(t.follow_the_sun_share))]})),
      {empty: 'No team in this report.', className: 'numbers'}),
    teams.some((t) => (t.gaps || []).length) ? h('section', {'aria-label': 'Longest gaps'},
      h('h3', null, 'Longest gaps'),
      h('ul', {class: 'gaps'}, teams.flatMap((t) => (t.gaps || []).map((g) => h('li', {'data-team': t.team},
        `${t.team}: ${when(g.start, 'UTC')} to ${when(g.end, 'UTC')} (${hours(g.hours)})`))))) : null,
    h('h2', null, 'Hours on call per person, in their own time zone'),
    table('Hours on call per person', ['Person', 'Time zone', 'On call', 'Business', 'Off', 'Night'],
      (rep.people || []).map((p) => ({attrs: {'data-user': p.user}, cells: [p.name ? `${p.name} (${p.user})` : p.user, p.time_zone,
        n(p.oncall_hours, hours(p.oncall_hours)), n(p.business_hours, hours(p.business_hours)), n(p.off_hours, hours(p.off_hours)),
        n(p.night_hours, hours(p.night_hours))]})),
      {empty: 'Nobody was on call in this period.', className: 'numbers'}),
  ];
}

const TOIL_SERIES = [
  {key: 'acknowledged_by_hand', label: 'Acked by hand', cls: 'bar-business'},
  {key: 'resolved_by_hand', label: 'Resolved by hand', cls: 'bar-off'},
  {key: 'operations', label: 'Operations by hand', cls: 'bar-sleep'},
  {key: 'repeat_alerts', label: 'Repeat alerts', cls: 'bar-gap'},
];
const TOIL_COLUMNS = ['Incidents', 'Acked by hand', 'Resolved by hand', 'Acked, then self-resolved', 'Closed, no note', 'Repeat alerts', 'Operations by hand', 'Manual actions'];
const toilCells = (r) => [n(r.incidents), n(r.acknowledged_by_hand), n(r.resolved_by_hand), n(r.self_resolved_acknowledged),
  n(r.closed_without_note), n(r.repeat_alerts), n(r.operations), n(r.manual_actions)];

function toil(rep) {
  const services = rep.services || [];
  return [
    chartFigure('Toil per service', barChart({
      categories: services.slice(0, 24).map((r) => ({key: r.service, label: r.service, r})),
      series: TOIL_SERIES, value: (c, sr) => c.r[sr.key],
      summary: `${rep.total.manual_actions} manual actions and ${rep.total.repeat_alerts} repeat alerts in the period.`,
    }), 'Actions people took by hand, and alerts that triggered again with a dedup key already seen.'),
    h('h2', null, 'Per service'),
    table('Toil per service', ['Service', 'Team', ...TOIL_COLUMNS],
      services.map((r) => ({attrs: {'data-service': r.service}, cells: [h('a', {href: `/services/${esc(r.service)}`}, r.service), r.team || '—', ...toilCells(r)]})),
      {empty: 'No toil in this period.', className: 'numbers'}),
    h('h2', null, 'Per team'),
    table('Toil per team', ['Team', ...TOIL_COLUMNS],
      [...(rep.teams || []).map((r) => ({attrs: {'data-team': r.team}, cells: [r.team, ...toilCells(r)]})),
        {attrs: {class: 'total', 'data-total': ''}, cells: [h('strong', null, 'All'), ...toilCells(rep.total)]}],
      {className: 'numbers'}),
    h('h2', null, 'Alerts that keep repeating'),
    table('Alerts that keep repeating', ['Service', 'Dedup key', 'Alerts', 'Triggers', 'Repeats'],
      (rep.top_repeats || []).map((k) => ({attrs: {'data-service': k.service}, cells: [k.service, h('code', null, k.dedup_key), n(k.alerts), n(k.triggers), n(k.repeats)]})),
      {empty: 'No alert repeated in this period.', className: 'numbers'}),
  ];
}

// findings lists ranked findings (risks or signals) with their evidence.
function findings(list, empty) {
  if (!list.length) return h('p', {class: 'muted empty'}, empty);
  return h('ol', {class: 'findings ranked'}, list.map((f) => h('li', {'data-kind': f.kind, 'data-rank': f.rank, 'data-score': f.score},
    h('p', null, h('strong', null, f.summary), ' ', h('span', {class: 'kind'}, f.kind), f.critical ? h('span', {class: 'kind kind-critical'}, 'critical') : null),
    h('ul', {class: 'evidence'}, (f.evidence || []).map((e) => h('li', null, e))))));
}

function findingChart(heading, list, what) {
  const top = list.slice(0, 15);
  return chartFigure(heading, barChart({
    categories: top.map((f) => ({key: String(f.rank), label: `${f.rank}. ${f.service || f.team || ''}`, f})),
    series: [{key: 'critical', label: 'Critical service', cls: 'bar-sleep'}, {key: 'other', label: 'Other', cls: 'bar-off'}],
    value: (c, sr) => ((sr.key === 'critical') === c.f.critical ? c.f.score : 0),
    summary: `${list.length} ${what}${list.length ? `, the first: ${list[0].summary}` : ''}`,
  }), `The score of each, highest first (the first ${top.length}); the list below says why.`);
}

function risks(rep) {
  const list = rep.risks || [];
  return [
    h('p', {class: 'muted small'}, `As of ${when(rep.at, 'UTC')}.`),
    findingChart('Risks, ranked', list, list.length === 1 ? 'risk' : 'risks'),
    h('h2', null, 'Risks and their evidence'),
    findings(list, 'No risk found.'),
  ];
}

function unclearValue(rep) {
  const teams = rep.teams || [];
  const signals = rep.signals || [];
  return [
    chartFigure('Services per person on call', barChart({
      categories: teams.map((t) => ({key: t.team, label: t.team, t})),
      series: [{key: 'services_per_person', label: 'Services per person', cls: 'bar-off'}],
      value: (c) => c.t.services_per_person, format: (v) => count(Math.round(v * 100) / 100),
      summary: `${signals.length} signals of unclear value; ${teams.length} teams.`,
    }), 'Each team’s services (owned, or covered as an IRT) divided by its members.'),
    h('h2', null, 'Signals'),
    findings(signals, 'No signal of unclear value.'),
    h('h2', null, 'Services per person'),
    table('Services per person', ['Team', 'Services', 'Members', 'Per person'],
      teams.map((t) => ({attrs: {'data-team': t.team}, cells: [t.team, n(t.services), n(t.members), n(t.services_per_person)]})),
      {empty: 'No team in this report.', className: 'numbers'}),
  ];
}

const RENDER = {
  interruptions,
  response,
  cost,
  coverage,
  toil,
  risks,
  'unclear-value': unclearValue,
};
