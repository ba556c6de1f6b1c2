// Pure formatting helpers: no DOM, no clock. Callers pass "now".

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// span words a length of time in at most two units: "45s", "12m",
// "3h 5m", "2d 4h". Negative spans (clock skew) count as zero.
export function span(ms) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < MINUTE) return `${Math.floor(ms / 1000)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) {
    const hrs = Math.floor(ms / HOUR);
    const min = Math.floor((ms % HOUR) / MINUTE);
    return min ? `${hrs}h ${min}m` : `${hrs}h`;
  }
  const days = Math.floor(ms / DAY);
  const hrs = Math.floor((ms % DAY) / HOUR);
  return hrs ? `${days}d ${hrs}h` : `${days}d`;
}

// age is how long ago an RFC 3339 time was, seen from now (a Date).
export function age(iso, now) {
  return span(now.getTime() - Date.parse(iso));
}

// when shows a time in one format everywhere: 24-hour, year first, with
// its zone as an offset from UTC — "2026-03-02 11:00 UTC+1" — in the
// reader's zone, or in timeZone when given; seconds too when asked
// (timelines). The parts are put together here rather than left to the
// reader's locale, which would mix 12- and 24-hour clocks and date orders.
export function when(iso, timeZone, seconds = false) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const opts = {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  };
  if (timeZone) opts.timeZone = timeZone;
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-US', opts).formatToParts(d);
  } catch {
    return d.toISOString();
  }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  const zone = (p.timeZoneName || 'GMT').replace(/^GMT([+-]0)?/, 'UTC');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''} ${zone}`;
}

// clock shows the time of day alone, in the same format as when.
export function clock(date) {
  const text = when(date.toISOString(), undefined, true);
  return text.slice(text.indexOf(' ') + 1);
}

// pct shows a ratio as a percentage with up to digits decimals.
export function pct(v, digits = 3) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return `${Number((v * 100).toFixed(digits))}%`;
}

// count shows a number of events with thousands separated, in one format
// whatever the reader's locale: 11,959,210.
export function count(n) {
  return new Intl.NumberFormat('en-US', {maximumFractionDigits: 2}).format(n);
}

// path joins a criticality path: ["checkout", "payments"] -> "checkout → payments".
export function path(ids) {
  return (ids || []).join(' → ');
}

// actor shows who acted: "user:alice" -> "alice"; an integration by the
// ends of its key, which is long and says little; others as they are.
export function actor(a) {
  if (!a) return '';
  if (a.startsWith('user:')) return a.slice(5);
  const m = a.match(/^integration:(.{4}).{6,}(.{4})$/);
  return m ? `integration ${m[1]}…${m[2]}` : a;
}

// wallParts reads an instant's wall clock in timeZone (the reader's when
// undefined): {year, month, day, hour, minute} as numbers.
export function wallParts(date, timeZone) {
  const opts = {year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'};
  if (timeZone) opts.timeZone = timeZone;
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', opts).formatToParts(date).map((x) => [x.type, x.value]));
  return {year: +p.year, month: +p.month, day: +p.day, hour: +p.hour, minute: +p.minute, second: +p.second};
}

// offsetMs is how far timeZone's wall clock is ahead of UTC at date.
function offsetMs(date, timeZone) {
  const p = wallParts(date, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

// fromWall is the instant a wall-clock time ("2026-03-29T02:30", as a
// datetime-local input gives it) names in timeZone (the reader's when
// undefined), or null when it does not parse. A time that a change to
// summer time skips is read with the offset before the change (02:30 on
// the night Berlin springs forward is 03:30 summer time); one that the
// change back repeats is the first of the two.
export function fromWall(text, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const before = offsetMs(new Date(wall - 36 * 3600 * 1000), timeZone);
  const after = offsetMs(new Date(wall + 36 * 3600 * 1000), timeZone);
  // The larger offset first: the earlier instant, the first of a
  // repeated hour.
  for (const off of before >= after ? [before, after] : [after, before]) {
    const t = new Date(wall - off);
    if (offsetMs(t, timeZone) === off) return t;
  }
  return new Date(wall - before);
}

// toWall writes an instant as a datetime-local input shows it, in
// timeZone (the reader's when undefined).
export function toWall(date, timeZone) {
  const p = wallParts(date, timeZone);
  const two = (n) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

// midnights lists the starts of the days of timeZone (the reader's when
// undefined) from the day holding from, for days days, as instants: a
// timeline's day lines (23 or 25 hours apart across DST changes).
export function midnights(from, days, timeZone) {
  const p = wallParts(from, timeZone);
  const out = [];
  for (let i = 0; i <= days; i++) {
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day + i));
    const two = (n) => String(n).padStart(2, '0');
    out.push(fromWall(`${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T00:00`, timeZone));
  }
  return out;
}
