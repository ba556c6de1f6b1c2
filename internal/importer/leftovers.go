package importer

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
)

// Leftover is a resource of the source that has no place in Vigil: the
// import reads its list only to name each item in the report.
type Leftover struct {
	List, Key string // the list file (LIST.json) and the key of its items
	Kind      string // how the report calls one item
	What      string // what is not carried over
	Instead   string // what to do instead
}

// Named is any listed object with a name.
type Named struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Alias       string `json:"alias"`
}

// Label is how the report names the object.
func (n Named) Label() string {
	for _, s := range []string{n.Name, n.Summary, n.Alias, n.Description, n.ID} {
		if s != "" {
			return s
		}
	}
	return "(unnamed)"
}

// NameLeftovers names, item by item, the leftovers whose lists were given.
// A list that cannot be read (no access on the account's plan) does not
// stop the import: the report says so instead.
func (r *Result) NameLeftovers(ctx context.Context, src Source, leftovers []Leftover) error {
	for _, l := range leftovers {
		pages, err := src.Pages(ctx, l.List)
		if err := ctx.Err(); err != nil {
			return err
		}
		if pages == nil && err == nil {
			continue
		}
		var items []Named
		if err == nil {
			items, err = Items[Named](pages, l.List, l.Key)
		}
		if err != nil {
			r.Report.Check("The %s could not be read (%v): list them by hand and recreate what matters (%s).", l.What, err, l.Instead)
			continue
		}
		for _, it := range items {
			r.Report.Skip(l.Kind, it.Label(), l.What, l.Instead)
		}
	}
	return nil
}

// NameUnread names the files of a directory source that the import did not
// read.
func (r *Result) NameUnread(src Source) {
	if d, ok := src.(*Dir); ok {
		for _, f := range d.Unread() {
			r.Report.Skip("file", f, "not read: it is not a response this importer knows", "if it holds configuration, recreate it by hand")
		}
	}
}

// MaxDelay bounds escalation and notification delays: a week is more than
// any real policy waits, and keeps hostile values from overflowing.
const MaxDelay = 7 * 24 * time.Hour

// Minutes is n minutes as the configuration writes durations.
func Minutes(n int) duration.Duration { return duration.Duration(time.Duration(n) * time.Minute) }

// Unowned returns the index of the team that owns what the source gives no
// owner team, making it on first use.
func (r *Result) Unowned(ids *IDs) int {
	for i, t := range r.Bundle.Teams {
		if t.ID == r.unowned && t.ID != "" {
			return i
		}
	}
	r.unowned = ids.New("unowned", "", "team")
	r.Bundle.Teams = append(r.Bundle.Teams, catalog.Team{ID: r.unowned, Name: "Services without an owner team", Kind: catalog.KindDev, Members: []string{}})
	return len(r.Bundle.Teams) - 1
}

// AddMember adds a user to a team once.
func AddMember(t *catalog.Team, user string) {
	for _, m := range t.Members {
		if m == user {
			return
		}
	}
	t.Members = append(t.Members, user)
}

// PhoneNumber reads a phone number written with separators ("+49 151
// 0000 0001", "49-15100000001") as E.164, given the country code when the
// number has none; "" when it is not one.
func PhoneNumber(country int, number string) string {
	digits := make([]byte, 0, len(number))
	for i := 0; i < len(number); i++ {
		if c := number[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	e164 := "+" + string(digits)
	if country > 0 {
		e164 = "+" + strconv.Itoa(country) + string(digits)
	}
	if !E164(e164) {
		return ""
	}
	return e164
}

// ValidKey reports whether an integration key (other than a PagerDuty
// routing key) is one Vigil takes: it appears in URL paths, so letters,
// digits, '-', '_' and '.', at most 128, not starting with '-' or '.'.
func ValidKey(k string) bool {
	if k == "" || len(k) > 128 || k[0] == '-' || k[0] == '.' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// NewUser starts a user from the source's name, email and time zone, and
// returns it with the label the report calls it by. Its id is the email's
// local part (else the name), unique; an email that is not valid is left
// out and a zone that is not an IANA one becomes UTC, each said in the
// report.
func (r *Result) NewUser(ids *IDs, name, email, zone string) (catalog.User, string) {
	label := name
	if label == "" {
		label = email
	}
	if email != "" && !ValidEmail(email) {
		r.Report.Change("user", label, "email "+Code(email)+" is not a valid address and was left out", "set the user's email")
		email = ""
	}
	u := catalog.User{ID: ids.New(EmailLocal(email), name, "user"), Name: name, Email: email, TimeZone: "UTC"}
	if tz, ok := Zone(zone); ok {
		u.TimeZone = tz
	} else {
		r.Report.Change("user", label, "time zone "+Code(zone)+" is not an IANA zone; UTC was set", "set the user's time_zone")
	}
	return u, label
}

// List is one list an importer reads, and what it makes of the pages.
type List struct {
	Name string
	Read func(pages [][]byte) error
}

// ReadLists reads each list in order and hands its pages on; a list not
// given is said in the report. found is false when none was given.
func (r *Result) ReadLists(ctx context.Context, src Source, lists []List) (found bool, err error) {
	for _, l := range lists {
		pages, err := src.Pages(ctx, l.Name)
		if err != nil {
			return false, err
		}
		if pages == nil {
			r.Report.Check("No %s.json was given: the import has no %s.", l.Name, strings.ReplaceAll(l.Name, "_", " "))
		}
		found = found || pages != nil
		if err := l.Read(pages); err != nil {
			return false, err
		}
	}
	return found, nil
}

// Complete ends an import: the leftovers and the files not read named in
// the report, and what the configuration needs (Finish).
func (r *Result) Complete(ctx context.Context, src Source, leftovers []Leftover) (*Result, error) {
	if err := r.NameLeftovers(ctx, src, leftovers); err != nil {
		return nil, err
	}
	r.NameUnread(src)
	r.Finish()
	return r, nil
}
