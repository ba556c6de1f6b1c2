// Operations on an incident's page: a button per verb each of the
// incident's services offers, a form for its parameters, a confirmation
// that shows the exact request (secrets masked) where the operation asks
// for one, and the runs made from the incident.

import {badge, h, field, errorBox, table} from '../dom.js';
import {describe, esc, get, post} from '../api.js';
import {actor, span, when} from '../format.js';

function runBadge(status) {
  return badge(status, {succeeded: 'green', failed: 'red', running: 'amber', pending: 'amber'}[status] || 'grey');
}

// operationsSection returns the section and refresh(incident), which
// reloads the runs and, when the incident's services changed, the verbs.
export function operationsSection(incidentID, onRun) {
  const verbs = h('div', {class: 'operations'});
  const runs = h('div');
  const error = errorBox();
  const done = h('p', {class: 'done', role: 'status'});
  let services = null;

  const loadRuns = async () => {
    const page = await get(`/api/v1/operations/runs?incident=${esc(incidentID)}&limit=50`).catch(() => ({runs: []}));
    runs.replaceChildren(table('Operation runs', ['When', 'Who', 'Operation', 'Service', 'Status', 'Took', 'Output'],
      page.runs.map((r) => ({
        attrs: {'data-run': String(r.id), 'data-status': r.status},
        cells: [when(r.requested_at), actor(r.actor), r.operation, r.service, runBadge(r.status),
          r.started_at && r.finished_at ? span(Date.parse(r.finished_at) - Date.parse(r.started_at)) : '',
          h('div', null, r.error ? h('p', {class: 'run-error'}, r.error) : null, r.output ? h('pre', {class: 'run-output'}, r.output) : null)],
      })), {empty: 'No operation run from this incident yet.'}));
  };

  // form is one verb on one service: its parameters, then Run, or Review
  // and Confirm where the operation asks first.
  const form = (svc, op) => {
    const inputs = (op.params || []).map((p) => {
      const input = h('input', {name: p.name, value: p.default || '', required: p.required, maxlength: 4096, autocomplete: 'off',
        pattern: p.pattern ? p.pattern.replace(/^\^/, '').replace(/\$$/, '') : null, type: p.secret ? 'password' : 'text'});
      return {p, input, el: field(p.name, input, p.description || (p.pattern ? `matches ${p.pattern}` : null))};
    });
    const review = h('div', {class: 'review', hidden: true});
    const submit = h('button', {type: 'submit', class: op.confirm ? '' : 'primary'}, op.confirm ? 'Review' : `Run ${op.id}`);
    const f = h('form', {class: 'stack', 'data-operation': op.id, 'data-service': svc}, inputs.map((i) => i.el), submit, review);
    const body = (dry) => ({incident: Number(incidentID), dry_run: dry, channel: 'web',
      params: Object.fromEntries(inputs.filter((i) => i.input.value !== '').map((i) => [i.p.name, i.input.value]))});
    const path = `/api/v1/services/${esc(svc)}/operations/${esc(op.id)}`;
    const run = async () => {
      error.clear();
      done.textContent = '';
      submit.disabled = true;
      try {
        const a = await post(path, body(false));
        const r = a.run;
        done.textContent = r.status === 'succeeded' ? `${op.id} on ${svc}: succeeded.` : `${op.id} on ${svc}: ${r.status}${r.error ? ` — ${r.error}` : ''}.`;
        review.hidden = true;
        review.replaceChildren();
      } catch (err) {
        error.show(describe(`Could not run ${op.id} on ${svc}`, err));
      } finally {
        submit.disabled = false;
        await loadRuns();
        await onRun();
      }
    };
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!op.confirm) {
        await run();
        return;
      }
      error.clear();
      try {
        const dry = await post(path, body(true));
        const confirm = h('button', {type: 'button', class: 'danger', 'data-confirm': op.id, onclick: () => run()}, `Confirm: run ${op.id} on ${svc}`);
        const cancel = h('button', {type: 'button', onclick: () => { review.hidden = true; review.replaceChildren(); }}, 'Cancel');
        review.replaceChildren(h('p', null, 'This is exactly what will be sent (secrets masked):'),
          h('pre', {class: 'run-request'}, dry.run.request), h('div', {class: 'button-row'}, confirm, cancel));
        review.hidden = false;
        confirm.focus();
      } catch (err) {
        error.show(describe(`Could not prepare ${op.id} on ${svc}`, err));
      }
    });
    // One button per verb; it opens the verb's form (parameters, then the
    // review where the operation asks for confirmation).
    f.hidden = true;
    const open = h('button', {type: 'button', class: 'verb', 'aria-expanded': 'false', 'data-verb': op.id}, `${op.id} ${svc}`);
    open.addEventListener('click', () => {
      f.hidden = !f.hidden;
      open.setAttribute('aria-expanded', String(!f.hidden));
      if (!f.hidden) (inputs.length ? inputs[0].input : submit).focus();
    });
    return h('div', {class: 'action operation', 'data-operation': op.id, 'data-service': svc},
      h('div', {class: 'button-row'}, open, op.description ? h('span', {class: 'muted small'}, op.description) : null), f);
  };

  const loadVerbs = async (ids) => {
    const offered = await Promise.all(ids.map((svc) => get(`/api/v1/operations?service=${esc(svc)}`)
      .then((p) => p.operations.map((op) => form(svc, op))).catch(() => [])));
    const all = offered.flat();
    verbs.replaceChildren(...(all.length ? all : [h('p', {class: 'muted'}, 'The incident’s services offer no operations.')]));
  };

  const el = h('section', {class: 'card', 'aria-labelledby': 'operations-title'},
    h('h2', {id: 'operations-title'}, 'Operations'),
    error.el, done, verbs,
    h('h3', null, 'Runs'), runs);

  const refresh = async (inc) => {
    const ids = inc.services || [];
    if (services === null || services.join(',') !== ids.join(',')) {
      services = ids;
      await loadVerbs(ids);
    }
    await loadRuns();
  };
  return {el, refresh};
}
