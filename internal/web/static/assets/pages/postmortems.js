// Post-mortems: the list of those the policy requires (missing, in
// progress, overdue) and of all written; one post-mortem, whose sections
// are edited as Markdown and shown rendered, reviewed from draft to
// published; and the action items that follow them up, org-wide or per
// team.

import {h, badge, errorBox, field, externalLink, table} from '../dom.js';
import {APIError, describe, esc, get, post, put} from '../api.js';
import {actor, when} from '../format.js';
import {markdown} from '../markdown.js';
import {loading, severityBadge} from './common.js';

// SECTIONS are the sections people write, in reading order.
export const SECTIONS = [
  ['summary', 'Summary'],
  ['impact', 'Impact'],
  ['timeline', 'Timeline'],
  ['suspects', 'Suspects'],
  ['contributing_factors', 'Contributing factors'],
  ['went_well', 'What went well'],
  ['went_wrong', 'What did not go well'],
];

const STATUS_LABEL = {draft: 'draft', in_review: 'in review', published: 'published', missing: 'missing'};

export function pmStatusBadge(status) {
  const kind = {draft: 'amber', in_review: 'orange', published: 'green', missing: 'red'}[status] || 'grey';
  return badge(STATUS_LABEL[status] || status, kind);
}

function overdueBadge() {
  return badge('overdue', 'red');
}

// REVIEW lists the moves of the review from each status: the button's
// text and where it goes.
export const REVIEW = {
  draft: [['Send to review', 'in_review']],
  in_review: [['Publish', 'published'], ['Back to draft', 'draft']],
  published: [],
};

// conflictMessage words a refused edit: someone else saved first.
export function conflictMessage(err) {
  return `Not saved: someone else changed this post-mortem meanwhile (${err.message}). ` +
    'Your text is kept in the editor; reload the post-mortem to see theirs, then edit again.';
}

export async function postmortemsPage(ctx) {
  ctx.title('Post-mortems');
  ctx.main.append(h('h1', null, 'Post-mortems'),
    h('p', null, h('a', {href: '/action-items'}, 'Action items, org-wide and per team →')), loading());
  const [required, written] = await Promise.all([
    get('/api/v1/postmortems/required?state=unfinished'),
    get('/api/v1/postmortems?limit=200'),
  ]);
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  const reqs = required.requirements || [];
  ctx.main.append(
    h('section', {'aria-labelledby': 'required-title', class: 'required-postmortems'},
      h('h2', {id: 'required-title'}, 'Required and not published'),
      h('p', {class: 'muted small'}, 'Incidents of the last 90 days the post-mortem policy asks a post-mortem of, missing or unfinished.'),
      table('Required post-mortems', ['Incident', 'Severity', 'Team', 'Why', 'Post-mortem', 'Due'], reqs.map((r) => ({
        attrs: {'data-incident': String(r.incident_id), 'data-state': r.overdue ? 'overdue' : r.postmortem},
        cells: [
          h('a', {href: `/incidents/${r.incident_id}`}, `#${r.incident_id} ${r.title}`),
          [severityBadge(r.severity), r.major ? ' major' : ''],
          r.owner_team || '—',
          (r.required_because || []).join('; '),
          [r.postmortem === 'missing' ? pmStatusBadge('missing') : h('a', {href: `/postmortems/${r.incident_id}`}, pmStatusBadge(r.postmortem))],
          r.due ? [when(r.due), r.overdue ? [' ', overdueBadge()] : ''] : 'once resolved',
        ],
      })), {empty: 'Every required post-mortem is published.'})),
    h('section', {'aria-labelledby': 'written-title'},
      h('h2', {id: 'written-title'}, 'Written'),
      table('Post-mortems', ['Incident', 'Status', 'Team', 'Action items', 'Last change'], (written.postmortems || []).map((p) => ({
        attrs: {'data-postmortem': String(p.id)},
        cells: [
          h('a', {href: `/postmortems/${p.id}`}, `#${p.incident_id} ${p.title}`),
          [pmStatusBadge(p.status), p.overdue ? [' ', overdueBadge()] : ''],
          p.owner_team || '—',
          `${(p.action_items || []).filter((a) => a.status === 'open').length} open of ${(p.action_items || []).length}`,
          `${when(p.updated_at)} by ${actor(p.updated_by)}`,
        ],
      })), {empty: 'No post-mortem written yet: draft one from its incident’s page.'})));
}

