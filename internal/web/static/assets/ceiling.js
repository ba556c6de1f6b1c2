// A service's availability ceiling, as GET /api/v1/services/{id}/ceiling
// gives it: the most it can reach with its hard dependencies at their SLO
// targets, what they measured, the extra-nine rule and the fixes. The
// service page and the SLO page show it alike.

import {h, badge, table} from './dom.js';
import {esc} from './api.js';
import {pct} from './format.js';

// percent shows an availability with up to four decimals of a percent.
const percent = (v) => pct(v, 4);

const nineText = {ok: 'one more nine: ok', short: 'short of one more nine', no_slo: 'no SLO'};

// ceilingSummary words the ceiling in one sentence.
export function ceilingSummary(c) {
  if (c.dependencies.length === 0) return `${c.service} needs nothing through hard dependencies: nothing caps its availability.`;
  const measured = c.measured !== null
    ? ` Over their windows they measured ${percent(c.measured)}.`
    : (c.measured_at_most < 1 ? ` Over their windows those with data measured ${percent(c.measured_at_most)}.` : '');
  if (c.ceiling === null) {
    const one = c.unknown.length === 1;
    const unknown = `Unknown: ${c.unknown.join(', ')} ${one ? 'has' : 'have'} no SLO`;
    if (c.unknown.length === c.dependencies.length) return `${unknown}, so how available ${c.service} can be is not known.${measured}`;
    return `${unknown}, so ${c.service} can reach at most ${percent(c.at_most)} and less by what ${one ? 'it fails' : 'they fail'}.${measured}`;
  }
  return `${percent(c.ceiling)}: the most ${c.service} can reach with its ${c.dependencies.length} hard ` +
    `${c.dependencies.length === 1 ? 'dependency' : 'dependencies'} at their SLO targets.${measured}`;
}

// ceilingSection shows the ceiling; slo, when given, is the SLO of the
// page, whose own check is the one spelled out.
export function ceilingSection(c, slo) {
  const checks = slo ? c.objectives.filter((o) => o.slo === slo) : c.objectives;
  const state = [];
  for (const o of checks) {
    state.push(o.above_ceiling
      ? badge(`${o.slo} ${percent(o.target)}: above its ceiling`, 'red')
      : badge(`${o.slo} ${percent(o.target)}: within its ceiling`, 'green'));
  }
  const findings = slo ? c.findings.filter((f) => !f.slo || f.slo === slo) : c.findings;
  return h('section', {'aria-labelledby': 'ceiling-title', class: 'ceiling', 'data-above': String(c.above_ceiling)},
    h('h2', {id: 'ceiling-title'}, 'Availability ceiling'),
    state.length ? h('p', {class: 'badges'}, state) : null,
    h('p', {class: 'ceiling-summary'}, ceilingSummary(c)),
    table('Hard dependencies and their SLOs', ['Dependency', 'Through', 'SLO', 'Target', 'Measured', 'Extra nine'],
      c.dependencies.map((d) => ({
        attrs: {'data-dependency': d.service, class: d.unknown || d.extra_nine === 'short' ? 'row-warn' : null},
        cells: [
          h('a', {href: `/services/${esc(d.service)}`}, d.service),
          d.via.length > 2 ? d.via.slice(1, -1).join(' → ') : 'direct',
          d.unknown ? h('span', {class: 'muted'}, 'none: unknown') : h('a', {href: `/slos/${esc(d.slo)}`}, d.slo),
          percent(d.target), d.measured === null ? 'no data' : percent(d.measured),
          d.extra_nine ? nineText[d.extra_nine] : '',
        ],
      })), {empty: 'No hard dependencies.', className: 'ceiling-deps'}),
    findings.length ? h('ul', {class: 'findings'}, findings.map((f) => h('li', {'data-kind': f.kind},
      badge(f.level, f.level === 'error' ? 'red' : 'amber'), ' ', f.message,
      h('ul', {class: 'fixes'}, f.suggestions.map((s) => h('li', null, `Fix: ${s}`)))))) : null,
    h('p', {class: 'muted small'},
      'The ceiling is the product of the SLO targets of everything the service needs through hard dependencies, each counted once; ',
      'a dependency with several SLOs counts with its lowest. Critical services want roughly one more nine of each hard dependency ',
      '(“The Calculus of Service Availability”, ACM Queue 2017).'));
}
