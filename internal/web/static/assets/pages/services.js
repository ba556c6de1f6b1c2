// Services: the catalog with derived criticality, each service's
// neighbourhood in the dependency graph, who responds and maintenance.

import {h, errorBox, externalLink, table} from '../dom.js';
import {describe, esc, get, listAll} from '../api.js';
import {path, when} from '../format.js';
import {drawGraph, edgesOf, neighbourhood} from '../graph.js';
import {layout} from '../layout.js';
import {criticalBadge, detailOf, loading} from './common.js';
import {ceilingSection} from '../ceiling.js';

function graphFigure(services, ids, current, caption) {
  const byID = new Map(services.map((s) => [s.id, s]));
  const nodes = [...ids].sort().map((id) => ({id, label: id}));
  const edges = edgesOf(services).filter((e) => ids.has(e.from) && ids.has(e.to));
  const critical = new Set(services.filter((s) => s.critical).map((s) => s.id));
  for (const id of ids) if (!byID.has(id)) critical.delete(id);
  const g = layout(nodes, edges);
  return h('figure', {class: 'graph-figure'},
    h('div', {class: 'graph-scroll'}, drawGraph(g, {critical, current, label: caption})),
    h('figcaption', {class: 'legend'},
      h('span', {class: 'legend-item'}, h('span', {class: 'swatch swatch-hard', 'aria-hidden': 'true'}), 'hard dependency'),
      h('span', {class: 'legend-item'}, h('span', {class: 'swatch swatch-soft', 'aria-hidden': 'true'}), 'soft dependency'),
      h('span', {class: 'legend-item'}, h('span', {class: 'swatch swatch-critical', 'aria-hidden': 'true'}), 'critical service'),
      h('span', {class: 'muted'}, 'A service sits above what it depends on. Select a service to open it.')));
}

export async function servicesPage(ctx) {
  ctx.title('Services');
  ctx.main.append(h('h1', null, 'Services'), loading());
  const services = await listAll('/api/v1/services?limit=1000', 'services');
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  ctx.main.append(
    table('Services', ['Service', 'Owner', 'Critical', 'Why critical'], services.map((s) => ({
      attrs: {'data-service': s.id},
      cells: [
        [h('a', {href: `/services/${esc(s.id)}`}, s.name || s.id), s.name ? h('span', {class: 'muted small'}, ` ${s.id}`) : null],
        s.owner,
        s.critical ? criticalBadge() : h('span', {class: 'muted'}, 'no'),
        s.critical ? (s.critical_because.length === 1 ? 'revenue-critical itself' : path(s.critical_because)) : '',
      ],
    })), {empty: 'No services configured yet: apply a configuration with vigil apply.'}),
    services.length ? h('section', {'aria-labelledby': 'graph-title'},
      h('h2', {id: 'graph-title'}, 'Dependency graph'),
      graphFigure(services, new Set(services.map((s) => s.id)), null, 'Dependency graph of all services')) : '');
}

