// Schedules: who is on call now and the coming week's shifts, shown in
// the schedule's own time zone.

import {h, field, errorBox, table} from '../dom.js';
import {describe, esc, get, post, session} from '../api.js';
import {span, when} from '../format.js';
import {detailOf, loading} from './common.js';
import {scheduleEditor} from '../schedule-editor.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

function people(list) {
  if (!list || list.length === 0) return h('span', {class: 'muted'}, 'nobody');
  return list.map((u, i) => [i ? ', ' : '', u.name ? `${u.name} (${u.id})` : u.id]);
}

export async function schedulesPage(ctx) {
  ctx.title('Schedules');
  ctx.main.append(h('h1', null, 'Schedules'), loading());
  const page = await get('/api/v1/schedules?limit=1000');
  const schedules = page.schedules;
  // Who is on call now, asked per schedule; a failure shows in its row.
  const now = await Promise.all(schedules.slice(0, 100).map((s) =>
    get(`/api/v1/schedules/${esc(s.id)}/oncall`).then((a) => a.oncall, () => null)));
  if (!ctx.alive()) return;
  ctx.main.lastChild.remove();
  ctx.main.append(table('Schedules', ['Schedule', 'Time zone', 'Layers', 'On call now'], schedules.map((s, i) => ({
    attrs: {'data-schedule': s.id},
    cells: [
      [h('a', {href: `/schedules/${esc(s.id)}`}, s.name || s.id), s.name ? h('span', {class: 'muted small'}, ` ${s.id}`) : null],
      s.time_zone,
      String((s.layers || []).length),
      i < now.length && now[i] !== null ? people(now[i]) : h('span', {class: 'muted'}, 'unknown'),
    ],
  })), {empty: 'No schedules configured yet.'}));
}

export async function schedulePage(ctx) {
  const d = await detailOf(ctx, 'schedules', 'schedule');
  if (d === null) return;
  const {base, obj: sched} = d;
  const from = new Date();
  const to = new Date(from.getTime() + WEEK_MS);
  const [oncall, shifts] = await Promise.all([
    get(`${base}/oncall`),
    get(`${base}/shifts?from=${esc(from.toISOString())}&to=${esc(to.toISOString())}&limit=1000`),
  ]);
  if (!ctx.alive()) return;
  ctx.title(sched.name || sched.id);
  const tz = sched.time_zone;

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '/schedules'}, '← Schedules')),
    h('h1', null, sched.name || sched.id, sched.name ? h('span', {class: 'muted'}, ` ${sched.id}`) : null),
    h('section', {class: 'card oncall-now', 'aria-labelledby': 'now-title'},
      h('h2', {id: 'now-title'}, 'On call now'),
      h('p', {class: 'big'}, people(oncall.oncall))),
    scheduleEditor(ctx, sched, base),
    h('section', {'aria-labelledby': 'shifts-title'},
      h('h2', {id: 'shifts-title'}, 'The next 7 days'),
      h('p', {class: 'muted small'}, `Times in ${tz}, the schedule's time zone.`),
      table('Shifts', ['Who', 'From', 'To', 'Length', 'Layer'], shifts.shifts.map((sh) => [
        sh.user.name ? `${sh.user.name} (${sh.user.id})` : sh.user.id,
        h('time', {datetime: sh.start}, when(sh.start, tz)),
        h('time', {datetime: sh.end}, when(sh.end, tz)),
        span(Date.parse(sh.end) - Date.parse(sh.start)),
        sh.layer,
      ]), {empty: 'Nobody is scheduled in the next 7 days.'})),
    feedSection(sched.id));
}

// feedSection makes a calendar feed link: it creates the user's feed token
// (replacing any earlier one) and shows this schedule's feed URL.
function feedSection(scheduleID) {
  const s = session();
  const user = h('input', {name: 'user', value: (s && s.user) || '', required: true, autocapitalize: 'none', spellcheck: 'false'});
  const problem = errorBox();
  const out = h('div');
  const form = h('form', {class: 'stack'},
    h('p', null, 'Subscribe to this schedule in your calendar application. Creating a link replaces your earlier feed links.'),
    s && s.user ? null : field('Your user id', user),
    problem.el,
    h('button', {type: 'submit'}, 'Create calendar feed link'), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.clear();
    try {
      const ft = await post(`/api/v1/users/${esc(user.value.trim())}/feed_token`);
      const url = ft.schedule_url_template.replace('{schedule}', encodeURIComponent(scheduleID));
      const box = h('input', {readonly: true, value: url, class: 'mono', 'aria-label': 'Calendar feed URL'});
      out.replaceChildren(field('This schedule’s feed (keep it private: it works without signing in)', box),
        h('p', {class: 'small'}, 'Your own shifts across schedules: ', h('a', {href: ft.user_url}, 'personal feed')));
      box.select();
    } catch (err) {
      problem.show(describe('Could not create the feed link', err));
    }
  });
  return h('section', {class: 'card', 'aria-labelledby': 'feed-title'}, h('h2', {id: 'feed-title'}, 'Calendar feed'), form);
}
