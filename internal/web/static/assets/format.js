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
