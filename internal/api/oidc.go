package api

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Single sign-on with OpenID Connect (org.auth.oidc), the
// authorisation-code flow with PKCE:
//
//   - GET /auth/oidc/login draws a state, a nonce and a PKCE verifier,
//     keeps them in a short-lived cookie signed with a key the store holds
//     (so any replica takes the callback), and sends the browser to the
//     provider with the state, the nonce and the verifier's S256 challenge.
//   - GET /auth/oidc/callback checks the state against the cookie's,
//     exchanges the code with the verifier, verifies the ID token with
//     go-oidc (signature by the provider's published keys, issuer,
//     audience, expiry) and its nonce, reads the claims (from the user
//     info endpoint too when the ID token lacks them), maps the configured
//     claim to a user, creating one when allowed, brings the user's mapped
//     team memberships in line with their groups, and signs the browser
//     in with a login session as a password login does.

const (
	oidcLoginPath    = "/auth/oidc/login"
	oidcCallbackPath = "/auth/oidc/callback"
	// oidcCookie holds the state of a sign-in under way, only on the
	// callback's path.
	oidcCookie     = "vigil_oidc"
	oidcCookiePath = "/auth/oidc/"
	// oidcStateTTL is how long a sign-in may take at the provider.
	oidcStateTTL = 10 * time.Minute
	// oidcStateKey names the store's secret that signs the state cookie.
	oidcStateKey = "oidc-state-key"
	// oidcStateLabel keeps the state cookie's signatures apart from any
	// other use of the key.
	oidcStateLabel = "vigil oidc state v1\x00"
)

// oidcProviders keeps the provider discovered for the configured issuer,
// so that a sign-in does not fetch the discovery document and keys again.
type oidcProviders struct {
	mu       sync.Mutex
	issuer   string
	provider *oidc.Provider
}

// provider discovers the issuer's provider, or answers the one found
// before. A failure is not kept: the next sign-in tries again.
func (s *Server) oidcProvider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	if s.oidc.provider != nil && s.oidc.issuer == issuer {
		return s.oidc.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.client), issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", issuer, err)
	}
	s.oidc.issuer, s.oidc.provider = issuer, p
	return p, nil
}

// providerName is what the sign-in button names the provider by.
func providerName(name, issuer string) string {
	if name != "" {
		return name
	}
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return "single sign-on"
}

// oidcState is what the state cookie keeps between the two requests.
type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	// Next is the UI's path to return to.
	Next string `json:"r"`
	// Issuer is the one the sign-in began with: a configuration changed
	// meanwhile ends it.
	Issuer  string `json:"i"`
	Expires int64  `json:"e"` // Unix seconds
}

// errBadState is a state cookie that is malformed, not signed by the
// server's key, or expired.
var errBadState = errors.New("the sign-in's state is not valid")

func (s *Server) oidcKey(ctx context.Context) ([]byte, error) {
	key, err := s.store.Secret(ctx, oidcStateKey, func() ([]byte, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("the key of single sign-on's state: %w", err)
	}
	return key, nil
}

func stateMAC(key []byte, payload string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(oidcStateLabel))
	mac.Write([]byte(payload))
	return mac.Sum(nil)
}

// sealState encodes st as base64url(JSON) "." base64url(HMAC).
func sealState(key []byte, st oidcState) (string, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode the sign-in's state: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, payload)), nil
}

// openState checks a sealed state's signature and expiry.
func openState(key []byte, sealed string, now time.Time) (oidcState, error) {
	var st oidcState
	payload, sig, ok := strings.Cut(sealed, ".")
	if !ok || len(sealed) > 4096 {
		return st, errBadState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, stateMAC(key, payload)) {
		return st, errBadState
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(data, &st) != nil {
		return st, errBadState
	}
	if !now.Before(time.Unix(st.Expires, 0)) {
		return st, fmt.Errorf("%w: it expired (a sign-in must be done within %s)", errBadState, oidcStateTTL)
	}
	return st, nil
}

// randomString is 32 random bytes, base64url.
func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// safeNext keeps the path to return to inside the UI: an absolute path,
// never another host (//host, /\host).
func safeNext(next string) string {
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t\\") || strings.HasPrefix(next, "/auth/") || strings.HasPrefix(next, "/api/") {
		return "/incidents"
	}
	return next
}

