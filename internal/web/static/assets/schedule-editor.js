// The schedule editor on a schedule's page: two weeks of the schedule as a
// timeline (each layer, the overrides, the final rotation), in the
// schedule's zone or the reader's; overrides made through the API are
// created, moved and deleted here with the API's own checks and rights,
// and cover requests are asked for, accepted and withdrawn. What the
// configuration files own stays read-only, and the page says so.

import {h, field, errorBox, table} from './dom.js';
import {api, describe, esc, get, post, session} from './api.js';
import {fromWall, midnights, toWall, when} from './format.js';
import {timelineChart} from './timeline.js';

const DAY_MS = 24 * 3600 * 1000;
const DAYS = 14;

// readerZone is the reader's own time zone, by name.
function readerZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'your browser’s zone';
}

export function scheduleEditor(ctx, sched, base) {
  const me = (session() || {}).user || '';
  const state = {zone: sched.time_zone, shift: 0, tl: null, editing: null};
  const section = h('section', {class: 'card schedule-editor', 'aria-labelledby': 'timeline-title'});
  const zoneArg = () => (state.zone === '' ? undefined : state.zone);
  const zoneName = () => (state.zone === '' ? readerZone() : state.zone);

  const radio = (value, text) => {
    const input = h('input', {type: 'radio', name: 'zone', value, checked: state.zone === value});
    input.addEventListener('change', () => {
      state.zone = value;
      refresh();
    });
    return h('label', {class: 'inline'}, input, ' ', text);
  };
  const nav = (text, days) => h('button', {type: 'button', class: 'small', onclick: () => {
    state.shift = days === 0 ? 0 : state.shift + days;
    refresh();
  }}, text);
  const notes = h('div', {class: 'notes'});
  const chart = h('div', {class: 'timeline-wrap'});
  const overrides = h('div');
  const editor = h('div');
  const covers = h('div');
  const problem = errorBox();

  section.append(
    h('h2', {id: 'timeline-title'}, 'Timeline and overrides'),
    h('div', {class: 'toolbar'},
      h('fieldset', {class: 'zone-choice'}, h('legend', null, 'Show times in'),
        radio(sched.time_zone, `the schedule’s zone (${sched.time_zone})`), radio('', `your zone (${readerZone()})`)),
      h('div', {class: 'nav'}, nav('← Earlier week', -7), nav('Today', 0), nav('Later week →', 7))),
    problem.el, notes, chart, overrides, editor, covers);

  async function refresh() {
    problem.clear();
    // ?from=YYYY-MM-DD starts on that day (a link to a week), else today.
    const day = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.get('from') || '') ? fromWall(`${ctx.query.get('from')}T00:00`, zoneArg()) : null;
    const first = day || midnights(new Date(), 0, zoneArg())[0];
    // From noon, so that a day of 23 or 25 hours cannot move it a day.
    const start = midnights(new Date(first.getTime() + state.shift * DAY_MS + DAY_MS / 2), 0, zoneArg())[0];
    const end = midnights(start, DAYS, zoneArg())[DAYS];
    try {
      const [tl, list] = await Promise.all([
        get(`${base}/timeline?from=${esc(start.toISOString())}&to=${esc(end.toISOString())}`),
        get(`/api/v1/cover_requests?schedule=${esc(sched.id)}&limit=100`),
      ]);
      if (!ctx.alive()) return;
      state.tl = tl;
      draw(list.cover_requests);
    } catch (err) {
      problem.show(describe('Could not load the timeline', err));
    }
  }

  function draw(requests) {
    const tl = state.tl;
    notes.replaceChildren(...[
      tl.source === 'config'
        ? h('p', {class: 'notice read-only', 'data-note': 'config'}, 'This schedule is defined in the configuration files: its layers are read-only here. ',
          'Change them in the files and apply them (vigil apply). Overrides declared in the files are read-only too; ',
          'overrides made here or through the API can be moved and deleted.')
        : h('p', {class: 'muted small', 'data-note': 'api'}, tl.rights.layers
          ? 'This schedule was made through the API: its layers are changed with PUT /api/v1/schedules/{id}.'
          : 'This schedule was made through the API; admins change its layers.'),
      tl.rights.overrides ? null : h('p', {class: 'notice', 'data-note': 'no-rights'},
        'Only admins and members of a team on this schedule may change its overrides: you can read them here.'),
      h('p', {class: 'muted small'}, `Times in ${zoneName()}. `, h('span', {class: 'when-range'}, `${when(tl.from, zoneArg())} to ${when(tl.to, zoneArg())}`)),
    ].filter(Boolean));
    chart.replaceChildren(timelineChart(tl, {
      timeZone: zoneArg(),
      onOverride: tl.rights.overrides ? (o) => edit(o) : null,
      onShift: (sh) => chooseShift(sh),
    }));
    overrides.replaceChildren(h('h3', null, 'Overrides in these two weeks'),
      table('Overrides', ['Who', 'Where', 'From', 'To', 'Made', ''], tl.overrides.map((o) => ({
        attrs: {'data-override': o.id || '', 'data-source': o.source},
        cells: [
          o.user,
          o.replaces ? `only where ${o.replaces} would be on call` : 'the whole schedule',
          h('time', {datetime: o.start}, when(o.start, zoneArg())),
          h('time', {datetime: o.end}, when(o.end, zoneArg())),
          o.source === 'config' ? 'in the configuration files (read-only here)' : `by ${o.created_by || 'the API'}`,
          o.source === 'api' && tl.rights.overrides ? h('button', {type: 'button', class: 'small', onclick: () => edit(o)}, 'Move or delete') : null,
        ],
      })), {empty: 'No overrides in these two weeks.'}));
    state.editing = null;
    drawEditor();
    drawCovers(requests);
  }

  // The override form: a new override, or a move of one made through the
  // API (prefill gives user, replaces, start and end).
  function drawEditor(prefill = {}) {
    const tl = state.tl;
    if (!tl.rights.overrides) {
      editor.replaceChildren();
      return;
    }
    const o = state.editing;
    const options = (selected, none) => [none ? h('option', {value: ''}, none) : null,
      ...tl.users.map((u) => h('option', {value: u.id, selected: u.id === selected}, u.name ? `${u.name} (${u.id})` : u.id))];
    const src = o || prefill;
    const user = h('select', {name: 'user', required: true}, options(src.user || '', src.user ? null : '— choose —'));
    const replaces = h('select', {name: 'replaces'}, options(src.replaces || '', '— nobody: the whole schedule —'));
    const start = h('input', {name: 'start', type: 'datetime-local', required: true, value: src.start ? toWall(new Date(src.start), zoneArg()) : ''});
    const end = h('input', {name: 'end', type: 'datetime-local', required: true, value: src.end ? toWall(new Date(src.end), zoneArg()) : ''});
    const err = errorBox();
    const form = h('form', {class: 'stack override-form', 'data-mode': o ? 'move' : 'create'},
      h('h3', null, o ? `Move override ${o.id}` : 'Add an override'),
      h('div', {class: 'fields-row'}, field('Who is on call', user), field('Only where this person would be', replaces)),
      h('div', {class: 'fields-row'}, field(`From (${zoneName()})`, start), field(`To (${zoneName()})`, end)),
      err.el,
      h('div', {class: 'buttons'},
        h('button', {type: 'submit', class: 'primary'}, o ? 'Save the move' : 'Add override'),
        o ? h('button', {type: 'button', class: 'danger', onclick: () => remove(o, err)}, 'Delete override') : null,
        o ? h('button', {type: 'button', onclick: () => { state.editing = null; drawEditor(); }}, 'Cancel') : null));
    submitSpan(form, start, end, err, o ? 'Could not move the override' : 'Could not add the override', async (from, to) => {
      const body = {user: user.value, start: from, end: to};
      if (replaces.value) body.replaces = replaces.value;
      if (o) await api('PUT', `${base}/overrides/${esc(o.id)}`, body);
      else await post(`${base}/overrides`, body);
    });
    editor.replaceChildren(form);
  }

  // submitSpan sends a form that gives a span as wall times in the zone
  // shown (the inputs start and end): send gets them as instants, and the
  // schedule is drawn again; what is missing or refused goes to err, the
  // refusal after the words of failure.
  function submitSpan(form, start, end, err, failure, send) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.clear();
      const from = fromWall(start.value, zoneArg());
      const to = fromWall(end.value, zoneArg());
      if (!from || !to) {
        err.show('Give the start and end as a date and time.');
        return;
      }
      try {
        await send(from.toISOString(), to.toISOString());
        await refresh();
      } catch (ex) {
        err.show(describe(failure, ex));
      }
    });
  }

  function edit(o) {
    state.editing = o;
    drawEditor();
    editor.querySelector('select').focus();
  }

  async function remove(o, err) {
    try {
      await api('DELETE', `${base}/overrides/${esc(o.id)}`);
      await refresh();
    } catch (ex) {
      err.show(describe('Could not delete the override', ex));
    }
  }

  // chooseShift prefills the forms from a shift of the final rotation:
  // someone to cover it (an override replacing its person), and a request
  // for cover when it is the reader's own.
  function chooseShift(sh) {
    if (state.tl.rights.overrides) {
      state.editing = null;
      drawEditor({replaces: sh.user.id, start: sh.start, end: sh.end});
    }
    const form = covers.querySelector('form.cover-form');
    if (form && sh.user.id === me) {
      form.elements.start.value = toWall(new Date(sh.start), zoneArg());
      form.elements.end.value = toWall(new Date(sh.end), zoneArg());
      form.elements.start.focus();
    }
  }

  function drawCovers(requests) {
    const highlight = Number(ctx.query.get('cover') || 0);
    const err = errorBox();
    const act = (r, verb, text) => h('button', {type: 'button', class: 'small', 'data-act': verb, onclick: async () => {
      err.clear();
      try {
        await post(`/api/v1/cover_requests/${r.id}/${verb}`);
        await refresh();
      } catch (ex) {
        err.show(describe(`Could not ${text.toLowerCase()}`, ex));
      }
    }}, text);
    const rows = requests.map((r) => ({
      attrs: {'data-cover': String(r.id), 'data-status': r.status, class: r.id === highlight ? 'highlight' : null},
      cells: [
        r.requester,
        h('time', {datetime: r.start}, when(r.start, zoneArg())),
        h('time', {datetime: r.end}, when(r.end, zoneArg())),
        r.status + (r.accepted_by ? `: ${r.accepted_by} covers` : ''),
        r.open ? 'anyone' : r.candidates.join(', '),
        r.message || '',
        [
          r.status === 'open' && me && me !== r.requester && (r.open || r.candidates.includes(me)) ? act(r, 'accept', 'Accept: I cover') : null,
          r.status === 'open' && me === r.requester ? act(r, 'cancel', 'Withdraw') : null,
        ],
      ],
    }));
    const parts = [h('h3', {id: 'cover-title'}, 'Cover requests'), err.el,
      table('Cover requests', ['Asked by', 'From', 'To', 'Status', 'Asked', 'Message', ''], rows, {empty: 'No cover requests for this schedule.'})];
    if (me) parts.push(coverForm());
    covers.replaceChildren(...parts);
    const hl = covers.querySelector('tr.highlight');
    if (hl) hl.scrollIntoView({block: 'center'});
  }

  function coverForm() {
    const start = h('input', {name: 'start', type: 'datetime-local', required: true});
    const end = h('input', {name: 'end', type: 'datetime-local', required: true});
    const open = h('input', {name: 'open', type: 'checkbox'});
    const message = h('input', {name: 'message', maxlength: 1000});
    const err = errorBox();
    const form = h('form', {class: 'stack cover-form'},
      h('h3', null, 'Ask for cover'),
      h('p', {class: 'muted small'}, 'Choose one of your shifts on the timeline, or give a span of them. Your teammates are told in their business hours; the first to accept takes the span over.'),
      h('div', {class: 'fields-row'}, field(`From (${zoneName()})`, start), field(`To (${zoneName()})`, end)),
      field('Message (optional)', message),
      h('div', null, h('label', {class: 'inline'}, open, ' Ask everyone, not only my teammates')),
      err.el,
      h('button', {type: 'submit'}, 'Ask for cover'));
    submitSpan(form, start, end, err, 'Could not ask for cover', (from, to) =>
      post('/api/v1/cover_requests', {schedule: sched.id, start: from, end: to, open: open.checked, message: message.value.trim() || undefined}));
    return form;
  }

  refresh();
  return section;
}
