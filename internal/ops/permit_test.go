package ops

import (
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
)

// org is a configuration in memory, indexed as a snapshot is.
type org struct {
	users    map[string]bool
	services map[string]*catalog.Service
	teams    []catalog.Team
}

func (o org) User(id string) *catalog.User {
	if o.users[id] {
		return &catalog.User{ID: id}
	}
	return nil
}
func (o org) Service(id string) *catalog.Service { return o.services[id] }
func (o org) Teams() []catalog.Team              { return o.teams }

// shop: payments (pia) owns payments-api, which irt-core (ivan) covers;
// storefront (sam) owns web; gina is the global IRT; nora is in no team.
var shop = org{
	users: map[string]bool{"pia": true, "sam": true, "ivan": true, "gina": true, "nora": true},
	services: map[string]*catalog.Service{
		"payments-api": {ID: "payments-api", Owner: "payments"},
		"web":          {ID: "web", Owner: "storefront"},
	},
	teams: []catalog.Team{
		{ID: "payments", Kind: catalog.KindDev, Members: []string{"pia"}},
		{ID: "storefront", Kind: catalog.KindDev, Members: []string{"sam"}},
		{ID: "irt-core", Kind: catalog.KindIRT, Members: []string{"ivan"}, Covers: []string{"payments-api"}},
		{ID: "irt-global", Kind: catalog.KindGlobalIRT, Members: []string{"gina"}},
	},
}

// TestAuthorizeMatrix is the permission matrix of operations: who may run
// them on which service, and why not.
func TestAuthorizeMatrix(t *testing.T) {
	user := func(id string) auth.Principal { return auth.Principal{UserID: id, Role: auth.RoleUser} }
	cases := []struct {
		who     string
		p       auth.Principal
		service string
		refusal string // "" when allowed
	}{
		{"owner team member", user("pia"), "payments-api", ""},
		{"owner team member, another team's service", user("pia"), "web", "user pia may not run operations on web: only members of the owner team storefront, of the global IRT, and admins may"},
		{"other dev team's member", user("sam"), "payments-api", "user sam may not run operations on payments-api: only members of the owner team payments, the irt team irt-core that covers it, of the global IRT, and admins may"},
		{"irt member, covered service", user("ivan"), "payments-api", ""},
		{"irt member, uncovered service", user("ivan"), "web", "user ivan may not run operations on web"},
		{"global-irt member", user("gina"), "payments-api", ""},
		{"global-irt member, any service", user("gina"), "web", ""},
		{"user in no team", user("nora"), "web", "user nora may not run operations on web"},
		{"admin", auth.Principal{Role: auth.RoleAdmin, TokenID: "t1"}, "web", ""},
		{"viewer", auth.Principal{Role: auth.RoleViewer, TokenID: "t2"}, "web", "a viewer may not run operations"},
		{"viewer bound to the owner", auth.Principal{Role: auth.RoleViewer, UserID: "pia"}, "payments-api", "a viewer may not run operations"},
		{"user token of a user who left", user("gone"), "web", "the token belongs to no configured user"},
		{"user token bound to nobody", auth.Principal{Role: auth.RoleUser, TokenID: "t3"}, "web", "the token belongs to no configured user"},
		{"unknown role", auth.Principal{Role: "root", UserID: "gina"}, "web", `a token with role "root" may not run operations`},
		{"unknown service", auth.Principal{Role: auth.RoleAdmin}, "nope", `there is no service "nope"`},
	}
	for _, c := range cases {
		err := Authorize(c.p, shop, c.service)
		switch {
		case c.refusal == "" && err != nil:
			t.Errorf("%s on %s: refused (%v), want allowed", c.who, c.service, err)
		case c.refusal != "" && (err == nil || !strings.HasPrefix(err.Error(), c.refusal)):
			t.Errorf("%s on %s: %v, want refused with %q", c.who, c.service, err, c.refusal)
		}
	}
}

func TestOffered(t *testing.T) {
	all := []Operation{{ID: "drain"}, {ID: "rollback"}, {ID: "restart"}}
	ids := func(ops []Operation) string {
		var out []string
		for _, op := range ops {
			out = append(out, op.ID)
		}
		return strings.Join(out, ",")
	}
	none, some := []string{}, []string{"restart", "drain", "unknown"}
	for _, c := range []struct {
		name string
		svc  catalog.Service
		want string
	}{
		{"every verb by default", catalog.Service{ID: "a"}, "drain,rollback,restart"},
		{"an empty list offers none", catalog.Service{ID: "a", Operations: &none}, ""},
		{"the listed ones, in the org's order", catalog.Service{ID: "a", Operations: &some}, "drain,restart"},
	} {
		if got := ids(Offered(all, &c.svc)); got != c.want {
			t.Errorf("%s: Offered = %q, want %q", c.name, got, c.want)
		}
	}
}