// oidcClient is the OAuth 2 client of the configuration.
func (s *Server) oidcClient(r *http.Request, c *catalog.OIDC, p *oidc.Provider, secret string) *oauth2.Config {
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = catalog.DefaultOIDCScopes
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: s.oidcRedirectURL(r, c), Scopes: scopes}
}

// oidcRedirectURL is the callback the provider sends people back to:
// the configured one, else the one under the server's public URL, else
// the one under the address the request came to.
func (s *Server) oidcRedirectURL(r *http.Request, c *catalog.OIDC) string {
	if c.RedirectURL != "" {
		return c.RedirectURL
	}
	if s.publicURL != "" {
		return strings.TrimSuffix(s.publicURL, "/") + oidcCallbackPath
	}
	scheme := "http"
	if s.overTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + oidcCallbackPath
}

// ssoTemplate is the page of a sign-in that did not succeed.
var ssoTemplate = links.Page("sso", "Sign-in failed · Vigil", `<h1>Sign-in failed</h1>
<p role="alert" data-sso-error>{{.}}</p>
<p><a href="/login">Back to sign-in</a></p>
`)

// ssoFailed answers a sign-in that did not succeed with a page for the
// person, and logs why.
func (s *Server) ssoFailed(w http.ResponseWriter, r *http.Request, status int, cause error, format string, args ...any) {
	message := fmt.Sprintf(format, args...)
	level := s.log.Warn
	if status >= 500 {
		level = s.log.Error
	}
	level("single sign-on failed", "path", r.URL.Path, "status", status, "message", message, "err", cause)
	writeLinkPage(w, status, func(out io.Writer) error { return ssoTemplate.Execute(out, message) })
}

// oidcLogin serves GET /auth/oidc/login[?next=PATH]: the browser goes to
// the provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	c := s.org.Snapshot().Bundle.Org.OIDC()
	if c == nil {
		s.ssoFailed(w, r, http.StatusNotFound, nil, "Single sign-on is not configured (org.auth.oidc).")
		return
	}
	secret := s.getenv(c.ClientSecretEnv)
	if secret == "" {
		s.ssoFailed(w, r, http.StatusServiceUnavailable, nil, "Single sign-on is not ready: the server has no client secret (%s is not set).", c.ClientSecretEnv)
		return
	}
	p, err := s.oidcProvider(r.Context(), c.Issuer)
	if err != nil {
		s.ssoFailed(w, r, http.StatusBadGateway, err, "The sign-in provider cannot be reached now; try again later.")
		return
	}
	key, err := s.oidcKey(r.Context())
	if err != nil {
		s.ssoFailed(w, r, http.StatusServiceUnavailable, err, "Single sign-on is not available now; try again later.")
		return
	}
	state, err1 := randomString()
	nonce, err2 := randomString()
	if err := errors.Join(err1, err2); err != nil {
		s.ssoFailed(w, r, http.StatusInternalServerError, err, "Single sign-on is not available now; try again later.")
		return
	}
	st := oidcState{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next")),
		Issuer: c.Issuer, Expires: s.now().Add(oidcStateTTL).Unix()}
	sealed, err := sealState(key, st)
	if err != nil {
		s.ssoFailed(w, r, http.StatusInternalServerError, err, "Single sign-on is not available now; try again later.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: sealed, Path: oidcCookiePath, MaxAge: int(oidcStateTTL.Seconds()),
		HttpOnly: true, Secure: s.overTLS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	to := s.oidcClient(r, c, p, secret).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	http.Redirect(w, r, to, http.StatusFound)
}

// ssoRefusal is a sign-in the server refuses: its status and what the
// person reads.
type ssoRefusal struct {
	status  int
	message string
	cause   error
}

func (e *ssoRefusal) Error() string { return e.message }
func (e *ssoRefusal) Unwrap() error { return e.cause }

func refuseSSO(status int, cause error, format string, args ...any) error {
	return &ssoRefusal{status: status, message: fmt.Sprintf(format, args...), cause: cause}
}

// oidcCallback serves GET /auth/oidc/callback: the provider sends the
// browser back with a code (or an error) and the state.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	// The state is used once, whatever comes of it.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Path: oidcCookiePath, MaxAge: -1, HttpOnly: true, Secure: s.overTLS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	user, session, err := s.completeSSO(r)
	if err != nil {
		var refused *ssoRefusal
		if !errors.As(err, &refused) {
			refused = &ssoRefusal{status: http.StatusInternalServerError, message: "The sign-in could not be completed now; try again later.", cause: err}
		}
		s.ssoFailed(w, r, refused.status, refused.cause, "%s", refused.message)
		return
	}
	s.log.Info("single sign-on", "user", user, "session", session.tok.ID)
	s.setSessionCookies(w, r, session.secret, session.tok.ExpiresAt)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, session.next, http.StatusSeeOther)
}