export async function postmortemPage(ctx) {
  const id = ctx.params[0];
  ctx.title(`Post-mortem ${id}`);
  if (!/^[1-9][0-9]{0,17}$/.test(id)) {
    ctx.main.append(h('h1', null, 'Not found'), h('p', null, `“${id}” is not an incident number. `, h('a', {href: '/postmortems'}, 'All post-mortems')));
    return;
  }
  const base = `/api/v1/postmortems/${id}`;
  let pm;
  try {
    pm = await get(base);
  } catch (err) {
    if (!(err instanceof APIError) || err.status !== 404) throw err;
    ctx.main.append(h('h1', null, `Post-mortem of incident #${id}`),
      h('p', null, 'This incident has no post-mortem yet. ', h('a', {href: `/incidents/${id}`}, 'Draft one from the incident')));
    return;
  }
  if (!ctx.alive()) return;
  const head = h('div');
  const review = h('div', {class: 'button-row review'});
  const sections = h('div', {class: 'pm-sections'});
  const items = h('div');
  const history = h('div');
  const exported = h('textarea', {readonly: true, rows: 12, class: 'mono', 'aria-label': 'Post-mortem as Markdown'});
  const problem = errorBox();
  const done = h('p', {class: 'done', role: 'status'});
  const editors = new Map(); // section → open editor textarea

  const say = (text) => { problem.clear(); done.textContent = text; };
  const refused = (what, err) => {
    done.textContent = '';
    problem.show(err instanceof APIError && err.status === 409 && /changed since/.test(err.message)
      ? conflictMessage(err) : describe(what, err));
  };
  const save = async (edit, what) => {
    try {
      const after = await put(base, {...edit, version: pm.version});
      show(after);
      say(`${what}: saved as version ${after.version}.`);
      return true;
    } catch (err) {
      refused(`Could not ${what.toLowerCase()}`, err);
      return false;
    }
  };

  const sectionView = (key, title) => {
    const body = h('div', {class: 'markdown'});
    const text = pm[key] || '';
    body.append(...(text.trim() ? markdown(text) : [h('p', {class: 'muted'}, 'Nothing written yet.')]));
    const wrap = h('section', {class: 'card pm-section', 'data-section': key, 'aria-labelledby': `s-${key}`},
      h('h2', {id: `s-${key}`}, title));
    if (editors.has(key)) {
      const area = editors.get(key);
      wrap.append(editorForm(key, title, area));
      return wrap;
    }
    const edit = h('button', {type: 'button', class: 'link-button edit', disabled: pm.status === 'published'}, 'Edit');
    edit.addEventListener('click', () => {
      editors.set(key, h('textarea', {name: key, rows: 10, class: 'mono', maxlength: 100000}, pm[key] || ''));
      renderSections();
      editors.get(key).focus();
    });
    wrap.append(body, edit);
    return wrap;
  };
  const editorForm = (key, title, area) => {
    const submit = h('button', {type: 'submit', class: 'primary'}, 'Save');
    const cancel = h('button', {type: 'button'}, 'Cancel');
    cancel.addEventListener('click', () => { editors.delete(key); renderSections(); });
    const f = h('form', {class: 'stack'}, field(`${title} (Markdown)`, area), h('div', {class: 'button-row'}, submit, cancel));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      submit.disabled = true;
      if (await save({[key]: area.value}, `Save ${title.toLowerCase()}`)) {
        editors.delete(key);
        renderSections();
      }
      submit.disabled = false;
    });
    return f;
  };
  const renderSections = () => {
    sections.replaceChildren(...SECTIONS.map(([key, title]) => sectionView(key, title)));
  };

  const teamSelect = h('select', {name: 'owner_team', required: true}, h('option', {value: ''}, 'Choose a team'));
  const itemTitle = h('input', {name: 'title', required: true, maxlength: 500});
  const itemDue = h('input', {name: 'due', type: 'date', required: true});
  const itemURL = h('input', {name: 'url', type: 'url', placeholder: 'https://…'});
  const addItem = h('form', {class: 'stack add-item'},
    field('Action item', itemTitle), field('Owner team', teamSelect), field('Due', itemDue, 'The end of that day in the team’s time zone.'),
    field('Tracker URL (optional)', itemURL), h('button', {type: 'submit'}, 'Add action item'));
  addItem.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const after = await post(`${base}/action_items`, {title: itemTitle.value, owner_team: teamSelect.value, due: itemDue.value, url: itemURL.value || undefined});
      addItem.reset();
      show(after);
      say('Action item added.');
    } catch (err) {
      refused('Could not add the action item', err);
    }
  });
  get('/api/v1/teams?limit=1000').then((p) => {
    teamSelect.append(...p.teams.map((t) => h('option', {value: t.id}, t.name ? `${t.name} (${t.id})` : t.id)));
  }).catch(() => {});

  const show = (v) => {
    pm = v;
    ctx.title(`Post-mortem #${pm.incident_id}`);
    const dl = h('dl', {class: 'facts'});
    const fact = (k, ...val) => dl.append(h('dt', null, k), h('dd', null, ...val));
    fact('Incident', h('a', {href: `/incidents/${pm.incident_id}`}, `#${pm.incident_id}`));
    fact('Owner team', pm.owner_team || '—');
    fact('Required', pm.required ? (pm.required_because || []).join('; ') : 'no');
    if (pm.due) fact('Due', when(pm.due), pm.overdue ? [' ', overdueBadge()] : '');
    fact('Version', String(pm.version), ` — last changed ${when(pm.updated_at)} by ${actor(pm.updated_by)}`);
    if (pm.published_at) fact('Published', when(pm.published_at));
    head.replaceChildren(
      h('h1', {tabindex: -1}, h('span', {class: 'muted'}, 'Post-mortem: '), pm.title),
      h('p', {class: 'badges'}, h('span', {class: 'pm-status'}, pmStatusBadge(pm.status)), pm.overdue ? [' ', overdueBadge()] : ''),
      dl);
    review.replaceChildren(...(REVIEW[pm.status] || []).map(([text, to]) => {
      const b = h('button', {type: 'button', class: to === 'published' ? 'good' : '', 'data-to': to}, text);
      b.addEventListener('click', async () => {
        b.disabled = true;
        await save({status: to}, text);
        b.disabled = false;
      });
      return b;
    }));
    if (pm.status === 'published') review.append(h('p', {class: 'muted small'}, 'Published: the text is final; action items still change.'));
    renderSections();
    items.replaceChildren(table('Action items', ['Action item', 'Owner team', 'Due', 'Status', 'Tracker'], (pm.action_items || []).map((it) => {
      const status = h('select', {'aria-label': `Status of ${it.title}`, name: `status-${it.id}`},
        ['open', 'done', 'wont_do'].map((s) => h('option', {value: s, selected: s === it.status}, s.replace('_', ' '))));
      status.addEventListener('change', async () => {
        try {
          await put(`/api/v1/action_items/${it.id}`, {status: status.value});
          show(await get(base));
          say(`Action item ${it.id}: ${status.value.replace('_', ' ')}.`);
        } catch (err) {
          refused('Could not change the action item', err);
          status.value = it.status;
        }
      });
      return {
        attrs: {'data-item': String(it.id)},
        cells: [it.title, it.owner_team, [when(it.due), it.overdue ? [' ', overdueBadge()] : ''], status, it.url ? externalLink(it.url) : '—'],
      };
    }), {empty: 'No action items yet.'}));
    get(`${base}/history?limit=50`).then((p) => {
      history.replaceChildren(table('History', ['When', 'Who', 'What'],
        (p.history || []).map((e) => [when(e.at), actor(e.actor), e.details || e.action]), {empty: 'No changes yet.'}));
    }).catch(() => {});
  };

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '/postmortems'}, '← Post-mortems')),
    head, review, problem.el, done, sections,
    h('section', {'aria-labelledby': 'items-title', class: 'card'}, h('h2', {id: 'items-title'}, 'Action items'), items,
      h('details', {class: 'action'}, h('summary', null, 'Add an action item'), addItem)),
    h('section', {'aria-labelledby': 'history-title'}, h('h2', {id: 'history-title'}, 'History'), history),
    h('details', {class: 'card export'}, h('summary', null, 'Export as Markdown'),
      h('p', {class: 'muted small'}, 'For your wiki; the CLI writes the same: vigil postmortem export ', String(pm.incident_id)), exported));
  show(pm);
  ctx.main.querySelector('details.export').addEventListener('toggle', async (e) => {
    if (!e.target.open) return;
    exported.value = await markdownOf(base);
  });
}

