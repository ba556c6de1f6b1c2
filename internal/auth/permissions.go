package auth

import (
	"slices"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// Directory is what permission decisions read of the configuration: the
// users, who is in which team and who owns what.
type Directory interface {
	User(id string) *catalog.User
	Service(id string) *catalog.Service
	Teams() []catalog.Team
}

// CanAct reports whether p may act on something touching these services
// (an incident, a maintenance window, SLI data, the release gate):
// admins and the global IRT anywhere; a user on the services their teams
// own or, for an IRT, cover. A user who left the configuration acts on
// nothing.
func CanAct(p Principal, d Directory, services []string) bool {
	if p.Role == RoleAdmin {
		return true
	}
	if p.Role != RoleUser || p.UserID == "" || d.User(p.UserID) == nil {
		return false
	}
	for _, t := range d.Teams() {
		if !slices.Contains(t.Members, p.UserID) {
			continue
		}
		if t.Kind == catalog.KindGlobalIRT {
			return true
		}
		for _, id := range services {
			if svc := d.Service(id); svc != nil && svc.Owner == t.ID {
				return true
			}
			if t.Kind == catalog.KindIRT && slices.Contains(t.Covers, id) {
				return true
			}
		}
	}
	return false
}

// UserMayActOnIncident reports whether a user may act on an incident
// through something sent to them, such as an action link: only while they
// are in the configuration, on the incidents CanAct allows them and on
// those that made them, or a team they are in, a responder.
func UserMayActOnIncident(d Directory, user string, inc incident.Incident) bool {
	if d.User(user) == nil {
		return false
	}
	if CanAct(Principal{UserID: user, Role: RoleUser}, d, inc.Services) {
		return true
	}
	for _, r := range inc.Responders {
		if r.User == user && r.User != "" {
			return true
		}
	}
	for _, t := range d.Teams() {
		if !slices.Contains(t.Members, user) {
			continue
		}
		for _, r := range inc.Responders {
			if r.Team == t.ID && r.Team != "" {
				return true
			}
		}
	}
	return false
}

// ActsFor reports whether p may act for user (their password, contact
// methods, calendar feed): an admin for anyone, a user token for its own
// user.
func ActsFor(p Principal, user string) bool {
	return p.Role == RoleAdmin || p.Role == RoleUser && p.UserID == user
}

// CanOverrideSchedule reports whether p may swap shifts on a schedule:
// admins, and members of a team whose schedule it is.
func CanOverrideSchedule(p Principal, d Directory, schedule string) bool {
	if p.Role == RoleAdmin {
		return true
	}
	if p.Role != RoleUser || p.UserID == "" {
		return false
	}
	for _, t := range d.Teams() {
		if t.Schedule == schedule && slices.Contains(t.Members, p.UserID) {
			return true
		}
	}
	return false
}
