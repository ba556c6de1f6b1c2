// Reports computed in the browser from the API's incidents.

import {h, field, table} from '../dom.js';
import {listAll} from '../api.js';
import {span} from '../format.js';
import {openedSince, serviceStats} from '../stats.js';
import {loading} from './common.js';

const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['all', 'All loaded']];
const MAX_PAGES = 10; // 10 pages of 1000: enough for a report, bounded for the browser
const COLUMNS = ['Service', 'Resolved', 'Acknowledged',
  'MTTA mean', 'MTTA median', 'MTTA p90', 'MTTR mean', 'MTTR median', 'MTTR p90'];

export async function reportsPage(ctx) {
  ctx.title('Reports');
  const period = PERIODS.some(([v]) => v === ctx.query.get('period')) ? ctx.query.get('period') : '30';
  const select = h('select', {name: 'period'}, PERIODS.map(([v, t]) => h('option', {value: v, selected: v === period}, t)));
  select.addEventListener('change', () => ctx.navigate(`/reports?period=${select.value}`, {replace: true}));
  ctx.main.append(h('h1', null, 'Reports'),
    h('form', {class: 'filters', 'aria-label': 'Report period'}, field('Incidents opened in', select)),
    loading());
  const all = await listAll('/api/v1/incidents?status=resolved&limit=1000', 'incidents', MAX_PAGES);
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  const incidents = period === 'all' ? all : openedSince(all, Date.now() - Number(period) * 24 * 3600 * 1000);
  const st = serviceStats(incidents);
  const times = (s) => (s === null ? ['—', '—', '—'] : [span(s.mean), span(s.median), span(s.p90)]);
  const cells = (r, name) => [name, String(r.incidents), String(r.acknowledged), ...times(r.mtta), ...times(r.mttr)];
  ctx.main.append(
    h('section', {'aria-labelledby': 'mtt-title'},
      h('h2', {id: 'mtt-title'}, 'Time to acknowledge and resolve, per service'),
      h('p', {class: 'muted small'},
        `Computed in your browser from ${incidents.length} resolved incident${incidents.length === 1 ? '' : 's'}`,
        ` (of the ${all.length} most recent loaded). `,
        'MTTA is the time from opening to acknowledgement, MTTR from opening to resolution, both over the same incidents: ',
        'those acknowledged before they were resolved. Incidents resolved without an acknowledgement count as resolved but are timed for neither. ',
        'Mean, median and 90th percentile (9 in 10 were faster). An incident counts for every service with an alert in it.'),
      table('MTTA and MTTR per service', COLUMNS,
        [...st.services.map((r) => ({
          attrs: {'data-service': r.service},
          cells: cells(r, h('a', {href: `/services/${encodeURIComponent(r.service)}`}, r.service)),
        })), ...(st.services.length ? [{attrs: {class: 'total'}, cells: cells(st.total, h('strong', null, 'All incidents'))}] : [])],
        {empty: 'No resolved incidents in this period.', className: 'numbers'})));
}
