package api

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// listAudit pages through the audit log, newest first, filtered by kind,
// object and actor.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, err := parseList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	v := r.URL.Query()
	q := store.AuditQuery{Kind: v.Get("kind"), ObjID: v.Get("object_id"), Actor: v.Get("actor"), Limit: p.limit + 1}
	for _, f := range []string{q.Kind, q.ObjID, q.Actor} {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "kind, object_id and actor must be text")
			return
		}
	}
	if p.after != "" {
		if q.BeforeID, err = strconv.ParseInt(p.after, 10, 64); err != nil || q.BeforeID <= 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "invalid cursor")
			return
		}
	}
	entries, err := s.store.ListAudit(r.Context(), q)
	if err != nil {
		s.log.Error("list audit", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the audit log")
		return
	}
	var next *string
	if len(entries) > p.limit {
		entries = entries[:p.limit]
		next = encodeCursor(strconv.FormatInt(entries[len(entries)-1].ID, 10))
	}
	if entries == nil {
		entries = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit_entries": entries, "next_cursor": next})
}