// ssoSession is the login session a completed sign-in made.
type ssoSession struct {
	secret string
	tok    store.Token
	next   string
}

// completeSSO checks what the provider sent back and makes the session.
func (s *Server) completeSSO(r *http.Request) (string, ssoSession, error) {
	ctx := r.Context()
	c := s.org.Snapshot().Bundle.Org.OIDC()
	if c == nil {
		return "", ssoSession{}, refuseSSO(http.StatusNotFound, nil, "Single sign-on is not configured (org.auth.oidc).")
	}
	cookie, err := r.Cookie(oidcCookie)
	if err != nil {
		return "", ssoSession{}, refuseSSO(http.StatusBadRequest, err,
			"This sign-in did not begin in this browser, or its state was lost: sign in again.")
	}
	key, err := s.oidcKey(ctx)
	if err != nil {
		return "", ssoSession{}, refuseSSO(http.StatusServiceUnavailable, err, "Single sign-on is not available now; try again later.")
	}
	st, err := openState(key, cookie.Value, s.now())
	if err != nil {
		return "", ssoSession{}, refuseSSO(http.StatusBadRequest, err, "This sign-in's state is not valid or expired: sign in again.")
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		return "", ssoSession{}, refuseSSO(http.StatusBadRequest, nil,
			"The provider's answer is not for the sign-in this browser began (its state differs): sign in again.")
	}
	if e := q.Get("error"); e != "" {
		return "", ssoSession{}, refuseSSO(http.StatusForbidden, nil, "The provider did not sign you in: %.100s %.300s", e, q.Get("error_description"))
	}
	if st.Issuer != c.Issuer {
		return "", ssoSession{}, refuseSSO(http.StatusBadRequest, nil, "The sign-in configuration changed while you signed in: sign in again.")
	}
	code := q.Get("code")
	if code == "" {
		return "", ssoSession{}, refuseSSO(http.StatusBadRequest, nil, "The provider's answer has no code: sign in again.")
	}
	secret := s.getenv(c.ClientSecretEnv)
	if secret == "" {
		return "", ssoSession{}, refuseSSO(http.StatusServiceUnavailable, nil, "Single sign-on is not ready: the server has no client secret (%s is not set).", c.ClientSecretEnv)
	}
	p, err := s.oidcProvider(ctx, c.Issuer)
	if err != nil {
		return "", ssoSession{}, refuseSSO(http.StatusBadGateway, err, "The sign-in provider cannot be reached now; try again later.")
	}
	claims, err := s.verifiedClaims(r, c, p, secret, code, st)
	if err != nil {
		return "", ssoSession{}, err
	}
	user, err := s.ssoUser(ctx, c, claims)
	if err != nil {
		return "", ssoSession{}, err
	}
	s.syncTeams(ctx, c, user, claims)
	now := s.now().UTC()
	expires := now.Add(s.sessionTTL)
	claim := cmp.Or(c.UserClaim, catalog.DefaultOIDCUserClaim)
	value, _ := auth.ClaimString(claims, claim)
	sessionSecret, tok, err := s.issueToken(ctx, sessionIDPrefix, store.Token{Name: "login session", UserID: user, Role: auth.RoleUser, CreatedAt: now, ExpiresAt: &expires},
		"user:"+user, "session.create", fmt.Sprintf("single sign-on through %s (%s %.200q), expires %s", c.Issuer, claim, value, expires.Format(time.RFC3339)))
	if err != nil {
		return "", ssoSession{}, err
	}
	return user, ssoSession{secret: sessionSecret, tok: tok, next: st.Next}, nil
}

