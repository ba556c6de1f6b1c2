// Response-time statistics over resolved incidents (pure).

// quantile is the p-quantile of sorted values, interpolated between the
// two nearest ranks (as spreadsheets' PERCENTILE.INC): the median is
// quantile 0.5.
export function quantile(sorted, p) {
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return Math.round(sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]));
}

// summary is the mean, median and 90th percentile of values (ms), or null
// when there are none.
export function summary(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: Math.round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
  };
}

// serviceStats computes, per service, the time to acknowledge (MTTA) and
// to resolve (MTTR) of resolved incidents, both from the incident's
// opening, in milliseconds. Both are taken over the same incidents: those
// that were acknowledged before they were resolved. An incident resolved
// without an acknowledgement (by its monitor, or by hand at once) counts
// among the incidents but is timed for neither, so that MTTR can never
// show less than MTTA. An incident counts for every service in its
// "services"; the "total" row counts each incident once.
export function serviceStats(incidents) {
  const rows = new Map();
  const total = {service: '', incidents: 0, tta: [], ttr: []};
  const add = (row, times) => {
    row.incidents++;
    if (times) {
      row.tta.push(times.tta);
      row.ttr.push(times.ttr);
    }
  };
  for (const inc of incidents) {
    const opened = Date.parse(inc.created_at);
    if (!Number.isFinite(opened)) continue;
    const acked = Date.parse(inc.acknowledged_at);
    const resolved = Date.parse(inc.resolved_at);
    let times = null;
    if (Number.isFinite(acked) && Number.isFinite(resolved)) {
      const tta = Math.max(0, acked - opened);
      times = {tta, ttr: Math.max(tta, resolved - opened)};
    }
    const services = (inc.services && inc.services.length) ? [...new Set(inc.services)] : [inc.service];
    for (const svc of services) {
      if (!rows.has(svc)) rows.set(svc, {service: svc, incidents: 0, tta: [], ttr: []});
      add(rows.get(svc), times);
    }
    add(total, times);
  }
  const finish = (r) => ({
    service: r.service,
    incidents: r.incidents,
    acknowledged: r.tta.length,
    mtta: summary(r.tta),
    mttr: summary(r.ttr),
  });
  return {
    services: [...rows.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0)).map(finish),
    total: finish(total),
  };
}

// openedSince keeps the incidents opened at or after since (ms).
export function openedSince(incidents, since) {
  return incidents.filter((inc) => Date.parse(inc.created_at) >= since);
}
