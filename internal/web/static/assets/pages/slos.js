// SLOs with their error budget, when the server has SLO endpoints.

import {h, table} from '../dom.js';
import {APIError, get} from '../api.js';
import {loading} from './common.js';

// sloRow reads one SLO whether the list gives the status flat or nested
// under "status".
export function sloRow(item) {
  const st = item.status && typeof item.status === 'object' ? item.status : item;
  const name = item.name || item.slo || (item.metadata && item.metadata.name) || st.slo || '';
  const service = item.service || st.service || (item.spec && item.spec.service) || '';
  const objective = st.objective ?? item.objective ?? item.target;
  const remaining = st.budget_remaining;
  let state = 'ok';
  if (st.no_data) state = 'no data';
  else if (st.frozen) state = 'budget exhausted: releases frozen';
  else if (st.firing) state = 'burning: alert firing';
  else if (typeof remaining === 'number' && remaining <= 0) state = 'budget exhausted';
  return {name, service, objective, sli: st.sli, remaining, state};
}

function pct(v, digits = 2) {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '—';
}

export async function slosPage(ctx) {
  ctx.title('SLOs');
  ctx.main.append(h('h1', null, 'SLOs'), loading());
  let list;
  try {
    const page = await get('/api/v1/slos?limit=1000');
    list = page.slos || [];
  } catch (err) {
    if (!(err instanceof APIError) || (err.status !== 404 && err.status !== 405)) throw err;
    list = null;
  }
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  if (list === null) {
    ctx.main.append(h('p', {class: 'notice'}, 'No SLOs are configured: this server has no SLO endpoint (/api/v1/slos).'));
    return;
  }
  if (list.length === 0) {
    ctx.main.append(h('p', {class: 'notice'}, 'No SLOs are configured. Add OpenSLO documents to the configuration and apply it.'));
    return;
  }
  ctx.main.append(table('SLOs', ['SLO', 'Service', 'Objective', 'SLI now', 'Error budget left', 'State'], list.map((item) => {
    const r = sloRow(item);
    const meter = typeof r.remaining === 'number'
      ? [h('meter', {min: 0, max: 1, low: 0.25, high: 0.5, optimum: 1, value: Math.max(0, Math.min(1, r.remaining))}), ' ', pct(r.remaining, 1)]
      : '—';
    return {
      attrs: {'data-slo': r.name},
      cells: [h('a', {href: `/slos/${encodeURIComponent(r.name)}`}, r.name), r.service ? h('a', {href: `/services/${encodeURIComponent(r.service)}`}, r.service) : '—',
        pct(r.objective, 3), pct(r.sli, 3), meter, r.state],
    };
  })));
}