export async function servicePage(ctx) {
  const d = await detailOf(ctx, 'services', 'service');
  if (d === null) return;
  const {base, obj: svc} = d;
  const problem = errorBox();
  const [deps, dependents, blast, ceiling, responders, maintenance, services] = await Promise.all([
    get(`${base}/dependencies`),
    get(`${base}/dependents`),
    get(`${base}/blast_radius`),
    get(`${base}/ceiling`).catch((err) => { problem.show(describe('The availability ceiling', err)); return null; }),
    get(`${base}/responders`).catch((err) => { problem.show(describe('Responders', err)); return null; }),
    get(`${base}/maintenance`).catch(() => ({maintenance_windows: []})),
    listAll('/api/v1/services?limit=1000', 'services'),
  ]);
  if (!ctx.alive()) return;
  ctx.title(svc.name || svc.id);

  const edgeList = (items, empty) => items.length
    ? h('ul', {class: 'plain'}, items.map((d) => h('li', null,
      h('a', {href: `/services/${esc(d.service)}`}, d.service), ' ', h('span', {class: `kind kind-${d.kind}`}, d.kind))))
    : h('p', {class: 'muted'}, empty);
  const idList = (ids, empty) => ids.length
    ? h('ul', {class: 'inline-list'}, ids.map((x) => h('li', null, h('a', {href: `/services/${esc(x)}`}, x))))
    : h('p', {class: 'muted'}, empty);

  const now = Date.now();
  const windows = (maintenance.maintenance_windows || []).filter((w) => Date.parse(w.end) > now);
  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '/services'}, '← Services')),
    h('h1', null, svc.name || svc.id, svc.name ? h('span', {class: 'muted'}, ` ${svc.id}`) : null),
    h('p', {class: 'badges'}, svc.critical ? criticalBadge() : null, svc.revenue_critical ? h('span', {class: 'badge badge-grey'}, 'revenue-critical') : null),
    svc.built_in ? h('p', {class: 'muted', id: 'built-in'}, `This service is ${svc.built_in}; no configuration file holds it.`) : null,
    h('dl', {class: 'facts'},
      h('dt', null, 'Owner team'), h('dd', null, svc.owner),
      h('dt', null, 'Critical'), h('dd', null, svc.critical
        ? (svc.critical_because.length === 1 ? 'yes: it is revenue-critical itself' : `yes: ${path(svc.critical_because)}`)
        : 'no'),
      svc.escalation_policy ? [h('dt', null, 'Escalation policy'), h('dd', null, svc.escalation_policy)] : null,
      svc.runbook ? [h('dt', null, 'Runbook'), h('dd', null, externalLink(svc.runbook))] : null,
      h('dt', null, 'Open incidents'), h('dd', null, h('a', {href: `/incidents?service=${esc(svc.id)}`}, 'incidents on this service'))),
    problem.el,
    h('section', {'aria-labelledby': 'graph-title'},
      h('h2', {id: 'graph-title'}, 'Dependency graph'),
      graphFigure(services, neighbourhood(svc.id, edgesOf(services)), svc.id, `Dependency graph around ${svc.id}`)),
    h('div', {class: 'columns'},
      h('section', {'aria-labelledby': 'deps-title'}, h('h2', {id: 'deps-title'}, 'Depends on'), edgeList(deps.dependencies, 'No dependencies.')),
      h('section', {'aria-labelledby': 'dependents-title'}, h('h2', {id: 'dependents-title'}, 'Needed by'), edgeList(dependents.dependents, 'Nothing depends on it.')),
      h('section', {'aria-labelledby': 'blast-title'}, h('h2', {id: 'blast-title'}, 'Blast radius'),
        h('h3', null, 'Through hard dependencies'), idList(blast.hard, 'None.'),
        h('h3', null, 'Through all dependencies'), idList(blast.all, 'None.'))),
    ceiling ? ceilingSection(ceiling) : null,
    responders ? h('section', {'aria-labelledby': 'resp-title'},
      h('h2', {id: 'resp-title'}, 'Who responds now'),
      h('p', null, `Coverage: ${responders.coverage.mode}`, responders.coverage.irt ? ` by ${responders.coverage.irt}` : '',
        responders.coverage.after ? ` after ${responders.coverage.after}` : ''),
      table('Responders', ['Step', 'After', 'Who', 'Why'], responders.responders.map((r) => [
        String(r.step), r.after, r.user.name ? `${r.user.name} (${r.user.id})` : r.user.id,
        [r.why, r.irt ? [' ', h('span', {class: 'badge badge-purple'}, 'IRT')] : null],
      ]), {empty: 'Nobody would be paged now.'}),
      (responders.notes || []).length ? h('ul', {class: 'notes'}, responders.notes.map((n) => h('li', null, n))) : null) : null,
    h('section', {'aria-labelledby': 'mw-title'},
      h('h2', {id: 'mw-title'}, 'Maintenance windows'),
      table('Maintenance windows', ['From', 'To', 'Reason', 'By'], windows.map((w) => [when(w.start), when(w.end), w.reason || '', w.created_by || '']),
        {empty: 'None scheduled.'})));
}
