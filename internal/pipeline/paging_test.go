package pipeline

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// woken reports whether p's dispatcher was woken since the last call.
func woken(p *Pipeline) bool {
	select {
	case <-p.env.wakeDispatch:
		return true
	default:
		return false
	}
}

func TestDispatcherIsWokenForPagesDueNow(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("disk", alert.SeverityCritical)
	if !woken(h.p) {
		t.Fatal("a page due now did not wake the dispatcher")
	}
	h.trigger("disk", alert.SeverityCritical) // a repeat pages nobody
	if woken(h.p) {
		t.Fatal("a repeated event woke the dispatcher")
	}
	if _, err := h.p.Incidents.Page(h.ctx, h.onlyIncident().ID, PageRequest{User: "bob"}, Actor{Name: "user:alice"}); err != nil {
		t.Fatal(err)
	}
	if !woken(h.p) {
		t.Fatal("paging by hand did not wake the dispatcher")
	}
}

func TestDispatcherIsNotWokenForANoticeDueLater(t *testing.T) {
	night := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC) // 23:30 Berlin
	h := newHarness(t, night)
	h.trigger("slow", alert.SeverityWarning)
	if woken(h.p) {
		t.Fatal("a low-urgency notice for business hours woke the dispatcher at night")
	}
}
