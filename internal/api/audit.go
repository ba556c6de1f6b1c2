package api

import (
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// listAudit pages through the audit log, newest first, filtered by kind,
// object and actor.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, before, ok := parseIDList(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	q := store.AuditQuery{Kind: v.Get("kind"), ObjID: v.Get("object_id"), Actor: v.Get("actor"), BeforeID: before, Limit: p.limit + 1}
	entries, err := s.store.ListAudit(r.Context(), q)
	if err != nil {
		s.log.Error("list audit", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the audit log")
		return
	}
	entries, next := idPage(entries, p.limit, func(e store.AuditEntry) int64 { return e.ID })
	writeJSON(w, http.StatusOK, map[string]any{"audit_entries": nonNil(entries), "next_cursor": next})
}
