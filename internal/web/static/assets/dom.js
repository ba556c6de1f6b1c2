// Small helpers to build the DOM. Text always goes in as text nodes, never
// as HTML, so nothing the API returns can become markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === '') continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'style') {
      // Inline styles are refused by the Content-Security-Policy.
      throw new Error('use a class, not a style attribute');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

// h builds an HTML element: h('a', {href: '/x', class: 'y'}, 'text', child).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// s builds an SVG element the same way.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// externalLink links to an http(s) URL from the configuration or an alert,
// and shows any other URL (javascript:, data:) as plain text.
export function externalLink(href, text) {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(href).protocol);
  } catch {
    ok = false;
  }
  return ok ? h('a', {href, rel: 'noopener noreferrer', target: '_blank'}, text || href) : (text || String(href));
}

// badge is a short coloured label; kind picks its colour class.
export function badge(text, kind) {
  return h('span', {class: `badge badge-${kind}`}, text);
}

// field is a labelled form control.
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', {class: 'field'},
    h('label', {for: id}, label),
    control,
    hint ? h('p', {class: 'hint'}, hint) : null);
}

// errorBox shows an error in place; it is announced to screen readers.
export function errorBox() {
  const el = h('p', {class: 'error', role: 'alert', hidden: true});
  return {
    el,
    show(msg) { el.textContent = msg; el.hidden = false; },
    clear() { el.textContent = ''; el.hidden = true; },
  };
}

// table builds a table whose cells carry their column name, so that narrow
// screens can show each row as a card. A row is an array of cells, or
// {attrs, cells} to give the row attributes.
export function table(caption, columns, rows, {empty = 'Nothing to show.', className = ''} = {}) {
  if (rows.length === 0) return h('p', {class: 'muted empty'}, empty);
  return h('div', {class: 'table-wrap'},
    h('table', {class: `data ${className}`},
      caption ? h('caption', {class: 'visually-hidden'}, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', {scope: 'col'}, c)))),
      h('tbody', null, rows.map((row) => {
        const cells = Array.isArray(row) ? row : row.cells;
        return h('tr', Array.isArray(row) ? null : row.attrs,
          cells.map((cell, i) => h('td', {'data-label': columns[i]}, h('div', {class: 'cell'}, cell))));
      }))));
}
