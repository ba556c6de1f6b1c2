package api

import (
	"fmt"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// listAudit pages through the audit log, newest first, filtered by kind,
// object and actor.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	entries, err := s.store.ListAudit(r.Context(), store.AuditQuery{Kind: v.Get("kind"), ObjID: v.Get("object_id"), Actor: v.Get("actor"), BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	writeIDPage(w, "audit_entries", entries, p.limit, func(e store.AuditEntry) int64 { return e.ID })
	return nil
}
