// One incident: what is known, who responds, what happened, and the
// actions a responder takes. Data sections refresh on their own; the
// forms stay as they are so nothing typed is lost.

import {h, field, errorBox, externalLink, table} from '../dom.js';
import {describe, esc, get, post} from '../api.js';
import {actor, age, span, when} from '../format.js';
import {detailOf, majorBadge, poller, serviceLinks, severityBadge, statusBadge, urgencyBadge} from './common.js';
import {operationsSection} from './operations.js';
import {postmortemCard} from './postmortems.js';

const REFRESH_MS = 10000;
const SNOOZES = ['15m', '30m', '1h', '2h', '4h', '8h', '1d'];
const ROLES = ['commander', 'comms', 'scribe'];

export async function incidentPage(ctx) {
  const id = ctx.params[0];
  ctx.title(`Incident ${id}`);
  if (!/^[1-9][0-9]{0,17}$/.test(id)) {
    ctx.main.append(h('h1', null, 'Not found'), h('p', null, `“${id}” is not an incident number. `, h('a', {href: '/incidents'}, 'All incidents')));
    return;
  }
  const d = await detailOf(ctx, 'incidents', 'incident', `Incident #${id}`);
  if (d === null) return;
  const {base} = d;
  let inc = d.obj;
  if (!ctx.alive()) return;

  const head = h('div', {class: 'incident-head'});
  const facts = h('div', {class: 'facts-wrap'});
  const suspects = h('div');
  const related = h('div');
  const relatedSection = h('section', {'aria-labelledby': 'related-title', hidden: true},
    h('h2', {id: 'related-title'}, 'Related incidents'),
    h('p', {class: 'muted small'}, 'They share a dependency that shows no sign of trouble; merge one here if it is the same failure.'),
    related);
  const responders = h('div');
  const timeline = h('div');
  const alerts = h('div');
  const postmortem = h('div');
  const operations = operationsSection(id, async () => {
    const v = await get(base);
    if (ctx.alive()) show(v);
  });
  const actionError = errorBox();
  const actionDone = h('p', {class: 'done', role: 'status'});
  const buttons = [];

  const act = async (verb, body, label, form) => {
    actionError.clear();
    actionDone.textContent = '';
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const after = await post(`${base}/${verb}`, {...body, channel: 'web'});
      actionDone.textContent = `${label}: done.`;
      if (form) form.reset();
      show(after);
      await refreshSide(after);
    } catch (err) {
      actionError.show(describe(`Could not ${label.toLowerCase()}`, err));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      updateButtons();
    }
  };
  const button = (text, cls, onclick) => {
    const b = h('button', {type: 'button', class: cls, onclick});
    b.textContent = text;
    buttons.push(b);
    return b;
  };
  const ackButton = button('Acknowledge', 'primary', () => act('acknowledge', {}, 'Acknowledge'));
  const resolveButton = button('Resolve', 'good', () => act('resolve', {}, 'Resolve'));
  const updateButtons = () => {
    ackButton.disabled = inc.status !== 'triggered';
    resolveButton.disabled = inc.status === 'resolved';
  };

  const form = (title, controls, submitText, onsubmit) => {
    const submit = h('button', {type: 'submit'}, submitText);
    buttons.push(submit);
    const f = h('form', {class: 'stack'}, controls, submit);
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      onsubmit(f);
    });
    return h('details', {class: 'action'}, h('summary', null, title), f);
  };

  const note = h('textarea', {name: 'message', rows: 3, required: true, maxlength: 10000});
  const snooze = h('select', {name: 'duration'}, SNOOZES.map((d) => h('option', {value: d}, d)));
  const pageWho = h('select', {name: 'who', required: true}, h('option', {value: ''}, 'Choose a user or team'));
  const pageMsg = h('textarea', {name: 'message', rows: 2, maxlength: 10000});
  const role = h('select', {name: 'role'}, ROLES.map((r) => h('option', {value: r}, r)));
  const roleUser = h('select', {name: 'user', required: true}, h('option', {value: ''}, 'Choose a user'));
  const update = h('textarea', {name: 'message', rows: 3, required: true, maxlength: 10000});
  const audience = h('select', {name: 'audience'},
    h('option', {value: 'internal'}, 'Responders'),
    h('option', {value: 'stakeholders'}, 'Subscribed stakeholders'));

  const actions = h('section', {class: 'card actions', 'aria-labelledby': 'actions-title'},
    h('h2', {id: 'actions-title'}, 'Respond'),
    h('div', {class: 'button-row'}, ackButton, resolveButton),
    actionError.el, actionDone,
    form('Add note', field('Note', note), 'Add note', (f) => act('notes', {message: note.value}, 'Add note', f)),
    form('Snooze', field('Snooze for', snooze, 'Escalation waits; the incident triggers again after this.'), 'Snooze',
      () => act('snooze', {duration: snooze.value}, `Snooze for ${snooze.value}`)),
    form('Page a user or team', [field('Page', pageWho), field('Message (optional)', pageMsg)], 'Page', (f) => {
      const [kind, who] = pageWho.value.split(':');
      act('page', {[kind]: who, message: pageMsg.value || undefined}, `Page ${who}`, f);
    }),
    form('Assign role', [field('Role', role), field('User', roleUser)], 'Assign role',
      () => act('roles', {role: role.value, user: roleUser.value}, `Assign ${role.value}`)),
    form('Post status update', [field('Update', update), field('To', audience)], 'Post update',
      (f) => act('updates', {message: update.value, audience: audience.value}, 'Post update', f)));

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '/incidents'}, '← Incidents')),
    head,
    h('div', {class: 'incident-grid'},
      h('div', {class: 'incident-side'},
        actions,
        operations.el,
        h('section', {class: 'card', 'aria-labelledby': 'responders-title'}, h('h2', {id: 'responders-title'}, 'Responders'), responders)),
      h('div', {class: 'incident-main'},
        facts,
        h('section', {'aria-labelledby': 'suspects-title'}, h('h2', {id: 'suspects-title'}, 'Suspects'), suspects),
        relatedSection,
        h('section', {'aria-labelledby': 'timeline-title'}, h('h2', {id: 'timeline-title'}, 'Timeline'), timeline),
        h('section', {'aria-labelledby': 'alerts-title'}, h('h2', {id: 'alerts-title'}, 'Alerts'), alerts),
        postmortem),
));

  const show = (v) => {
    inc = v;
    ctx.title(`#${inc.id} ${inc.title}`);
    const now = new Date();
    head.replaceChildren(
      h('h1', {tabindex: -1}, h('span', {class: 'muted'}, `#${inc.id} `), inc.title),
      h('p', {class: 'badges'}, statusBadge(inc.status), severityBadge(inc.severity), urgencyBadge(inc.urgency), inc.major ? majorBadge() : null));
    const dl = h('dl', {class: 'facts'});
    const fact = (k, ...v) => dl.append(h('dt', null, k), h('dd', null, ...v));
    fact('Services', serviceLinks(inc.services));
    fact('Opened', h('time', {datetime: inc.created_at}, when(inc.created_at)), ` (${age(inc.created_at, now)} ago)`);
    if (inc.acknowledged_at) fact('Acknowledged', `${when(inc.acknowledged_at)} by ${actor(inc.acknowledged_by)}, after ${span(Date.parse(inc.acknowledged_at) - Date.parse(inc.created_at))}`);
    if (inc.resolved_at) fact('Resolved', `${when(inc.resolved_at)} by ${actor(inc.resolved_by)}, after ${span(Date.parse(inc.resolved_at) - Date.parse(inc.created_at))}`);
    if (inc.snoozed_until && inc.status !== 'resolved') fact('Snoozed until', when(inc.snoozed_until));
    if (inc.escalation_policy) fact('Escalation policy', inc.escalation_policy);
    if (inc.suppressed) fact('Paging held back', inc.suppressed);
    fact('Alerts', String(inc.alert_count));
    facts.replaceChildren(dl);

    const roles = Object.entries(inc.roles || {});
    responders.replaceChildren(
      roles.length
        ? h('dl', {class: 'roles'}, roles.map(([r, u]) => [h('dt', null, r), h('dd', null, u)]))
        : h('p', {class: 'muted'}, 'No roles assigned.'),
      table('Responders', ['Who', 'Why', 'Since'], (inc.responders || []).map((r) => [
        r.user ? r.user : `team ${r.team}`, r.reason || '', when(r.added_at),
      ]), {empty: 'Nobody engaged yet.'}));

    timeline.replaceChildren(table('Timeline', ['When', 'Who', 'Via', 'What', 'Message'],
      (inc.timeline || []).map((e) => ({
        attrs: {'data-kind': e.kind},
        cells: [h('time', {datetime: e.at}, when(e.at, undefined, true)), h('span', {title: e.actor}, actor(e.actor)), e.channel || '', e.kind, e.message],
      })), {className: 'timeline', empty: 'Nothing yet.'}));
    const rel = inc.related || [];
    relatedSection.hidden = rel.length === 0;
    related.replaceChildren(h('ul', {class: 'related'}, rel.map((r) => {
      const merge = h('button', {type: 'button', disabled: inc.status === 'resolved',
        onclick: () => act('merge', {incident: r.incident}, `Merge incident #${r.incident}`)}, 'Merge into this incident');
      return h('li', {'data-related': String(r.incident)},
        h('a', {href: `/incidents/${r.incident}`}, `Incident #${r.incident}`), ' via ', (r.via || []).join(', '), ': ', r.reason, ' ', merge);
    })));
    updateButtons();
  };

  const refreshSide = async (v) => {
    const [alertPage, , changes, pmCard] = await Promise.all([
      get(`${base}/alerts?limit=200`).catch(() => ({alerts: []})),
      operations.refresh(v).catch(() => {}),
      suspectChanges(v.suspects || []),
      postmortemCard(v.id, ctx.navigate).catch((err) => h('p', {class: 'error'}, describe('Post-mortem', err))),
    ]);
    if (!ctx.alive()) return;
    postmortem.replaceChildren(pmCard);
    alerts.replaceChildren(table('Alerts', ['#', 'Summary', 'Service', 'Severity', 'Status', 'Count', 'Last event'],
      alertPage.alerts.map((a) => [String(a.id), a.summary, a.service, a.severity, statusBadge(a.status), String(a.count), when(a.last_event_at)]),
      {empty: 'No alerts (declared by hand).'}));
    suspects.replaceChildren((v.suspects || []).length
      ? h('ol', {class: 'suspects'}, v.suspects.map((sus) => h('li', null,
        h('a', {href: `/services/${esc(sus.service)}`}, sus.service),
        h('ul', null, (sus.reasons || []).map((r) => h('li', null, r))),
        (sus.changes || []).length
          ? h('ul', {class: 'changes'}, sus.changes.map((cid) => {
            const c = changes.get(cid);
            return h('li', null, c
              ? [h('strong', null, 'Change: '), c.summary, ` — ${when(c.timestamp)}`, c.source ? ` (${c.source})` : '',
                (c.links || []).map((l) => [' ', externalLink(l.href, l.text || 'link')])]
              : `Change #${cid}`);
          }))
          : null)))
      : h('p', {class: 'muted'}, 'No suspects.'));
  };

  get('/api/v1/users?limit=1000').then((p) => {
    const users = p.users.map((u) => h('option', {value: `user:${u.id}`}, u.name ? `${u.name} (${u.id})` : u.id));
    pageWho.append(h('optgroup', {label: 'Users'}, users));
    roleUser.append(...p.users.map((u) => h('option', {value: u.id}, u.name ? `${u.name} (${u.id})` : u.id)));
  }).catch(() => {});
  get('/api/v1/teams?limit=1000').then((p) => {
    pageWho.append(h('optgroup', {label: 'Teams (their on-call)'}, p.teams.map((t) => h('option', {value: `team:${t.id}`}, t.name ? `${t.name} (${t.id})` : t.id))));
  }).catch(() => {});

  show(inc);
  await refreshSide(inc);
  let first = true;
  return poller(async () => {
    if (first) { first = false; return; }
    const v = await get(base);
    if (!ctx.alive()) return;
    show(v);
    await refreshSide(v);
  }, REFRESH_MS);
}

// suspectChanges fetches the change events the suspects name, by id.
async function suspectChanges(suspects) {
  const out = new Map();
  const services = [...new Set(suspects.filter((s) => (s.changes || []).length).map((s) => s.service))];
  await Promise.all(services.map(async (svc) => {
    const page = await get(`/api/v1/changes?service=${esc(svc)}&limit=200`).catch(() => ({changes: []}));
    for (const c of page.changes) out.set(c.id, c);
  }));
  return out;
}
