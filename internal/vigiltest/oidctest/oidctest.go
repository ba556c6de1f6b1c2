// Package oidctest starts a real OpenID Connect provider for tests: the
// example server of github.com/zitadel/oidc (discovery, its own login
// page, the authorisation-code flow with PKCE, signed ID tokens, user
// info), in process on a loopback port, with the users and the one
// client a test gives it. Tokens it signs carry the machine's time.
package oidctest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// ClientID and ClientSecret are the provider's one client.
const (
	ClientID     = "vigil"
	ClientSecret = "oidctest-client-secret-0123456789"
)

// User is a person the provider signs in with Username and Password.
type User struct {
	Username, Password  string
	FirstName, LastName string
	Email               string
	// EmailUnverified makes the provider say email_verified false.
	EmailUnverified bool
	// Groups are answered as the "groups" claim, in the ID token and the
	// user info.
	Groups []string
}

// Provider is a running provider.
type Provider struct {
	// Issuer is its issuer URL, http://127.0.0.1:PORT/.
	Issuer string
}

// Start serves a provider until the test ends, whose client accepts the
// redirect URIs given.
func Start(t testing.TB, users []User, redirectURIs ...string) *Provider {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	issuer := "http://" + hs.Listener.Addr().String() + "/"
	us := userStore{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	for i, u := range users {
		id := "id" + string(rune('a'+i))
		us.byID[id] = &storage.User{ID: id, Username: u.Username, Password: u.Password, FirstName: u.FirstName, LastName: u.LastName,
			Email: u.Email, EmailVerified: !u.EmailUnverified, PreferredLanguage: language.English}
		us.groups[id] = u.Groups
	}
	clients := map[string]*storage.Client{ClientID: storage.WebClient(ClientID, ClientSecret, redirectURIs...)}
	st := &groupStorage{Storage: storage.NewStorageWithClients(us, clients), users: us}
	hs.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	hs.Start()
	t.Cleanup(hs.Close)
	return &Provider{Issuer: issuer}
}

// userStore holds the test's users for the example storage.
type userStore struct {
	byID   map[string]*storage.User
	groups map[string][]string
}

func (s userStore) GetUserByID(id string) *storage.User { return s.byID[id] }

func (s userStore) GetUserByUsername(name string) *storage.User {
	for _, u := range s.byID {
		if u.Username == name {
			return u
		}
	}
	return nil
}

// ExampleClientID names the example's service user, which signs JWT
// profile grants; no test uses it.
func (userStore) ExampleClientID() string { return storage.ServiceUserID }

// groupStorage is the example storage, which adds each user's groups to
// the ID token and the user info (see addClaims).
type groupStorage struct {
	*storage.Storage
	users userStore
}

// addClaims adds the user's groups, and says email_verified false
// outright, as providers such as Keycloak do (the example omits false).
func (s *groupStorage) addClaims(info *oidc.UserInfo, subject string) {
	if groups := s.users.groups[subject]; len(groups) > 0 {
		info.AppendClaims("groups", groups)
	}
	if u := s.users.byID[subject]; u != nil && !u.EmailVerified && info.Email != "" {
		info.AppendClaims("email_verified", false)
	}
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *groupStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.addClaims(info, req.GetSubject())
	return nil
}

// SetUserinfoFromToken fills the user info endpoint's answer.
func (s *groupStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addClaims(info, info.Subject)
	return nil
}
