// Pieces several pages share.

import {h, badge} from '../dom.js';
import {APIError, get} from '../api.js';

export function statusBadge(status) {
  return badge(status, status === 'triggered' ? 'red' : status === 'acknowledged' ? 'amber' : 'green');
}

export function severityBadge(sev) {
  const kind = {SEV1: 'red', SEV2: 'orange', SEV3: 'amber', SEV4: 'grey'}[sev] || 'grey';
  return badge(sev || '—', kind);
}

export function urgencyBadge(urgency) {
  return badge(`${urgency} urgency`, urgency === 'high' ? 'orange' : 'grey');
}

export function majorBadge() {
  return badge('major', 'purple');
}

export function criticalBadge() {
  return badge('critical', 'red-outline');
}

export function serviceLinks(ids) {
  const out = [];
  (ids || []).forEach((id, i) => {
    if (i) out.push(', ');
    out.push(h('a', {href: `/services/${encodeURIComponent(id)}`}, id));
  });
  return out.length ? out : ['—'];
}

// poller runs fn now and every ms while the tab is visible, and returns
// the function that stops it.
export function poller(fn, ms) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped) return;
    if (!document.hidden) await fn().catch(() => {});
    if (!stopped) timer = setTimeout(tick, ms);
  };
  const wake = () => {
    if (!document.hidden && timer !== null) {
      clearTimeout(timer);
      tick();
    }
  };
  document.addEventListener('visibilitychange', wake);
  tick();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    document.removeEventListener('visibilitychange', wake);
  };
}

export function loading() {
  return h('p', {class: 'muted'}, 'Loading…');
}

// detailOf reads the object a detail page (/{collection}/{id}) shows from
// /api/v1/{collection}/{id}, and titles the page with heading meanwhile.
// When the server has no such object it says so in the page, with a link
// to the list, and answers null; other failures are thrown.
export async function detailOf(ctx, collection, what, heading = ctx.params[0]) {
  const id = ctx.params[0];
  ctx.title(heading);
  const base = `/api/v1/${collection}/${encodeURIComponent(id)}`;
  try {
    return {id, base, obj: await get(base)};
  } catch (err) {
    if (!(err instanceof APIError) || err.status !== 404) throw err;
    ctx.main.append(h('h1', null, heading), h('p', null, `There is no such ${what}. `, h('a', {href: `/${collection}`}, `All ${what}s`)));
    return null;
  }
}
