// The shell: sign-in state, the header, and a router that shows the page a
// path names without reloading. Each page is a function that fills <main>
// and may return a function that stops what it started (polling).

import {h} from './dom.js';
import {forgetSession, onUnauthorized, post, session} from './api.js';
import {loginPage} from './pages/login.js';
import {incidentsPage} from './pages/incidents.js';
import {incidentPage} from './pages/incident.js';
import {servicesPage, servicePage} from './pages/services.js';
import {schedulesPage, schedulePage} from './pages/schedules.js';
import {slosPage} from './pages/slos.js';
import {reportsPage} from './pages/reports.js';

const routes = [
  [/^\/$/, () => navigate('/incidents', {replace: true})],
  [/^\/login$/, loginPage],
  [/^\/incidents$/, incidentsPage],
  [/^\/incidents\/([^/]+)$/, incidentPage],
  [/^\/services$/, servicesPage],
  [/^\/services\/([^/]+)$/, servicePage],
  [/^\/schedules$/, schedulesPage],
  [/^\/schedules\/([^/]+)$/, schedulePage],
  [/^\/slos$/, slosPage],
  [/^\/reports$/, reportsPage],
];

const main = document.getElementById('main');
let stop = null;
let rendering = 0;
let firstRender = true;

export function navigate(to, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  render();
}

function signInFirst() {
  const here = location.pathname + location.search;
  const next = here === '/' || here.startsWith('/login') ? '' : `?next=${encodeURIComponent(here)}`;
  navigate(`/login${next}`, {replace: true});
}

onUnauthorized(() => {
  if (location.pathname !== '/login') signInFirst();
});

function header() {
  const s = session();
  const who = document.getElementById('who');
  document.getElementById('top').classList.toggle('signed-out', !s);
  who.replaceChildren();
  if (s) {
    who.append(
      h('span', {class: 'muted'}, s.user ? `Signed in as ${s.user}` : 'Signed in with an API token'),
      h('button', {type: 'button', class: 'link-button', onclick: signOut}, 'Sign out'));
  }
  for (const a of document.querySelectorAll('header nav a')) {
    const here = location.pathname === a.pathname || location.pathname.startsWith(`${a.pathname}/`);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  const s = session();
  if (s && s.kind === 'session') {
    // The server ends the session; the tab forgets it either way.
    await post('/api/v1/logout').catch(() => {});
  }
  forgetSession();
  navigate('/login', {replace: true});
}

async function render() {
  const mine = ++rendering;
  if (stop) {
    stop();
    stop = null;
  }
  const path = location.pathname;
  if (!session() && path !== '/login') {
    signInFirst();
    return;
  }
  header();
  let page = null;
  let params = [];
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (m) {
      page = fn;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  main.replaceChildren();
  if (!page) {
    document.title = 'Not found · Vigil';
    main.append(h('h1', {tabindex: -1}, 'Not found'), h('p', null, 'No page here. ', h('a', {href: '/incidents'}, 'Open incidents')));
    return;
  }
  const ctx = {
    main,
    params,
    query: new URLSearchParams(location.search),
    navigate,
    title: (t) => { document.title = `${t} · Vigil`; },
    alive: () => mine === rendering,
  };
  try {
    const cleanup = await page(ctx);
    if (mine !== rendering) {
      if (typeof cleanup === 'function') cleanup();
      return;
    }
    if (typeof cleanup === 'function') stop = cleanup;
  } catch (err) {
    if (mine !== rendering) return;
    main.replaceChildren(h('h1', {tabindex: -1}, 'Something went wrong'), h('p', {class: 'error', role: 'alert'}, err.message));
  }
  if (!firstRender && mine === rendering) {
    // Moving focus to the new heading tells keyboard and screen-reader
    // users the page changed.
    const h1 = main.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({preventScroll: false});
    }
  }
  firstRender = false;
}

// Links inside the app change the page without reloading it; links to
// the API, to other sites and with modifier keys behave as usual.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a');
  if (!a || a.hasAttribute('download') || (a.getAttribute('target') || '') !== '') return;
  const href = a.getAttribute('href');
  if (!href || href.startsWith('#')) return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});

window.addEventListener('popstate', render);
render();