// markdownOf reads the post-mortem's Markdown export as text.
async function markdownOf(base) {
  const res = await fetch(`${base}/markdown`, {cache: 'no-store', credentials: 'same-origin'});
  return res.ok ? res.text() : `Could not export: ${res.status} ${res.statusText}`;
}

export async function actionItemsPage(ctx) {
  ctx.title('Action items');
  const status = h('select', {name: 'status'}, [['open', 'Open'], ['done', 'Done'], ['wont_do', 'Won’t do'], ['', 'Any']]
    .map(([v, t]) => h('option', {value: v, selected: (ctx.query.get('status') ?? 'open') === v}, t)));
  const overdue = h('select', {name: 'overdue'}, [['', 'Any'], ['true', 'Overdue only'], ['false', 'Not overdue']]
    .map(([v, t]) => h('option', {value: v, selected: (ctx.query.get('overdue') || '') === v}, t)));
  const team = h('select', {name: 'team'}, h('option', {value: ''}, 'Every team'));
  const form = h('form', {class: 'filters'}, field('Status', status), field('Overdue', overdue), field('Team', team), h('button', {type: 'submit'}, 'Show'));
  const list = h('div');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of [['status', status], ['overdue', overdue], ['team', team]]) if (el.value) q.set(k, el.value);
    if (!status.value) q.set('status', '');
    ctx.navigate(`/action-items${q.size ? `?${q}` : ''}`);
  });
  ctx.main.append(h('p', {class: 'crumbs'}, h('a', {href: '/postmortems'}, '← Post-mortems')), h('h1', null, 'Action items'), form, list);
  const teams = await get('/api/v1/teams?limit=1000');
  team.append(...teams.teams.map((t) => h('option', {value: t.id, selected: ctx.query.get('team') === t.id}, t.name ? `${t.name} (${t.id})` : t.id)));
  const q = new URLSearchParams({limit: '1000'});
  if (status.value) q.set('status', status.value);
  if (overdue.value) q.set('overdue', overdue.value);
  if (team.value) q.set('team', team.value);
  const page = await get(`/api/v1/action_items?${q}`);
  if (!ctx.alive()) return;
  list.replaceChildren(table('Action items', ['Action item', 'Owner team', 'Due', 'Status', 'Post-mortem', 'Tracker'], (page.action_items || []).map((it) => ({
    attrs: {'data-item': String(it.id)},
    cells: [it.title, it.owner_team, [when(it.due), it.overdue ? [' ', overdueBadge()] : ''], it.status.replace('_', ' '),
      h('a', {href: `/postmortems/${it.incident_id}`}, `incident #${it.incident_id}`), it.url ? externalLink(it.url) : '—'],
  })), {empty: 'No action items match.'}));
}