// verifiedClaims exchanges the code with the verifier, verifies the ID
// token and its nonce, and answers its claims, completed from the user
// info endpoint when the ID token lacks the claims that name the user or
// list their groups (providers may keep them there).
func (s *Server) verifiedClaims(r *http.Request, c *catalog.OIDC, p *oidc.Provider, secret, code string, st oidcState) (map[string]any, error) {
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, s.client)
	tok, err := s.oidcClient(r, c, p, secret).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var refused *oauth2.RetrieveError
		if errors.As(err, &refused) {
			return nil, refuseSSO(http.StatusBadRequest, err, "The provider refused the code of this sign-in (%.100s): sign in again.", refused.ErrorCode)
		}
		return nil, refuseSSO(http.StatusBadGateway, err, "The sign-in provider cannot be reached now; try again later.")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, refuseSSO(http.StatusBadGateway, nil, "The provider answered no ID token.")
	}
	idToken, err := p.Verifier(&oidc.Config{ClientID: c.ClientID, Now: s.now}).Verify(oidc.ClientContext(ctx, s.client), raw)
	if err != nil {
		return nil, refuseSSO(http.StatusForbidden, err, "The provider's ID token did not verify.")
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(st.Nonce)) != 1 {
		return nil, refuseSSO(http.StatusForbidden, nil, "The provider's ID token is not for the sign-in this browser began (its nonce differs): sign in again.")
	}
	claims := map[string]any{}
	if err := idToken.Claims(&claims); err != nil {
		return nil, refuseSSO(http.StatusBadGateway, err, "The provider's ID token has claims that do not decode.")
	}
	_, hasUser := claims[cmp.Or(c.UserClaim, catalog.DefaultOIDCUserClaim)]
	_, hasGroups := claims[c.GroupsClaim]
	if hasUser && (c.GroupsClaim == "" || hasGroups) || p.UserInfoEndpoint() == "" {
		return claims, nil
	}
	info, err := p.UserInfo(oidc.ClientContext(ctx, s.client), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, refuseSSO(http.StatusBadGateway, err, "The provider's user info cannot be read now; try again later.")
	}
	if info.Subject != idToken.Subject {
		// OpenID Connect Core 5.3.2: else the answer may be another's.
		return nil, refuseSSO(http.StatusForbidden, nil, "The provider's user info is about another subject than its ID token.")
	}
	more := map[string]any{}
	if err := info.Claims(&more); err != nil {
		return nil, refuseSSO(http.StatusBadGateway, err, "The provider's user info does not decode.")
	}
	for k, v := range more {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return claims, nil
}

