// Sign-in: single sign-on through the organisation's OpenID provider when
// configured, a user id and password (unless the organisation turned
// them off), or an API token pasted once. Each ends in the server's
// HttpOnly session cookie, so every tab of the browser is signed in.

import {h, field, errorBox} from '../dom.js';
import {api, describe, get, loadSession, session} from '../api.js';

// safeNext keeps the return path inside the app.
function safeNext(q) {
  const next = q.get('next') || '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/incidents';
}

// methods asks how this server signs people in; a server that cannot say
// offers passwords and tokens.
async function methods() {
  try {
    return await get('/api/v1/login/methods');
  } catch {
    return {password: true};
  }
}

export async function loginPage(ctx) {
  ctx.title('Sign in');
  const next = safeNext(ctx.query);
  if (session()) {
    ctx.navigate(next, {replace: true});
    return;
  }
  const offered = await methods();
  if (!ctx.alive()) return;

  // signedIn reads the session the server just set, and goes on.
  const signedIn = async () => {
    if (!(await loadSession({force: true}))) throw new Error('the server set no session');
    ctx.navigate(next, {replace: true});
  };

  const forms = [];
  let first = null;
  if (offered.oidc) {
    const sso = h('section', {class: 'card stack sso', 'aria-labelledby': 'sso-title'},
      h('h2', {id: 'sso-title'}, 'With your organisation’s account'),
      h('a', {class: 'button primary', href: `${offered.oidc.login_url}?next=${encodeURIComponent(next)}`, 'data-sso': ''},
        `Sign in with ${offered.oidc.name}`));
    forms.push(sso);
    first = sso.querySelector('a');
  }

  if (offered.password) {
    const user = h('input', {name: 'user', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false'});
    const password = h('input', {name: 'password', type: 'password', autocomplete: 'current-password', required: true});
    const pwError = errorBox();
    const pwForm = h('form', {class: 'card stack', 'aria-labelledby': 'pw-title'},
      h('h2', {id: 'pw-title'}, 'With your password'),
      field('User id', user),
      field('Password', password),
      pwError.el,
      h('button', {type: 'submit', class: offered.oidc ? '' : 'primary'}, 'Sign in'));
    pwForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      pwError.clear();
      const button = pwForm.querySelector('button');
      button.disabled = true;
      try {
        await api('POST', '/api/v1/login', {user: user.value.trim(), password: password.value});
        await signedIn();
      } catch (err) {
        pwError.show(describe('Sign-in failed', err));
        password.select();
      } finally {
        button.disabled = false;
      }
    });
    forms.push(pwForm);
    first = first || user;
  }

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
    try {
      // The server checks the token and keeps it in the browser's cookie.
      await api('POST', '/api/v1/session', undefined, {bearer: token.value.trim()});
      await signedIn();
    } catch (err) {
      tokError.show(describe('This token does not work', err));
    }
  });
  forms.push(tokForm);

  ctx.main.append(
    h('div', {class: 'login'},
      h('h1', null, 'Sign in to Vigil'),
      h('div', {class: 'login-forms'}, forms)));
  (first || token).focus();
}
