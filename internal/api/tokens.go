package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// tokenRequest creates an API token.
type tokenRequest struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	UserID string `json:"user_id,omitempty"`
}

// tokenCreated is answered once: the secret is never shown again.
type tokenCreated struct {
	store.Token
	Secret string `json:"token"`
}

// issueToken makes a fresh secret for tok, with an id of prefix and
// random characters, and stores it with its audit entry (action, by
// actor, with details). It returns the secret and the token stored.
func (s *Server) issueToken(ctx context.Context, prefix string, tok store.Token, actor, action, details string) (string, store.Token, error) {
	secret, hash, err := auth.NewToken()
	if err != nil {
		return "", tok, fmt.Errorf("token secret: %w", err)
	}
	// The id is drawn apart from the secret, so that it says nothing
	// about it.
	idSecret, _, err := auth.NewToken()
	if err != nil {
		return "", tok, fmt.Errorf("token id: %w", err)
	}
	tok.ID, tok.Hash = prefix+idSecret[4:16], hash
	after, _ := json.Marshal(tok) // the hash is never encoded
	audit := store.AuditEntry{At: tok.CreatedAt, Actor: actor, Action: action, Kind: "token", ObjID: tok.ID, After: after, Details: details}
	if err := s.store.CreateToken(ctx, tok, audit); err != nil {
		return "", tok, fmt.Errorf("store token: %w", err)
	}
	return secret, tok, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	toks, err := s.store.ListTokens(r.Context())
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	page, next := pageByID(toks, func(t store.Token) string { return t.ID }, p)
	writeJSON(w, http.StatusOK, map[string]any{"tokens": page, "next_cursor": next})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req tokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = auth.RoleViewer
		if req.UserID != "" {
			req.Role = auth.RoleUser
		}
	}
	switch {
	case req.Name == "" || len(req.Name) > 200:
		return badRequest("name is required (at most 200 characters)")
	case !auth.ValidRole(req.Role):
		return badRequest("role must be admin, user or viewer, not %.64q", req.Role)
	case req.Role == auth.RoleUser && req.UserID == "":
		return badRequest("a user token needs user_id")
	case req.UserID != "" && s.org.Snapshot().User(req.UserID) == nil:
		return badRequest("unknown user %.64q", req.UserID)
	}
	secret, tok, err := s.issueToken(r.Context(), "tok-", store.Token{Name: req.Name, UserID: req.UserID, Role: req.Role, CreatedAt: s.now().UTC()},
		p.Actor(), "token.create", "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	now := s.now().UTC()
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "token.revoke", Kind: "token", ObjID: id}
	if err := s.store.RevokeToken(r.Context(), id, now, audit); err != nil {
		return fmt.Errorf("token %q: %w", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
