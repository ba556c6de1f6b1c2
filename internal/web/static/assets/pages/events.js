// Events of the org-wide integrations that no rule of org.event_rules
// routed: the unrouted ones (each paged the global IRT through service
// "unrouted") and the suppressed ones (kept, never paged). The labels are
// shown in full, as they are what a new rule would match.

import {h, table} from '../dom.js';
import {get} from '../api.js';
import {when} from '../format.js';
import {loading, severityBadge} from './common.js';

const KINDS = [
  ['unrouted', 'Unrouted', 'No rule of org.event_rules routed these events. Without org.unrouted_service each opened an alert on service unrouted, which pages the global IRT.', 'No unrouted events.'],
  ['suppressed', 'Suppressed', 'A rule suppressed these events: they are kept and counted, and page nobody.', 'No suppressed events.'],
];

function labels(l) {
  const names = Object.keys(l || {}).sort();
  if (names.length === 0) return h('span', {class: 'muted'}, 'none');
  return h('ul', {class: 'plain labels'}, names.map((n) => h('li', null, h('code', null, `${n}=${l[n]}`))));
}

function rows(events) {
  return events.map((e) => ({
    attrs: {'data-event': String(e.id)},
    cells: [
      when(e.received_at || e.recorded_at),
      e.integration,
      e.change ? h('span', null, e.change.summary, ' ', h('span', {class: 'badge'}, 'change'))
        : h('span', null, e.event.summary || e.event.dedup_key, ' ', e.event.severity ? severityBadge(e.event.severity) : null),
      labels(e.labels),
      e.reason,
      e.service ? h('a', {href: `/services/${encodeURIComponent(e.service)}`}, e.service) : '—',
    ],
  }));
}

export async function eventsPage(ctx) {
  ctx.title('Events');
  ctx.main.append(h('h1', null, 'Events no rule routed'), loading());
  const lists = await Promise.all(KINDS.map(([kind]) => get(`/api/v1/events/${kind}?limit=100`)));
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  KINDS.forEach(([kind, title, about, empty], i) => {
    const events = lists[i].events || [];
    ctx.main.append(h('section', {'aria-labelledby': `${kind}-title`, id: kind},
      h('h2', {id: `${kind}-title`}, `${title} (${events.length}${lists[i].next_cursor ? '+' : ''})`),
      h('p', {class: 'muted small'}, about),
      table(`${title} events`, ['Received', 'Integration', 'Event', 'Labels', 'Why', 'Service'], rows(events), {empty})));
  });
}
