package importer

import (
	"context"
	"strconv"
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
