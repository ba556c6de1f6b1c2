package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// sessionIDPrefix marks the tokens a login made, so that logout revokes
// only those and a password change ends them.
const sessionIDPrefix = "ses-"

// defaultSessionTTL is how long a login lasts when Options.SessionTTL is
// unset: a working day, so that nobody logs in twice a shift.
const defaultSessionTTL = 12 * time.Hour

// maxConcurrentHashes bounds the password hashes computed at once: each
// takes the hash's memory (64 MiB by default) and both cores for a
// moment, and a burst of logins must not exhaust the server.
const maxConcurrentHashes = 4

// passwords hashes and checks passwords for the server.
type passwords struct {
	params PasswordParams
	slots  chan struct{}

	// dummy is a hash of no one's password with the same parameters: a
	// login for an unknown user, or one without a password, checks against
	// it, so that it takes as long as one with a wrong password. It is made
	// at the first check, which every path pays alike.
	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

// PasswordParams are the argon2id parameters new password hashes use.
type PasswordParams = auth.PasswordParams

func newPasswords(params PasswordParams) *passwords {
	if params == (PasswordParams{}) {
		params = auth.DefaultPasswordParams()
	}
	return &passwords{params: params, slots: make(chan struct{}, maxConcurrentHashes)}
}

func (pw *passwords) makeDummy() {
	secret, _, err := auth.NewToken()
	if err != nil {
		pw.dummyErr = err
		return
	}
	pw.dummy, pw.dummyErr = auth.HashPassword(secret, pw.params)
}

// acquire waits for a hashing slot; the caller releases it.
func (pw *passwords) acquire(ctx context.Context) error {
	select {
	case pw.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (pw *passwords) release() { <-pw.slots }

func (pw *passwords) hash(ctx context.Context, password string) (string, error) {
	if err := pw.acquire(ctx); err != nil {
		return "", err
	}
	defer pw.release()
	return auth.HashPassword(password, pw.params)
}

// verify checks password against encoded, or against the dummy hash when
// encoded is "" (and then never matches).
func (pw *passwords) verify(ctx context.Context, encoded, password string) (bool, error) {
	if err := pw.acquire(ctx); err != nil {
		return false, err
	}
	defer pw.release()
	pw.dummyOnce.Do(pw.makeDummy)
	if encoded == "" {
		if pw.dummyErr != nil {
			return false, fmt.Errorf("dummy password hash: %w", pw.dummyErr)
		}
		_, err := auth.VerifyPassword(pw.dummy, password)
		return false, err
	}
	return auth.VerifyPassword(encoded, password)
}

// passwordRequest is the body of PUT /api/v1/users/{id}/password.
type passwordRequest struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password,omitempty"`
}

// pathUserFor reads the configured user the path names and checks that p
// may act for them (see auth.ActsFor); doing names it in the refusal.
func (s *Server) pathUserFor(r *http.Request, p auth.Principal, doing string) (string, error) {
	user := r.PathValue("id")
	if s.org.Snapshot().User(user) == nil {
		return "", notFound("user %.64q not found", user)
	}
	if !auth.ActsFor(p, user) {
		return "", forbidden("only admins and %s themself may %s %s", user, doing, user)
	}
	return user, nil
}

// setPassword serves PUT /api/v1/users/{id}/password: an admin sets anyone's
// password; a user sets their own with a user token, giving the current
// password when there is one. The user's other login sessions end.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, err := s.pathUserFor(r, p, "set the password of")
	if err != nil {
		return err
	}
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := auth.CheckPassword(req.Password); err != nil {
		return badRequest("password: %v", err)
	}
	current, err := s.store.PasswordHash(r.Context(), user)
	hasPassword := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read the password: %w", err)
	}
	if p.Role != auth.RoleAdmin && hasPassword {
		if req.CurrentPassword == "" {
			return badRequest("current_password is required to change a password")
		}
		// A stolen session must not become a way to guess the password.
		key := s.passwordKey(r, user)
		if err := s.throttle(key); err != nil {
			return err
		}
		ok, err := s.passwords.verify(r.Context(), current, req.CurrentPassword)
		if err != nil {
			s.log.Error("stored password hash", "user", user, "err", err)
		}
		if !ok {
			s.authFailures.fail(key)
			return forbidden("current_password is wrong")
		}
	}
	hash, err := s.passwords.hash(r.Context(), req.Password)
	if err != nil {
		return fmt.Errorf("hash the password: %w", err)
	}
	now := s.now().UTC()
	details := "password set"
	if hasPassword {
		details = "password changed"
	}
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "user.password", Kind: store.KindUser, ObjID: user, Details: details}
	if err := s.store.SetPasswordHash(r.Context(), user, hash, now, audit); err != nil {
		return fmt.Errorf("store the password: %w", err)
	}
	// The user's other login sessions end with the old password.
	other := func(t store.Token) bool {
		return t.UserID == user && t.ID != p.TokenID && strings.HasPrefix(t.ID, sessionIDPrefix)
	}
	if err := s.revokeTokens(r.Context(), other, p.Actor(), "session.revoke", "password changed", now); err != nil {
		return fmt.Errorf("end the other sessions: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// loginRequest is the body of POST /api/v1/login.
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// login serves POST /api/v1/login: a correct user and password get a
// session token, answered once and set as the browser's session cookie
// (see setSessionCookies); refused while org.auth.oidc turns password
// sign-in off, and unless the body is JSON. Failures count toward a limit per client
// address and user (see passwordKey), and take as long for an unknown user
// as for a wrong password.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if err := s.passwordLoginOff(); err != nil {
		return err
	}
	// A form of another site cannot send JSON: no page signs a browser
	// in to someone else's account behind its person's back.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return refusal(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the user and password as application/json")
	}
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.User == "" || req.Password == "" {
		return badRequest("user and password are required")
	}
	if len(req.Password) > auth.MaxPasswordLength {
		return badRequest("password: %v", auth.ErrPasswordTooLong)
	}
	key := s.passwordKey(r, req.User)
	if err := s.throttle(key); err != nil {
		return err
	}
	encoded := ""
	if s.org.Snapshot().User(req.User) != nil {
		h, err := s.store.PasswordHash(r.Context(), req.User)
		switch {
		case err == nil:
			encoded = h
		case !errors.Is(err, store.ErrNotFound):
			return unavailable(err, "cannot check the password now")
		}
	}
	ok, err := s.passwords.verify(r.Context(), encoded, req.Password)
	if err != nil {
		s.log.Error("password check", "user", req.User, "err", err)
	}
	if !ok {
		s.authFailures.fail(key)
		return &httpError{status: http.StatusUnauthorized, code: "unauthorized", message: "unknown user or wrong password", challenge: `Bearer realm="vigil"`}
	}
	now := s.now().UTC()
	expires := now.Add(s.sessionTTL)
	secret, tok, err := s.issueToken(r.Context(), sessionIDPrefix, store.Token{Name: "login session", UserID: req.User, Role: auth.RoleUser, CreatedAt: now, ExpiresAt: &expires},
		"user:"+req.User, "session.create", "login, expires "+expires.Format(time.RFC3339))
	if err != nil {
		return err
	}
	if auth.NeedsRehash(encoded, s.passwords.params) {
		s.rehash(r.Context(), req.User, req.Password, now)
	}
	s.setSessionCookies(w, r, secret, tok.ExpiresAt)
	writeJSON(w, http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
	return nil
}

