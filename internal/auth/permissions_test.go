package auth

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// directory is a configuration in memory.
type directory struct {
	users    []string
	teams    []catalog.Team
	services []catalog.Service
}

func (d directory) User(id string) *catalog.User {
	for _, u := range d.users {
		if u == id {
			return &catalog.User{ID: id}
		}
	}
	return nil
}

func (d directory) Service(id string) *catalog.Service {
	for i := range d.services {
		if d.services[i].ID == id {
			return &d.services[i]
		}
	}
	return nil
}

func (d directory) Teams() []catalog.Team { return d.teams }

// shopDirectory: shop (alice) owns search; pay (bob) owns checkout, which
// irt-core (ivan) covers; gina is the global IRT; olga is in "other",
// which owns nothing; zed is in no team.
var shopDirectory = directory{
	users: []string{"alice", "bob", "ivan", "gina", "olga", "zed"},
	teams: []catalog.Team{
		{ID: "shop", Kind: catalog.KindDev, Members: []string{"alice"}, Schedule: "shop-rota"},
		{ID: "pay", Kind: catalog.KindDev, Members: []string{"bob"}},
		{ID: "irt-core", Kind: catalog.KindIRT, Members: []string{"ivan"}, Covers: []string{"checkout"}},
		{ID: "irt", Kind: catalog.KindGlobalIRT, Members: []string{"gina"}},
		{ID: "other", Kind: catalog.KindDev, Members: []string{"olga"}},
	},
	services: []catalog.Service{{ID: "search", Owner: "shop"}, {ID: "checkout", Owner: "pay"}},
}

func TestCanAct(t *testing.T) {
	user := func(id string) Principal { return Principal{UserID: id, Role: RoleUser} }
	tests := []struct {
		name     string
		p        Principal
		services []string
		want     bool
	}{
		{"admin anywhere", Principal{Role: RoleAdmin}, []string{"search"}, true},
		{"viewer nowhere", Principal{Role: RoleViewer}, []string{"search"}, false},
		{"owner team member", user("alice"), []string{"search"}, true},
		{"another dev team", user("alice"), []string{"checkout"}, false},
		{"one of several services is enough", user("alice"), []string{"checkout", "search"}, true},
		{"covering irt", user("ivan"), []string{"checkout"}, true},
		{"irt on what it does not cover", user("ivan"), []string{"search"}, false},
		{"global irt anywhere", user("gina"), []string{"search"}, true},
		{"in no team", user("zed"), []string{"search"}, false},
		{"a user who left the configuration", user("carl"), []string{"search"}, false},
		{"a user token without its user", Principal{Role: RoleUser}, []string{"search"}, false},
		{"no services", user("alice"), nil, false},
	}
	for _, tt := range tests {
		if got := CanAct(tt.p, shopDirectory, tt.services); got != tt.want {
			t.Errorf("%s: CanAct = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserMayActOnIncident(t *testing.T) {
	onSearch := incident.Incident{Services: []string{"search"}}
	withResponders := func(rs ...incident.Responder) incident.Incident {
		inc := onSearch
		inc.Responders = rs
		return inc
	}
	tests := []struct {
		name string
		user string
		inc  incident.Incident
		want bool
	}{
		{"owner team member", "alice", onSearch, true},
		{"global irt", "gina", onSearch, true},
		{"another team, not a responder", "olga", onSearch, false},
		{"another team, a responder by name", "olga", withResponders(incident.Responder{User: "olga"}), true},
		{"another team, its team a responder", "olga", withResponders(incident.Responder{Team: "other"}), true},
		{"someone else a responder", "olga", withResponders(incident.Responder{User: "bob"}, incident.Responder{Team: "pay"}), false},
		{"a responder who left the configuration", "carl", withResponders(incident.Responder{User: "carl"}), false},
		{"an empty user against a team responder", "", withResponders(incident.Responder{Team: "other"}), false},
	}
	for _, tt := range tests {
		if got := UserMayActOnIncident(shopDirectory, tt.user, tt.inc); got != tt.want {
			t.Errorf("%s: UserMayActOnIncident(%q) = %v, want %v", tt.name, tt.user, got, tt.want)
		}
	}
}

func TestActsForAndCanOverrideSchedule(t *testing.T) {
	tests := []struct {
		name                string
		p                   Principal
		actsForAlice, rotas bool
	}{
		{"admin", Principal{Role: RoleAdmin}, true, true},
		{"alice herself, on her team's schedule", Principal{UserID: "alice", Role: RoleUser}, true, true},
		{"bob, not on shop", Principal{UserID: "bob", Role: RoleUser}, false, false},
		{"a viewer", Principal{Role: RoleViewer}, false, false},
		{"a viewer token naming alice", Principal{UserID: "alice", Role: RoleViewer}, false, false},
	}
	for _, tt := range tests {
		if got := ActsFor(tt.p, "alice"); got != tt.actsForAlice {
			t.Errorf("%s: ActsFor(alice) = %v, want %v", tt.name, got, tt.actsForAlice)
		}
		if got := CanOverrideSchedule(tt.p, shopDirectory, "shop-rota"); got != tt.rotas {
			t.Errorf("%s: CanOverrideSchedule(shop-rota) = %v, want %v", tt.name, got, tt.rotas)
		}
	}
}
