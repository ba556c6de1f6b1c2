package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Browsers sign in with a cookie: the web UI's sign-in (password, single
// sign-on, or an API token pasted once) sets the session cookie, which
// every tab of the browser then sends. The API takes it as an
// alternative to the Authorization header, which wins when both come.
//
// The cookie is HttpOnly (no script reads the secret), SameSite=Lax (no
// other site's request carries it, but for a link followed to the UI),
// and Secure when the request came over TLS. A request it authenticates
// that changes something (any method but GET, HEAD and OPTIONS) carries
// X-CSRF-Token: the token auth.CSRFToken derives from the session's
// secret, which the UI reads from the csrf cookie (readable by the
// page's own script, not by another site's). Bearer requests need none.

const (
	sessionCookie = "vigil_session"
	csrfCookie    = "vigil_csrf"
	csrfHeader    = "X-CSRF-Token"
	// maxCredentialLen bounds a secret read from a header or cookie.
	maxCredentialLen = 512
)

// credential reads the secret a request authenticates with: the bearer
// token when there is an Authorization header, else the session cookie;
// fromCookie says which.
func credential(r *http.Request) (secret string, fromCookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, err = auth.BearerToken(h)
		return secret, false, err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > maxCredentialLen {
		return "", false, auth.ErrNoToken
	}
	return c.Value, true, nil
}

// byCookie reports whether a request authenticates with the session
// cookie (it has one and no Authorization header).
func byCookie(r *http.Request) bool {
	_, fromCookie, err := credential(r)
	return err == nil && fromCookie
}

// changesState reports whether a request of this method may change
// something, and so needs the CSRF token when a cookie authenticates it.
func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// errCSRF refuses a state-changing request that a cookie authenticates
// without the session's CSRF token.
var errCSRF = &httpError{status: http.StatusForbidden, code: "csrf",
	message: "this request is authenticated by the session cookie and changes state: it needs the session's CSRF token in " + csrfHeader + " (the csrf cookie's value)"}

// checkCSRF refuses a cookie-authenticated request that changes state
// without the CSRF token of the session whose secret this is.
func checkCSRF(r *http.Request, secret string, fromCookie bool) error {
	if fromCookie && changesState(r.Method) && !auth.CheckCSRF(secret, r.Header.Get(csrfHeader)) {
		return errCSRF
	}
	return nil
}

// overTLS reports whether the browser reached the server over TLS: the
// connection is TLS, or a trusted proxy (see clientAddr) says in
// X-Forwarded-Proto that it received the request over https.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, s.trustedProxies) {
		return false
	}
	// The nearest proxy's word counts: it appends or sets the last value.
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	last := values[len(values)-1]
	last = last[strings.LastIndexByte(last, ',')+1:]
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// setSessionCookies signs the browser in with secret: the session cookie
// and the CSRF cookie, until expires (nil: until the browser closes).
func (s *Server) setSessionCookies(w http.ResponseWriter, r *http.Request, secret string, expires *time.Time) {
	secure := s.overTLS(r)
	maxAge := 0
	var until time.Time
	if expires != nil {
		maxAge = max(1, int(expires.Sub(s.now()).Seconds()))
		until = expires.UTC()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: maxAge, Expires: until,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: auth.CSRFToken(secret), Path: "/", MaxAge: maxAge, Expires: until,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
}

// clearSessionCookies signs the browser out.
func (s *Server) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := s.overTLS(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// sessionInfo answers GET and POST /api/v1/session: who the request's
// credential is.
type sessionInfo struct {
	TokenID string `json:"token_id"`
	// Kind is "session" for a login session, "token" for an API token.
	Kind      string     `json:"kind"`
	UserID    string     `json:"user_id,omitempty"`
	Role      string     `json:"role"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Cookie says whether the session cookie authenticated the request.
	Cookie bool `json:"cookie"`
	// CSRFToken is what cookie-authenticated requests that change state
	// carry in X-CSRF-Token; only answered to those.
	CSRFToken string `json:"csrf_token,omitempty"`
}

// sessionOf describes the credential of a request that authenticate let
// in.
func (s *Server) sessionOf(r *http.Request) (sessionInfo, string, error) {
	secret, fromCookie, err := credential(r)
	if err != nil {
		return sessionInfo{}, "", err
	}
	tok, err := s.store.TokenByHash(r.Context(), auth.Hash(secret))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return sessionInfo{}, "", refusal(http.StatusUnauthorized, "unauthorized", "invalid or revoked token")
		}
		return sessionInfo{}, "", unavailable(err, "cannot check the token now")
	}
	info := sessionInfo{TokenID: tok.ID, Kind: "token", UserID: tok.UserID, Role: tok.Role, ExpiresAt: tok.ExpiresAt, Cookie: fromCookie}
	if strings.HasPrefix(tok.ID, sessionIDPrefix) {
		info.Kind = "session"
	}
	if fromCookie {
		info.CSRFToken = auth.CSRFToken(secret)
	}
	return info, secret, nil
}

// getSession serves GET /api/v1/session: who is signed in. The web UI asks
// it on opening, so that every tab of a signed-in browser is signed in.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	info, _, err := s.sessionOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, info)
	return nil
}

// postSession serves POST /api/v1/session: the browser is signed in with
// the token of the request (an API token pasted on the sign-in page), as
// a login is, so that the secret is kept in the HttpOnly cookie rather
// than by the page. A login session's cookie lasts as long as the
// session; an API token's until the browser closes.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	info, secret, err := s.sessionOf(r)
	if err != nil {
		return err
	}
	s.setSessionCookies(w, r, secret, info.ExpiresAt)
	info.Cookie, info.CSRFToken = true, auth.CSRFToken(secret)
	writeJSON(w, http.StatusOK, info)
	return nil
}

// loginMethods answers GET /api/v1/login/methods: how the sign-in page
// offers to sign in.
type loginMethods struct {
	Password bool             `json:"password"`
	OIDC     *oidcLoginMethod `json:"oidc,omitempty"`
}

type oidcLoginMethod struct {
	Name     string `json:"name"`
	LoginURL string `json:"login_url"`
}

func (s *Server) getLoginMethods(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	o := s.org.Snapshot().Bundle.Org
	m := loginMethods{Password: o.PasswordLoginAllowed()}
	if c := o.OIDC(); c != nil {
		m.OIDC = &oidcLoginMethod{Name: providerName(c.Name, c.Issuer), LoginURL: oidcLoginPath}
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// passwordLoginOff refuses a password login while org.auth.oidc turns
// them off.
func (s *Server) passwordLoginOff() error {
	o := s.org.Snapshot().Bundle.Org
	if o.PasswordLoginAllowed() {
		return nil
	}
	c := o.OIDC()
	return refusal(http.StatusForbidden, "password_login_disabled",
		"%s", fmt.Sprintf("password sign-in is turned off (org.auth.oidc.password_login: false): sign in with %s at %s", providerName(c.Name, c.Issuer), oidcLoginPath))
}
