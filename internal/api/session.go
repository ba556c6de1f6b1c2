package api

import (
	"context"
	"errors"
	"fmt"
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

// setPassword serves PUT /api/v1/users/{id}/password: an admin sets anyone's
// password; a user sets their own with a user token, giving the current
// password when there is one. The user's other login sessions end.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user := r.PathValue("id")
	if s.org.Snapshot().User(user) == nil {
		writeError(w, http.StatusNotFound, "not_found", "user %q not found", user)
		return
	}
	if !auth.ActsFor(p, user) {
		writeError(w, http.StatusForbidden, "forbidden", "only admins and %s themself may set %s's password", user, user)
		return
	}
	var req passwordRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if err := auth.CheckPassword(req.Password); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "password: %v", err)
		return
	}
	current, err := s.store.PasswordHash(r.Context(), user)
	hasPassword := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, "read the password", err)
		return
	}
	if p.Role != auth.RoleAdmin && hasPassword {
		if req.CurrentPassword == "" {
			writeError(w, http.StatusBadRequest, "bad_request", "current_password is required to change a password")
			return
		}
		// A stolen session must not become a way to guess the password.
		key := s.passwordKey(r, user)
		if s.throttled(w, key) {
			return
		}
		ok, err := s.passwords.verify(r.Context(), current, req.CurrentPassword)
		if err != nil {
			s.log.Error("stored password hash", "user", user, "err", err)
		}
		if !ok {
			s.authFailures.fail(key)
			writeError(w, http.StatusForbidden, "forbidden", "current_password is wrong")
			return
		}
	}
	hash, err := s.passwords.hash(r.Context(), req.Password)
	if err != nil {
		s.internalError(w, "hash the password", err)
		return
	}
	now := s.now().UTC()
	details := "password set"
	if hasPassword {
		details = "password changed"
	}
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "user.password", Kind: store.KindUser, ObjID: user, Details: details}
	if err := s.store.SetPasswordHash(r.Context(), user, hash, now, audit); err != nil {
		s.internalError(w, "store the password", err)
		return
	}
	if err := s.endSessions(r.Context(), user, p.TokenID, p.Actor(), now); err != nil {
		s.internalError(w, "end the other sessions", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// endSessions revokes a user's open login sessions but keep, after their
// password changed.
func (s *Server) endSessions(ctx context.Context, user, keep, actor string, now time.Time) error {
	toks, err := s.store.ListTokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.UserID != user || t.ID == keep || t.RevokedAt != nil || !strings.HasPrefix(t.ID, sessionIDPrefix) {
			continue
		}
		if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
			continue
		}
		audit := store.AuditEntry{At: now, Actor: actor, Action: "session.revoke", Kind: "token", ObjID: t.ID, Details: "password changed"}
		if err := s.store.RevokeToken(ctx, t.ID, now, audit); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// loginRequest is the body of POST /api/v1/login.
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// login serves POST /api/v1/login: a correct user and password get a
// session token, answered once. Failures count toward a limit per client
// address and user (see passwordKey), and take as long for an unknown user
// as for a wrong password.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var req loginRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.User == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "user and password are required")
		return
	}
	if len(req.Password) > auth.MaxPasswordLength {
		writeError(w, http.StatusBadRequest, "bad_request", "password: %v", auth.ErrPasswordTooLong)
		return
	}
	key := s.passwordKey(r, req.User)
	if s.throttled(w, key) {
		return
	}
	encoded := ""
	if s.org.Snapshot().User(req.User) != nil {
		h, err := s.store.PasswordHash(r.Context(), req.User)
		switch {
		case err == nil:
			encoded = h
		case !errors.Is(err, store.ErrNotFound):
			s.log.Error("read password", "err", err)
			writeError(w, http.StatusServiceUnavailable, "unavailable", "cannot check the password now")
			return
		}
	}
	ok, err := s.passwords.verify(r.Context(), encoded, req.Password)
	if err != nil {
		s.log.Error("password check", "user", req.User, "err", err)
	}
	if !ok {
		s.authFailures.fail(key)
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "unknown user or wrong password")
		return
	}
	now := s.now().UTC()
	expires := now.Add(s.sessionTTL)
	secret, tok, err := newToken(sessionIDPrefix, store.Token{Name: "login session", UserID: req.User, Role: auth.RoleUser, CreatedAt: now, ExpiresAt: &expires})
	if err != nil {
		s.internalError(w, "make a session token", err)
		return
	}
	audit := store.AuditEntry{At: now, Actor: "user:" + req.User, Action: "session.create", Kind: "token", ObjID: tok.ID,
		Details: "login, expires " + expires.Format(time.RFC3339)}
	if err := s.store.CreateToken(r.Context(), tok, audit); err != nil {
		s.internalError(w, "store the session", err)
		return
	}
	if auth.NeedsRehash(encoded, s.passwords.params) {
		s.rehash(r.Context(), req.User, req.Password, now)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
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
// made the request.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !strings.HasPrefix(p.TokenID, sessionIDPrefix) {
		writeError(w, http.StatusBadRequest, "bad_request", "this token is not a login session; an admin revokes API tokens with DELETE /api/v1/tokens/{id}")
		return
	}
	now := s.now().UTC()
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "session.revoke", Kind: "token", ObjID: p.TokenID, Details: "logout"}
	if err := s.store.RevokeToken(r.Context(), p.TokenID, now, audit); err != nil {
		s.internalError(w, "revoke the session", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
