// The REST API client. Signing in sets an HttpOnly session cookie that no
// script can read, so every tab of a signed-in browser is signed in; a
// request that changes state carries the session's CSRF token. A 401
// ends the session and returns to the sign-in page.

const CSRF_HEADER = 'X-CSRF-Token';

// current is who is signed in: undefined until the server was asked,
// null when nobody is, else {user, kind: 'session' | 'token', role,
// expires, csrf}. It holds no secret.
let current;

export function session() {
  return current || null;
}

// loadSession asks the server who the browser's cookie signs in (once,
// unless force), and answers the session or null.
export async function loadSession({force = false} = {}) {
  if (current !== undefined && !force) return current;
  let res;
  try {
    res = await fetch('/api/v1/session', {headers: {Accept: 'application/json'}, cache: 'no-store', credentials: 'same-origin'});
  } catch {
    current = null;
    return current;
  }
  const s = res.ok ? await res.json().catch(() => null) : null;
  current = s && s.cookie ? {user: s.user_id || '', kind: s.kind, role: s.role, expires: s.expires_at || null, csrf: s.csrf_token || ''} : null;
  return current;
}

export function forgetSession() {
  current = null;
}

// csrfToken is the session's CSRF token: from the server's answer, or the
// csrf cookie the page's own script may read.
function csrfToken() {
  if (current && current.csrf) return current.csrf;
  const m = document.cookie.match(/(?:^|;\s*)vigil_csrf=([^;]+)/);
  return m ? m[1] : '';
}

// APIError is an answer other than 2xx, with the server's message.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};

// onUnauthorized sets what happens when the server refuses the token.
export function onUnauthorized(fn) {
  unauthorized = fn;
}

// api calls the REST API and answers the decoded JSON (null for 204).
// bearer, when given, authenticates the call instead of the cookie (an
// API token pasted on the sign-in page, once).
export async function api(method, path, body, {bearer} = {}) {
  const s = session();
  const headers = {Accept: 'application/json'};
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  else if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER] = csrfToken();
  const init = {method, headers, cache: 'no-store', credentials: 'same-origin'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new APIError(0, 'network', `the server cannot be reached (${err.message})`);
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
    data = await res.json().catch(() => null);
  }
  if (res.status === 401 && s && !bearer && path !== '/api/v1/login') {
    forgetSession();
    unauthorized();
  }
  if (!res.ok) {
    const message = (data && data.message) || `${res.status} ${res.statusText}`;
    throw new APIError(res.status, (data && data.code) || 'http', message);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);

// listAll follows next_cursor through at most maxPages pages of a list.
export async function listAll(path, key, maxPages = 10) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    out.push(...(page[key] || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// esc makes an id safe inside a URL path.
export const esc = encodeURIComponent;

// describe words an error for a person: what failed and why.
export function describe(what, err) {
  if (err instanceof APIError && err.status === 403) return `${what}: not allowed — ${err.message}.`;
  if (err instanceof APIError && err.status) return `${what}: ${err.message} (${err.status}).`;
  return `${what}: ${err.message}.`;
}
