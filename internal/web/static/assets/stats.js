// Response-time statistics over resolved incidents (pure).

// serviceStats computes, per service, the mean time to acknowledge (MTTA)
// and to resolve (MTTR), both from the incident's opening, in
// milliseconds. An incident counts for every service in its "services";
// MTTA is over the incidents that were acknowledged (null when none were).
// The "total" row counts each incident once.
export function serviceStats(incidents) {
  const rows = new Map();
  const total = {service: '', incidents: 0, acknowledged: 0, ackSum: 0, resolved: 0, resolveSum: 0};
  const add = (row, inc) => {
    const opened = Date.parse(inc.created_at);
    row.incidents++;
    if (inc.acknowledged_at) {
      row.acknowledged++;
      row.ackSum += Math.max(0, Date.parse(inc.acknowledged_at) - opened);
    }
    if (inc.resolved_at) {
      row.resolved++;
      row.resolveSum += Math.max(0, Date.parse(inc.resolved_at) - opened);
    }
  };
  for (const inc of incidents) {
    if (!Number.isFinite(Date.parse(inc.created_at))) continue;
    const services = (inc.services && inc.services.length) ? [...new Set(inc.services)] : [inc.service];
    for (const svc of services) {
      if (!rows.has(svc)) rows.set(svc, {service: svc, incidents: 0, acknowledged: 0, ackSum: 0, resolved: 0, resolveSum: 0});
      add(rows.get(svc), inc);
    }
    add(total, inc);
  }
  const finish = (r) => ({
    service: r.service,
    incidents: r.incidents,
    acknowledged: r.acknowledged,
    mtta: r.acknowledged ? r.ackSum / r.acknowledged : null,
    mttr: r.resolved ? r.resolveSum / r.resolved : null,
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