// rehash replaces a hash made with older parameters; the login has
// succeeded already, so a failure here is only logged.
func (s *Server) rehash(ctx context.Context, user, password string, now time.Time) {
	hash, err := s.passwords.hash(ctx, password)
	if err != nil {
		s.log.Warn("rehash password", "user", user, "err", err)
		return
	}
	audit := store.AuditEntry{At: now, Actor: "user:" + user, Action: "user.password", Kind: store.KindUser, ObjID: user,
		Details: "rehashed with the current parameters"}
	if err := s.store.SetPasswordHash(ctx, user, hash, now, audit); err != nil {
		s.log.Warn("rehash password", "user", user, "err", err)
	}
}

// logout serves POST /api/v1/logout: it revokes the session token that
// made the request, and signs the browser out when the session cookie
// made it. A browser signed in with an API token is signed out without
// revoking the token; an API token sent as a bearer token is refused.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	session := strings.HasPrefix(p.TokenID, sessionIDPrefix)
	cookie := byCookie(r)
	if !session && !cookie {
		return badRequest("this token is not a login session; an admin revokes API tokens with DELETE /api/v1/tokens/{id}")
	}
	if session {
		now := s.now().UTC()
		audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "session.revoke", Kind: "token", ObjID: p.TokenID, Details: "logout"}
		if err := s.store.RevokeToken(r.Context(), p.TokenID, now, audit); err != nil {
			return fmt.Errorf("revoke the session: %w", err)
		}
	}
	if cookie {
		s.clearSessionCookies(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
