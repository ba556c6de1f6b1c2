// Incidents, live: the open ones by default, refreshed every few seconds.

import {h, field, errorBox, table} from '../dom.js';
import {describe, esc, get, listAll} from '../api.js';
import {age, clock, when} from '../format.js';
import {majorBadge, poller, serviceLinks, severityBadge, statusBadge, urgencyBadge} from './common.js';

export const REFRESH_MS = 5000;

const STATUSES = [
  ['open', 'Open (triggered or acknowledged)'],
  ['triggered', 'Triggered'],
  ['acknowledged', 'Acknowledged'],
  ['resolved', 'Resolved'],
  ['all', 'All'],
];

export async function incidentsPage(ctx) {
  ctx.title('Incidents');
  const status = STATUSES.some(([v]) => v === ctx.query.get('status')) ? ctx.query.get('status') : 'open';
  const service = ctx.query.get('service') || '';

  const statusSelect = h('select', {name: 'status'},
    STATUSES.map(([v, text]) => h('option', {value: v, selected: v === status}, text)));
  const serviceSelect = h('select', {name: 'service'}, h('option', {value: ''}, 'All services'));
  const filters = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter incidents'},
    field('Status', statusSelect), field('Service', serviceSelect));
  const apply = () => {
    const q = new URLSearchParams();
    if (statusSelect.value !== 'open') q.set('status', statusSelect.value);
    if (serviceSelect.value) q.set('service', serviceSelect.value);
    const qs = q.toString();
    ctx.navigate(`/incidents${qs ? `?${qs}` : ''}`, {replace: true});
  };
  statusSelect.addEventListener('change', apply);
  serviceSelect.addEventListener('change', apply);
  filters.addEventListener('submit', (e) => { e.preventDefault(); apply(); });

  const updated = h('p', {class: 'muted small', id: 'updated'});
  const problem = errorBox();
  const list = h('div', {id: 'incident-list', 'aria-live': 'off'});
  ctx.main.append(
    h('div', {class: 'page-head'},
      h('h1', null, 'Incidents'),
      h('p', {class: 'muted'}, `Refreshed every ${REFRESH_MS / 1000} seconds.`)),
    filters, problem.el, updated, list);

  get('/api/v1/services?limit=1000').then((page) => {
    for (const svc of page.services) {
      serviceSelect.append(h('option', {value: svc.id, selected: svc.id === service}, svc.name ? `${svc.name} (${svc.id})` : svc.id));
    }
    if (service && !page.services.some((s) => s.id === service)) {
      serviceSelect.append(h('option', {value: service, selected: true}, service));
    }
  }).catch(() => {});

  const q = new URLSearchParams({status, limit: '200'});
  if (service) q.set('service', service);
  const refresh = async () => {
    let incidents;
    try {
      incidents = await listAll(`/api/v1/incidents?${q}`, 'incidents', 5);
    } catch (err) {
      problem.show(describe('Could not load incidents', err));
      return;
    }
    if (!ctx.alive()) return;
    problem.clear();
    const now = new Date();
    updated.textContent = `${incidents.length} incident${incidents.length === 1 ? '' : 's'} · updated ${clock(now)}`;
    list.replaceChildren(table('Incidents',
      ['#', 'Incident', 'Status', 'Severity', 'Urgency', 'Services', 'Age'],
      incidents.map((inc) => ({
        attrs: {'data-incident': inc.id, class: inc.status === 'triggered' ? 'row-triggered' : null},
        cells: [
          h('a', {href: `/incidents/${esc(inc.id)}`}, `#${inc.id}`),
          [h('a', {href: `/incidents/${esc(inc.id)}`, class: 'title-link'}, inc.title), inc.major ? [' ', majorBadge()] : null],
          statusBadge(inc.status),
          severityBadge(inc.severity),
          urgencyBadge(inc.urgency),
          serviceLinks(inc.services),
          h('time', {datetime: inc.created_at, title: when(inc.created_at)}, age(inc.created_at, now)),
        ],
      })),
      {empty: status === 'open' ? 'No open incidents. All quiet.' : 'No incidents match.', className: 'incidents'}));
  };
  return poller(refresh, REFRESH_MS);
}