// postmortemCard is the incident page's post-mortem section: where the
// post-mortem stands, whether the policy requires one, and the button
// that drafts it.
export async function postmortemCard(incidentID, navigate) {
  const card = h('section', {class: 'card postmortem', 'aria-labelledby': 'pm-title'}, h('h2', {id: 'pm-title'}, 'Post-mortem'));
  const [pm, req] = await Promise.all([
    get(`/api/v1/incidents/${esc(incidentID)}/postmortem`).catch((err) => {
      if (err instanceof APIError && err.status === 404) return null;
      throw err;
    }),
    get(`/api/v1/postmortems/required?incident=${esc(incidentID)}`).then((p) => (p.requirements || [])[0] || null).catch(() => null),
  ]);
  if (req) {
    card.append(h('p', {class: 'required'}, 'Required: ', (req.required_because || []).join('; '),
      req.due ? ` — due ${when(req.due)}` : ' — due once the incident is resolved', req.overdue ? [' ', overdueBadge()] : ''));
  }
  if (pm) {
    card.append(h('p', null, pmStatusBadge(pm.status), ` version ${pm.version} `, h('a', {href: `/postmortems/${pm.id}`}, 'Open the post-mortem')));
    return card;
  }
  const problem = errorBox();
  const draft = h('button', {type: 'button', class: 'primary'}, 'Draft the post-mortem');
  draft.addEventListener('click', async () => {
    draft.disabled = true;
    try {
      const made = await post(`/api/v1/incidents/${esc(incidentID)}/postmortem`, {});
      navigate(`/postmortems/${made.id}`);
    } catch (err) {
      problem.show(describe('Could not draft the post-mortem', err));
      draft.disabled = false;
    }
  });
  card.append(h('p', {class: 'muted small'}, req ? pmStatusBadge('missing') : 'Not required by the policy.',
    ' Written from the incident’s record: impact, timeline, suspects, pages and budgets.'), draft, problem.el);
  return card;
}