// ssoUser finds the user the configured claim names, or creates them when
// org.auth.oidc.create_users allows.
func (s *Server) ssoUser(ctx context.Context, c *catalog.OIDC, claims map[string]any) (string, error) {
	claim := cmp.Or(c.UserClaim, catalog.DefaultOIDCUserClaim)
	value, ok := auth.ClaimString(claims, claim)
	if !ok {
		return "", refuseSSO(http.StatusForbidden, nil, "The provider did not say who you are: its answer has no %q claim (org.auth.oidc.user_claim).", claim)
	}
	if claim == "email" && auth.EmailUnverified(claims) {
		return "", refuseSSO(http.StatusForbidden, nil, "The provider has not verified your email address %.200s.", value)
	}
	snap := s.org.Snapshot()
	user, err := auth.UserByClaim(snap.Bundle.Users, value)
	if err != nil {
		return "", refuseSSO(http.StatusForbidden, err, "More than one Vigil user has the email address %.200s: ask an admin to make it one user's.", value)
	}
	if user != "" {
		return user, nil
	}
	if !c.CreateUsers {
		return "", refuseSSO(http.StatusForbidden, nil, "No Vigil user has the %s %.200s: ask an admin to add you.", claim, value)
	}
	return s.createSSOUser(ctx, c, claims, claim, value)
}

// createSSOUser adds the user a first sign-in names: the id from the
// claim, the name and email address the provider gives, the time zone of
// its zoneinfo claim when valid, else org.auth.oidc.time_zone, else UTC.
func (s *Server) createSSOUser(ctx context.Context, c *catalog.OIDC, claims map[string]any, claim, value string) (string, error) {
	snap := s.org.Snapshot()
	u := catalog.User{ID: auth.NewUserID(value, func(id string) bool { return snap.User(id) != nil }), TimeZone: cmp.Or(c.TimeZone, "UTC")}
	if name, ok := auth.ClaimString(claims, "name"); ok && len(name) <= 200 {
		u.Name = name
	}
	email, _ := auth.ClaimString(claims, "email")
	if claim == "email" {
		email = value
	}
	if a, err := mail.ParseAddress(email); err == nil && a.Address == email && !auth.EmailUnverified(claims) {
		u.Email = email
	}
	if zone, ok := auth.ClaimString(claims, "zoneinfo"); ok && zone != "Local" && len(zone) <= 64 {
		if _, err := time.LoadLocation(zone); err == nil {
			u.TimeZone = zone
		}
	}
	if _, err := s.org.Put(ctx, store.KindUser, u.ID, u, true, "user:"+u.ID); err != nil {
		return "", refuseSSO(http.StatusInternalServerError, err, "Your Vigil user could not be created now; try again later.")
	}
	s.log.Info("single sign-on created a user", "user", u.ID, "claim", claim)
	return u.ID, nil
}

// syncTeams brings the memberships of the teams org.auth.oidc.group_teams
// maps in line with the user's groups. The sign-in goes on when a change
// is refused (the configuration would not be valid without the user in
// that team); the refusal is logged.
func (s *Server) syncTeams(ctx context.Context, c *catalog.OIDC, user string, claims map[string]any) {
	if c.GroupsClaim == "" || len(c.GroupTeams) == 0 {
		return
	}
	groups := auth.ClaimStrings(claims, c.GroupsClaim)
	join, leave := auth.TeamChanges(s.org.Snapshot().Teams(), user, groups, c.GroupTeams)
	change := func(id string, members func([]string) []string) {
		t := s.org.Snapshot().Team(id)
		if t == nil {
			return
		}
		team := *t
		team.Members = members(slices.Clone(team.Members))
		if _, err := s.org.Put(ctx, store.KindTeam, id, team, false, "user:"+user); err != nil {
			s.log.Warn("single sign-on: team membership by groups", "user", user, "team", id, "err", err)
		}
	}
	for _, id := range join {
		change(id, func(m []string) []string { return append(m, user) })
	}
	for _, id := range leave {
		change(id, func(m []string) []string { return slices.DeleteFunc(m, func(x string) bool { return x == user }) })
	}
}
