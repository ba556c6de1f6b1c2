// Pieces several pages share.

import {h, badge} from '../dom.js';

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
