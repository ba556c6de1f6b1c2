// The shell: sign-in state, the header, and a router that shows the page a
// path names without reloading. Each page is a function that fills <main>
// and may return a function that stops what it started (polling).

import {h} from './dom.js';
import {forgetSession, loadSession, onUnauthorized, post, session} from './api.js';
import {loginPage} from './pages/login.js';
import {incidentsPage} from './pages/incidents.js';
import {incidentPage} from './pages/incident.js';
import {servicesPage, servicePage} from './pages/services.js';
import {schedulesPage, schedulePage} from './pages/schedules.js';
import {slosPage} from './pages/slos.js';
import {sloPage} from './pages/slo.js';
import {reportPage, reportsPage} from './pages/reports.js';
import {actionItemsPage, postmortemPage, postmortemsPage} from './pages/postmortems.js';
import {eventsPage} from './pages/events.js';

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
  [/^\/slos\/([^/]+)$/, sloPage],
  [/^\/reports$/, reportsPage],
  [/^\/reports\/([^/]+)$/, reportPage],
  [/^\/postmortems$/, postmortemsPage],
  [/^\/postmortems\/([^/]+)$/, postmortemPage],
  [/^\/action-items$/, actionItemsPage],
  [/^\/events$/, eventsPage],
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

// header shows who is signed in and marks the page's section in the
// navigation; a path that is no page is in no section.
function header({inSection = true} = {}) {
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
    const here = inSection && (location.pathname === a.pathname || location.pathname.startsWith(`${a.pathname}/`));
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  // The server ends a login session and clears the browser's cookie (an
  // API token is only forgotten); the tab forgets it either way.
  await post('/api/v1/logout').catch(() => {});
  forgetSession();
  navigate('/login', {replace: true});
}

// notFound is the app's page for a path that names no page (the server
// answers such paths with status 404).
function notFound(path) {
  document.title = 'Page not found · Vigil';
  const signedIn = session() !== null;
  main.replaceChildren(
    h('h1', {tabindex: -1}, 'Page not found'),
    h('p', null, 'There is no page at ', h('code', null, path), '. It may have moved, or the link may be mistyped.'),
    h('ul', {class: 'plain not-found-links'},
      signedIn
        ? [['/incidents', 'Open incidents'], ['/services', 'Services'], ['/schedules', 'Schedules'], ['/slos', 'SLOs'], ['/reports', 'Reports'], ['/postmortems', 'Post-mortems']]
          .map(([href, text]) => h('li', null, h('a', {href}, text)))
        : h('li', null, h('a', {href: '/login'}, 'Sign in'))));
}

async function render() {
  const mine = ++rendering;
  if (stop) {
    stop();
    stop = null;
  }
  const path = location.pathname;
  let page = null;
  let params = [];
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (m) {
      page = fn;
      try {
        params = m.slice(1).map(decodeURIComponent);
      } catch {
        page = null; // a malformed escape names no page
      }
      break;
    }
  }
  // Who the browser's cookie signs in: asked once, so that a new tab of
  // a signed-in browser is signed in.
  await loadSession();
  if (mine !== rendering) return;
  if (!page) {
    // Said at once, signed in or not: signing in would not make it a page.
    header({inSection: false});
    notFound(path);
    if (!firstRender) main.querySelector('h1').focus();
    firstRender = false;
    return;
  }
  if (!session() && path !== '/login') {
    signInFirst();
    return;
  }
  header();
  main.replaceChildren();
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
// the API, to single sign-on, to other sites and with modifier keys
// behave as usual.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a');
  if (!a || a.hasAttribute('download') || (a.getAttribute('target') || '') !== '') return;
  const href = a.getAttribute('href');
  if (!href || href.startsWith('#')) return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/auth/')) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});

window.addEventListener('popstate', render);
render();
