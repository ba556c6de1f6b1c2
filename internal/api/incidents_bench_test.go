package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/store"
)

// BenchmarkListIncidents answers a full page of 100 open incidents, each
// with its timeline of five entries, as the live incident list polls it.
func BenchmarkListIncidents(b *testing.B) {
	srv, st := benchOrgServer(b, shop())
	err := st.Update(b.Context(), func(tx store.Tx) error {
		for i := range 100 {
			inc := &incident.Incident{Title: fmt.Sprintf("incident %d", i), Status: alert.StatusTriggered, Severity: "critical",
				Urgency: "high", Service: "checkout", Services: []string{"checkout"}, CreatedAt: benchNow(), UpdatedAt: benchNow()}
			if err := tx.InsertIncident(inc); err != nil {
				return err
			}
			for j := range 5 {
				if err := tx.AppendTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: benchNow(), Kind: incident.EntryNote,
					Actor: "system", Message: fmt.Sprintf("entry %d", j)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/v1/incidents?limit=100", nil)
		req.Header.Set("Authorization", "Bearer "+adminSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("list = %d: %s", rec.Code, rec.Body)
		}
	}
}
