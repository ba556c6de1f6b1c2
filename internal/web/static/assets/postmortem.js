// A post-mortem draft written from an incident and its timeline (pure): the
// facts are filled in, the analysis is left to the people who were there.

import {span} from './format.js';

function utc(iso) {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '';
}

export function postmortemDraft(inc) {
  const lines = [];
  const created = Date.parse(inc.created_at);
  lines.push(`# Post-mortem: #${inc.id} ${inc.title}`, '');
  lines.push(`- Severity: ${inc.severity}${inc.major ? ' (major incident)' : ''}`);
  lines.push(`- Services: ${(inc.services || []).join(', ') || inc.service}`);
  lines.push(`- Opened: ${utc(inc.created_at)}`);
  if (inc.acknowledged_at) {
    lines.push(`- Acknowledged: ${utc(inc.acknowledged_at)} by ${inc.acknowledged_by || 'unknown'}, after ${span(Date.parse(inc.acknowledged_at) - created)}`);
  }
  if (inc.resolved_at) {
    lines.push(`- Resolved: ${utc(inc.resolved_at)} by ${inc.resolved_by || 'unknown'}, after ${span(Date.parse(inc.resolved_at) - created)}`);
  } else {
    lines.push(`- Resolved: not yet (status ${inc.status})`);
  }
  const roles = Object.entries(inc.roles || {});
  if (roles.length) lines.push(`- Roles: ${roles.map(([r, u]) => `${r} ${u}`).join(', ')}`);
  lines.push('', '## Impact', '', '_Who was affected, how, and for how long._', '');
  lines.push('## Timeline', '');
  for (const e of inc.timeline || []) {
    const via = e.channel ? ` via ${e.channel}` : '';
    lines.push(`- ${utc(e.at)} — ${e.kind} — ${e.actor}${via}: ${e.message}`);
  }
  lines.push('', '## Contributing factors', '');
  if ((inc.suspects || []).length) {
    for (const s of inc.suspects) lines.push(`- ${s.service}: ${(s.reasons || []).join('; ')}`);
  } else {
    lines.push('- _What made this possible, and what made it worse._');
  }
  lines.push('', '## Action items', '', '- [ ] _action_ — owner team — due date', '');
  return lines.join('\n');
}
