package ops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
)

// Refusal says why someone may not run operations on a service.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// Authorize decides whether p may run operations on a service, by the
// operating model: an admin anywhere; a member of the global IRT
// anywhere; a member of an irt team on the services it covers; a member
// of a team on the services it owns; a viewer never. A refusal says why.
func Authorize(p auth.Principal, d auth.Directory, service string) error {
	svc := d.Service(service)
	switch {
	case svc == nil:
		return &Refusal{Reason: fmt.Sprintf("there is no service %q", service)}
	case p.Role == auth.RoleAdmin:
		return nil
	case p.Role == auth.RoleViewer:
		return &Refusal{Reason: "a viewer may not run operations"}
	case p.Role != auth.RoleUser:
		return &Refusal{Reason: fmt.Sprintf("a token with role %.64q may not run operations", p.Role)}
	case p.UserID == "" || d.User(p.UserID) == nil:
		return &Refusal{Reason: "the token belongs to no configured user"}
	case auth.CanAct(p, d, []string{service}):
		return nil
	}
	may := []string{"the owner team " + svc.Owner}
	for _, t := range d.Teams() {
		if t.Kind == catalog.KindIRT && slices.Contains(t.Covers, service) {
			may = append(may, "the irt team "+t.ID+" that covers it")
		}
	}
	return &Refusal{Reason: fmt.Sprintf("user %s may not run operations on %s: only members of %s, of the global IRT, and admins may",
		p.UserID, service, strings.Join(may, ", "))}
}
