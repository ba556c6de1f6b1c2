// Sign-in: a user id and password make a login session; an API token
// pasted here is used as it is. Either is kept for this tab only.

import {h, field, errorBox} from '../dom.js';
import {api, describe, forgetSession, saveSession, session} from '../api.js';

// safeNext keeps the return path inside the app.
function safeNext(q) {
  const next = q.get('next') || '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/incidents';
}

export async function loginPage(ctx) {
  ctx.title('Sign in');
  const next = safeNext(ctx.query);
  if (session()) {
    ctx.navigate(next, {replace: true});
    return;
  }
  const user = h('input', {name: 'user', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const pwError = errorBox();
  const pwForm = h('form', {class: 'card stack', 'aria-labelledby': 'pw-title'},
    h('h2', {id: 'pw-title'}, 'With your password'),
    field('User id', user),
    field('Password', password),
    pwError.el,
    h('button', {type: 'submit', class: 'primary'}, 'Sign in'));
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    pwError.clear();
    const button = pwForm.querySelector('button');
    button.disabled = true;
    try {
      const s = await api('POST', '/api/v1/login', {user: user.value.trim(), password: password.value});
      saveSession({token: s.token, kind: 'session', user: s.user_id, expires: s.expires_at});
      ctx.navigate(next, {replace: true});
    } catch (err) {
      pwError.show(describe('Sign-in failed', err));
      password.select();
    } finally {
      button.disabled = false;
    }
  });

  const token = h('input', {name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false'});
  const tokError = errorBox();
  const tokForm = h('form', {class: 'card stack', 'aria-labelledby': 'tok-title'},
    h('h2', {id: 'tok-title'}, 'With an API token'),
    field('API token', token, 'An admin, user or viewer token from /api/v1/tokens.'),
    tokError.el,
    h('button', {type: 'submit'}, 'Use this token'));
  tokForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    tokError.clear();
    saveSession({token: token.value.trim(), kind: 'token'});
    try {
      // Any reader endpoint proves the token works.
      await api('GET', '/api/v1/version');
      ctx.navigate(next, {replace: true});
    } catch (err) {
      forgetSession();
      tokError.show(describe('This token does not work', err));
    }
  });

  ctx.main.append(
    h('div', {class: 'login'},
      h('h1', null, 'Sign in to Vigil'),
      h('div', {class: 'login-forms'}, pwForm, tokForm)));
  user.focus();
}
