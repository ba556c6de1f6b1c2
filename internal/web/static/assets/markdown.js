// A small Markdown renderer for what people write in post-mortems:
// headings, paragraphs, lists, quotes, code blocks, and inline code,
// strong, emphasis and links. It builds DOM nodes and never HTML: raw
// HTML in the text shows as the text it is, and only http(s) links
// become links.

import {h, externalLink} from './dom.js';

// inline turns one line's inline Markdown into nodes.
export function inline(text) {
  const out = [];
  // Strong may hold emphasis and emphasis strong, one level deep; each
  // alternative's branches start with different characters and links are
  // bounded, so no input makes the match backtrack for long.
  const re = /`([^`]+)`|\*\*((?:[^*]|\*[^*]+\*)+)\*\*|__((?:[^_]|_[^_]+_)+)__|\*([^*\s](?:[^*]|\*\*[^*]+\*\*)*)\*|_([^_\s](?:[^_]|__[^_]+__)*)_|\[([^\]]{1,500})\]\(([^)\s]{1,2048})\)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', null, m[1]));
    else if (m[2] !== undefined || m[3] !== undefined) out.push(h('strong', null, inline(m[2] ?? m[3])));
    else if (m[4] !== undefined || m[5] !== undefined) out.push(h('em', null, inline(m[4] ?? m[5])));
    else out.push(externalLink(m[7], m[6]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const LIST_ITEM = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/;

// MAX_QUOTE_DEPTH bounds nested quotes: deeper ">" stay in the text
// rather than nest (and recurse) without end.
const MAX_QUOTE_DEPTH = 8;

// markdown renders a text as a list of block nodes.
export function markdown(text, depth = 0) {
  const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let para = [];
  const flush = () => {
    if (para.length) blocks.push(h('p', null, inline(para.join(' '))));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      flush();
      const code = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      blocks.push(h('pre', null, h('code', null, code.join('\n'))));
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      flush();
      // Sections sit under the page's h2: their headings start at h3.
      blocks.push(h(`h${Math.min(6, heading[1].length + 2)}`, null, inline(heading[2])));
      continue;
    }
    const item = line.match(LIST_ITEM);
    if (item) {
      flush();
      const ordered = item[2] !== undefined;
      const list = h(ordered ? 'ol' : 'ul');
      if (ordered && item[2] !== '1') list.setAttribute('start', item[2]);
      for (; i < lines.length; i++) {
        const m = lines[i].match(LIST_ITEM);
        if (!m || (m[2] !== undefined) !== ordered) break;
        const task = m[3].match(/^\[([ xX])\]\s+(.*)$/);
        list.append(task
          ? h('li', {class: 'task'}, h('input', {type: 'checkbox', disabled: true, checked: task[1] !== ' ', 'aria-label': task[1] !== ' ' ? 'done' : 'to do'}), ' ', inline(task[2]))
          : h('li', null, inline(m[3])));
      }
      i--;
      blocks.push(list);
      continue;
    }
    if (depth < MAX_QUOTE_DEPTH && /^\s*>/.test(line)) {
      flush();
      const quote = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quote.push(lines[i].replace(/^\s*>\s?/, ''));
      i--;
      blocks.push(h('blockquote', null, markdown(quote.join('\n'), depth + 1)));
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    para.push(line.trim());
  }
  flush();
  return blocks;
}
