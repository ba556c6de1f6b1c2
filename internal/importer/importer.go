// Package importer holds what the vendor importers (internal/importer/
// pagerduty, opsgenie, grafanaoncall) share: ids from names, the report of
// what did not carry over, the sources they read (saved API responses or
// the live API, page by page), the translation of weekly restrictions and
// of schedules that put several people on call at once into Vigil's
// schedule model, and the writer of the resulting configuration directory.
package importer

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
)

// Options are what every importer takes besides its source.
type Options struct {
	// Now decides what is history: overrides and layers that ended
	// before it are not carried over.
	Now time.Time
}

// Result is an import: the configuration and its report.
type Result struct {
	Bundle config.Bundle
	Report *Report
	// Schedules maps each source schedule's id to the Vigil schedules
	// made from it: one, or several when it puts several people on call
	// at once (whoever is on call on any of them is on call).
	Schedules map[string][]string

	unowned string // the id of the team made by Unowned
}

// NewResult starts a result for a vendor read from a source.
func NewResult(vendor string, src Source, opts Options) *Result {
	return &Result{Report: &Report{Vendor: vendor, From: src.Where(), At: opts.Now}, Schedules: map[string][]string{}}
}

// Counts lists what the configuration holds, for the report and the
// command's summary.
func (r *Result) Counts() []Count {
	b := &r.Bundle
	integrations := 0
	for _, s := range b.Services {
		integrations += len(s.Integrations)
	}
	return []Count{
		{len(b.Users), "users"}, {len(b.Teams), "teams"}, {len(b.Schedules), "schedules"},
		{len(b.EscalationPolicies), "escalation policies"}, {len(b.Services), "services"},
		{integrations, "integrations"},
	}
}

// Items decodes the list under key in every page ("users" for PagerDuty,
// "data" for Opsgenie, "results" for Grafana OnCall) into T, in order. A
// page that is not a JSON object with that list is an error naming it.
func Items[T any](pages [][]byte, list, key string) ([]T, error) {
	var all []T
	for i, p := range pages {
		var envelope map[string]json.RawMessage
		if err := json.Unmarshal(p, &envelope); err != nil {
			return nil, fmt.Errorf("%s page %d: not a JSON object: %w", list, i+1, shorten(err))
		}
		raw, ok := envelope[key]
		if !ok {
			return nil, fmt.Errorf("%s page %d: no %q list in it", list, i+1, key)
		}
		var items []T
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s page %d: %q: %w", list, i+1, key, shorten(err))
		}
		all = append(all, items...)
	}
	return all, nil
}

// Object decodes one detail response, optionally under key ("schedule"
// for PagerDuty's GET /schedules/ID, "data" for Opsgenie's).
func Object[T any](body []byte, what, key string) (T, error) {
	var v T
	raw := json.RawMessage(body)
	if key != "" {
		var envelope map[string]json.RawMessage
		if err := json.Unmarshal(body, &envelope); err != nil {
			return v, fmt.Errorf("%s: not a JSON object: %w", what, shorten(err))
		}
		var ok bool
		if raw, ok = envelope[key]; !ok {
			return v, fmt.Errorf("%s: no %q in it", what, key)
		}
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("%s: %w", what, shorten(err))
	}
	return v, nil
}

// shorten keeps JSON errors, which can quote hostile input, short.
func shorten(err error) error {
	msg := err.Error()
	if len(msg) > 200 {
		return fmt.Errorf("%s…", msg[:200])
	}
	return err
}

// Zone returns name when it is an IANA time zone Vigil accepts.
func Zone(name string) (string, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return "", false
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", false
	}
	return name, true
}

// EmailLocal is the local part of an email address ("alice.martin" of
// "alice.martin@example.com"), or "" when it is not one.
func EmailLocal(email string) string {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return ""
	}
	local, _, _ := strings.Cut(email, "@")
	return local
}

// ValidEmail reports whether the configuration accepts s as an address.
func ValidEmail(s string) bool { return EmailLocal(s) != "" }

// E164 reports whether s is an international phone number as the
// configuration wants it: '+', then up to 15 digits, the first not 0.
func E164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Placeholder providers, to be filled in: the report says so.
const (
	placeholderSMTPHost  = "smtp.example.com"
	placeholderTwilioSID = "AC00000000000000000000000000000000"
)

// Finish completes what every import needs for the configuration to be
// valid and usable, and says so in the report: the providers its contact
// methods need (placeholders to fill in) and the one global-irt team that
// Vigil requires.
func (r *Result) Finish() {
	b := &r.Bundle
	var email, phone bool
	for _, u := range b.Users {
		for _, m := range u.ContactMethods {
			switch m.Type {
			case catalog.MethodEmail:
				email = true
			case catalog.MethodSMS, catalog.MethodVoice:
				phone = true
			}
		}
	}
	if email && b.Org.Providers.SMTP == nil {
		b.Org.Providers.SMTP = &catalog.SMTPProvider{
			Host: placeholderSMTPHost, Port: 587, From: "vigil@example.com",
			Username: "vigil", PasswordEnv: "VIGIL_SMTP_PASSWORD", StartTLS: true,
		}
		r.Report.Check("Email contact methods were imported: `org.providers.smtp` in org.yaml is a placeholder (%s); set your mail server and `VIGIL_SMTP_PASSWORD`.", placeholderSMTPHost)
	}
	if phone && b.Org.Providers.Twilio == nil {
		b.Org.Providers.Twilio = &catalog.TwilioProvider{
			AccountSID: placeholderTwilioSID, AuthTokenEnv: "VIGIL_TWILIO_TOKEN", From: "+15550000000",
		}
		r.Report.Check("SMS and voice contact methods were imported: `org.providers.twilio` in org.yaml is a placeholder; set your Twilio account, number and `VIGIL_TWILIO_TOKEN`, then verify each number (`vigil notify verify`).")
	}
	if len(b.Teams) > 0 {
		hasGlobal := false
		for _, t := range b.Teams {
			hasGlobal = hasGlobal || t.Kind == catalog.KindGlobalIRT
		}
		if !hasGlobal {
			id := "global-irt"
			for taken := true; taken; {
				taken = false
				for _, t := range b.Teams {
					if t.ID == id {
						id += "-team"
						taken = true
					}
				}
			}
			b.Teams = append(b.Teams, catalog.Team{ID: id, Name: "Global incident response", Kind: catalog.KindGlobalIRT, Members: []string{}})
			r.Report.Check("Vigil pages one company-wide `global-irt` team for major incidents and critical services nobody else covers. The import added `%s` with no members: add the people (and a schedule) who take that role.", id)
		}
		r.Report.Check("Teams have no `time_zone` and `country`: set them for business hours, night hours and public holidays (the release gate, `skip_holidays`).")
	}
	r.Report.Check("Services are not `revenue_critical` and have no `depends_on`: mark the ones the business depends on and add their hard and soft dependencies, so that Vigil derives which are critical.")
}
