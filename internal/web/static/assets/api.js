// The REST API client: every call carries the session's bearer token, and
// a 401 ends the session and returns to the sign-in page.

const SESSION_KEY = 'vigil.session';

// session is what sign-in keeps for the tab: {token, kind: 'session' |
// 'token', user}. sessionStorage dies with the tab, unlike localStorage.
export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    return s && typeof s.token === 'string' && s.token !== '' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
}

export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
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
export async function api(method, path, body) {
  const s = session();
  const headers = {Accept: 'application/json'};
  if (s) headers.Authorization = `Bearer ${s.token}`;
  const init = {method, headers, cache: 'no-store', credentials: 'omit'};
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
  if (res.status === 401 && s && path !== '/api/v1/login') {
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
