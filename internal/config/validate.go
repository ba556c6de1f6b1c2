package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	// Time zone names must validate the same on every host, including
	// minimal containers without a zoneinfo database.
	_ "time/tzdata"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/eventrules"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Validate checks a bundle as a whole: required fields, ids, references
// between objects, enumerations, time zones, times and durations. It returns
// every problem found, each with the Path of the offending field; File and
// Line are left empty (Load fills them in for bundles read from files).
func Validate(b *Bundle) []Problem {
	v := &validator{b: b, zones: map[string]error{}, suggest: newSuggester(), integrationKeys: map[string]string{}}
	v.users = v.collect("user", "users", len(b.Users), func(i int) string { return b.Users[i].ID })
	v.teams = v.collect("team", "teams", len(b.Teams), func(i int) string { return b.Teams[i].ID })
	v.schedules = v.collect("schedule", "schedules", len(b.Schedules), func(i int) string { return b.Schedules[i].ID })
	v.policies = v.collect("escalation policy", "escalation_policies", len(b.EscalationPolicies), func(i int) string { return b.EscalationPolicies[i].ID })
	v.services = v.collect("service", "services", len(b.Services), func(i int) string { return b.Services[i].ID })
	v.operations = v.collect("operation", "operations", len(b.Operations), func(i int) string { return b.Operations[i].ID })

	v.org(&b.Org)
	for i := range b.Users {
		v.user(index("users", i), &b.Users[i])
	}
	v.teamList(b.Teams)
	for i := range b.Schedules {
		v.schedule(index("schedules", i), &b.Schedules[i])
	}
	for i := range b.EscalationPolicies {
		v.policy(index("escalation_policies", i), &b.EscalationPolicies[i])
	}
	v.serviceList(b.Services)
	for i := range b.Operations {
		p := index("operations", i)
		for _, problem := range ops.Check(&b.Operations[i]) {
			v.add(join(p, problem.Path), "%s", problem.Message)
		}
	}
	return v.problems
}

type validator struct {
	b        *Bundle
	problems []Problem
	zones    map[string]error
	suggest  *suggester

	users, teams, schedules, policies, services, operations *idSet
	// integrationKeys maps each integration key to where it is first
	// used, for keys unique across services and org.integrations.
	integrationKeys map[string]string
}

// idSet is the ids of one kind, for resolving references.
type idSet struct {
	kind   string
	ids    map[string]int // id -> index of its first definition
	sorted []string       // built on first need, for suggestions
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// report adds err, if any, at path.
func (v *validator) report(path string, err error) {
	if err != nil {
		v.add(path, "%v", err)
	}
}

// required reports a missing value and says whether it is present.
func (v *validator) required(path, value string) bool {
	if value == "" {
		v.missing(path)
		return false
	}
	return true
}

func (v *validator) missing(path string) {
	v.add(path, "missing required field %q", lastSegment(path))
}

// lastSegment is a path's field name: "teams[0].kind" -> "kind".
func lastSegment(path string) string {
	return path[strings.LastIndexAny(path, ".]")+1:]
}

// collect checks the ids of one kind and indexes them.
func (v *validator) collect(kind, list string, n int, idOf func(int) string) *idSet {
	s := &idSet{kind: kind, ids: make(map[string]int, n)}
	seen := make(map[string]bool, n)
	for i := range n {
		id := idOf(i)
		v.id(index(list, i)+".id", kind, id, seen)
		if _, dup := s.ids[id]; !dup && id != "" {
			s.ids[id] = i
		}
	}
	return s
}

// id checks a required id's shape and its uniqueness among seen.
func (v *validator) id(path, kind, id string, seen map[string]bool) {
	if !v.required(path, id) {
		return
	}
	v.report(path, checkID(id))
	if seen[id] {
		v.add(path, "duplicate %s id %s", kind, quote(id))
		return
	}
	// Ids of the wrong shape still count as defined, so that references to
	// them do not each report a second problem.
	seen[id] = true
}

// ref reports a reference to an id that is not defined.
func (v *validator) ref(path string, s *idSet, id string) {
	if _, ok := s.ids[id]; ok || id == "" {
		return
	}
	if s.sorted == nil {
		s.sorted = slices.Sorted(maps.Keys(s.ids))
	}
	v.add(path, "unknown %s %s%s", s.kind, quote(id), v.suggest.didYouMean(id, s.sorted))
}

// refs checks a list of references: each given, defined, and listed once.
func (v *validator) refs(path string, s *idSet, ids []string) {
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		p := index(path, i)
		if !v.required(p, id) {
			continue
		}
		if seen[id] {
			v.add(p, "%s %s is listed twice", s.kind, quote(id))
		}
		seen[id] = true
		v.ref(p, s, id)
	}
}

func (v *validator) zone(path, name string) {
	if name == "" {
		return
	}
	err, ok := v.zones[name]
	if !ok {
		err = v.suggest.timeZone(name)
		v.zones[name] = err
	}
	v.report(path, err)
}

func (v *validator) clock(path, s string) {
	if v.required(path, s) {
		_, err := parseClock(s)
		v.report(path, err)
	}
}

func (v *validator) days(path string, days []string) {
	for i, d := range days {
		v.report(index(path, i), checkWeekday(d))
	}
}

func (v *validator) optional(path, s string, check func(string) error) {
	if s != "" {
		v.report(path, check(s))
	}
}

func (v *validator) enum(path, value string, allowed ...string) {
	if v.required(path, value) && !slices.Contains(allowed, value) {
		v.add(path, "invalid %s %s: use %s%s", lastSegment(path), quote(value), orList(allowed), v.suggest.didYouMean(value, allowed))
	}
}

func (v *validator) nonNegative(path string, d duration.Duration) {
	if d < 0 {
		v.add(path, "duration %s is negative", d)
	}
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func (v *validator) org(o *catalog.Org) {
	if s := o.Providers.SMTP; s != nil {
		v.required("org.providers.smtp.host", s.Host)
		switch {
		case s.Port == 0:
			v.missing("org.providers.smtp.port")
		case s.Port < 1 || s.Port > 65535:
			v.add("org.providers.smtp.port", "invalid port %d: use 1 to 65535", s.Port)
		}
		if v.required("org.providers.smtp.from", s.From) {
			v.report("org.providers.smtp.from", checkEmail(s.From))
		}
		v.optional("org.providers.smtp.password_env", s.PasswordEnv, checkEnvName)
		if s.StartTLS && s.TLS {
			v.add("org.providers.smtp.tls", "tls (TLS from the first byte) and starttls (an upgrade after the greeting) exclude each other: choose one")
		}
	}
	if t := o.Providers.Twilio; t != nil {
		v.required("org.providers.twilio.account_sid", t.AccountSID)
		if v.required("org.providers.twilio.from", t.From) {
			v.report("org.providers.twilio.from", checkE164(t.From))
		}
		v.optional("org.providers.twilio.auth_token_env", t.AuthTokenEnv, checkEnvName)
		v.optional("org.providers.twilio.base_url", t.BaseURL, checkHTTPURL)
	}
	if n := o.Providers.Ntfy; n != nil {
		if v.required("org.providers.ntfy.url", n.URL) {
			v.report("org.providers.ntfy.url", checkHTTPURL(n.URL))
		}
		v.optional("org.providers.ntfy.token_env", n.TokenEnv, checkEnvName)
	}
	if sl := o.Providers.Slack; sl != nil {
		if v.required("org.providers.slack.signing_secret_env", sl.SigningSecretEnv) {
			v.report("org.providers.slack.signing_secret_env", checkEnvName(sl.SigningSecretEnv))
		}
		v.optional("org.providers.slack.bot_token_env", sl.BotTokenEnv, checkEnvName)
		v.optional("org.providers.slack.api_url", sl.APIURL, checkHTTPURL)
	}
	if h := o.NightHours; h != nil {
		v.clock("org.night_hours.start", h.Start)
		v.clock("org.night_hours.end", h.End)
	}
	if h := o.BusinessHours; h != nil {
		v.clock("org.business_hours.start", h.Start)
		v.clock("org.business_hours.end", h.End)
		v.days("org.business_hours.days", h.Days)
	}
	v.nonNegative("org.correlation_window", o.CorrelationWindow)
	if h := o.CorrelationHubShare; !(h >= 0 && h <= 1) { // NaN fails both
		v.add("org.correlation_hub_share", "share %v is not between 0 and 1", h)
	}
	v.freezes("org.freezes", o.Freezes)
	v.costs("org.costs", o.Costs)
	v.postmortems("org.postmortems", o.Postmortems)
	v.eventRouting(o)
	v.auth("org.auth", o.Auth)
}

// auth checks single sign-on: an issuer reached over https (or http on a
// loopback address, for a provider on the same machine), a client id and
// the name of the variable holding its secret, a callback URL of this
// server, claims and scopes of a sane shape, and teams that exist for the
// groups mapped to them.
func (v *validator) auth(path string, a *catalog.Auth) {
	if a == nil || a.OIDC == nil {
		return
	}
	path += ".oidc"
	c := a.OIDC
	v.optional(path+".name", c.Name, checkLabel)
	if v.required(path+".issuer", c.Issuer) {
		v.report(path+".issuer", checkIssuer(c.Issuer))
	}
	if v.required(path+".client_id", c.ClientID) {
		v.report(path+".client_id", checkLabel(c.ClientID))
	}
	if v.required(path+".client_secret_env", c.ClientSecretEnv) {
		v.report(path+".client_secret_env", checkEnvName(c.ClientSecretEnv))
	}
	v.optional(path+".redirect_url", c.RedirectURL, checkRedirectURL)
	for i, scope := range c.Scopes {
		v.report(index(path+".scopes", i), checkToken("scope", scope))
	}
	v.optional(path+".user_claim", c.UserClaim, func(s string) error { return checkToken("claim", s) })
	v.optional(path+".groups_claim", c.GroupsClaim, func(s string) error { return checkToken("claim", s) })
	if c.TimeZone != "" {
		v.zone(path+".time_zone", c.TimeZone)
	}
	if len(c.GroupTeams) > 0 && c.GroupsClaim == "" {
		v.add(path+".group_teams", "group_teams needs groups_claim, the claim that lists a person's groups")
	}
	for _, group := range slices.Sorted(maps.Keys(c.GroupTeams)) {
		p := join(path+".group_teams", group)
		v.report(p, checkLabel(group))
		if c.GroupTeams[group] == "" {
			v.add(p, "group %s maps to no team", quote(group))
			continue
		}
		v.ref(p, v.teams, c.GroupTeams[group])
	}
}

// postmortems checks the post-mortem policy: known conditions and a due
// time within a year.
func (v *validator) postmortems(path string, pm *catalog.PostmortemPolicy) {
	if pm == nil {
		return
	}
	for i, c := range pm.RequiredFor {
		v.report(index(path+".required_for", i), postmortem.CheckCondition(c, len(pm.RequiredFor)))
	}
	if d := pm.DueBusinessDays; d < 0 || d > postmortem.MaxDueBusinessDays {
		v.add(path+".due_business_days", "%d is not between 1 and %d business days", d, postmortem.MaxDueBusinessDays)
	}
}

// costs checks the rates of the cost report: numbers that are neither
// negative nor infinite, a three-letter currency code, and rates for the
// response roles only.
func (v *validator) costs(path string, c *catalog.Costs) {
	if c == nil {
		return
	}
	if c.Currency != "" && !isCurrencyCode(c.Currency) {
		v.add(path+".currency", "currency %s is not a three-letter code such as EUR or USD", quote(c.Currency))
	}
	rate := func(p string, x float64) {
		if !(x >= 0) || math.IsInf(x, 0) { // NaN fails x >= 0
			v.add(p, "%v is not a rate: use a number of at least 0", x)
		}
	}
	rate(path+".standby_per_hour", c.StandbyPerHour)
	rate(path+".per_interruption", c.PerInterruption)
	rate(path+".off_hours_multiplier", c.OffHoursMultiplier)
	rate(path+".sleep_multiplier", c.SleepMultiplier)
	rate(path+".holiday_multiplier", c.HolidayMultiplier)
	for _, role := range slices.Sorted(maps.Keys(c.ResponsePerHour)) {
		p := path + ".response_per_hour." + role
		if !slices.Contains(catalog.ResponseRoles, role) {
			v.add(p, "unknown role %s: use %s%s", quote(role), orList(catalog.ResponseRoles), v.suggest.didYouMean(role, catalog.ResponseRoles))
			continue
		}
		rate(p, c.ResponsePerHour[role])
	}
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func (v *validator) freezes(path string, fs []catalog.Freeze) {
	seen := map[string]bool{}
	for i, f := range fs {
		p := index(path, i)
		v.id(p+".id", "freeze", f.ID, seen)
		oneOff := f.From != nil || f.To != nil
		switch {
		case oneOff && f.Every != "":
			v.add(p, "a freeze has either from and to, or every, not both")
		case oneOff:
			switch {
			case f.From == nil:
				v.missing(p + ".from")
			case f.To == nil:
				v.missing(p + ".to")
			case !f.To.After(*f.From):
				v.add(p+".to", "to (%s) must be after from (%s)", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
			}
		case f.Every != "":
			_, err := ParseRecurrence(f.Every)
			v.report(p+".every", err)
		default:
			v.add(p, "a freeze needs from and to, or every")
		}
		if f.TimeZone != "owner" {
			v.zone(p+".time_zone", f.TimeZone)
		}
	}
}

// Where each contact method type keeps its address, and which other fields
// it takes.
var (
	methodAddress = map[string]string{
		catalog.MethodEmail: "address", catalog.MethodSMS: "number", catalog.MethodVoice: "number",
		catalog.MethodWebhook: "url", catalog.MethodSlack: "webhook_url", catalog.MethodTeams: "webhook_url",
		catalog.MethodMattermost: "webhook_url", catalog.MethodNtfy: "topic",
	}
	methodTypes = []string{
		catalog.MethodEmail, catalog.MethodSMS, catalog.MethodVoice, catalog.MethodWebhook,
		catalog.MethodSlack, catalog.MethodTeams, catalog.MethodMattermost, catalog.MethodNtfy,
	}
)

func (v *validator) user(path string, u *catalog.User) {
	if v.required(path+".time_zone", u.TimeZone) {
		v.zone(path+".time_zone", u.TimeZone)
	}
	v.optional(path+".email", u.Email, checkEmail)
	if u.Role != "" && u.Role != "admin" {
		v.add(path+".role", "invalid role %s: use admin, or leave it out", quote(u.Role))
	}
	methods := map[string]bool{}
	for i := range u.ContactMethods {
		v.contactMethod(index(path+".contact_methods", i), &u.ContactMethods[i], methods)
	}
	for i, r := range u.NotificationRules {
		p := index(path+".notification_rules", i)
		if v.required(p+".contact_method", r.ContactMethod) && !methods[r.ContactMethod] {
			ids := make([]string, len(u.ContactMethods))
			for j, m := range u.ContactMethods {
				ids[j] = m.ID
			}
			v.add(p+".contact_method", "unknown contact method %s of this user%s", quote(r.ContactMethod), v.suggest.didYouMean(r.ContactMethod, ids))
		}
		v.nonNegative(p+".delay", r.Delay)
	}
}

func (v *validator) contactMethod(path string, m *catalog.ContactMethod, seen map[string]bool) {
	v.id(path+".id", "contact method", m.ID, seen)
	v.enum(path+".type", m.Type, methodTypes...)
	want, known := methodAddress[m.Type]
	fields := []struct {
		name, value string
		check       func(string) error
	}{
		{"url", m.URL, checkHTTPURL},
		{"address", m.Address, checkEmail},
		{"number", m.Number, checkE164},
		{"webhook_url", m.WebhookURL, checkHTTPURL},
		{"topic", m.Topic, checkNtfyTopic},
		{"secret_env", m.SecretEnv, checkEnvName},
	}
	for _, f := range fields {
		p := path + "." + f.name
		applies := f.name == want ||
			m.Type == catalog.MethodNtfy && f.name == "url" ||
			m.Type == catalog.MethodWebhook && f.name == "secret_env"
		switch {
		case known && f.name == want && f.value == "":
			v.add(p, "missing required field %q for %s contact methods", f.name, m.Type)
		case f.value == "":
		case known && !applies:
			v.add(p, "field %q does not apply to %s contact methods", f.name, m.Type)
		default:
			v.report(p, f.check(f.value))
		}
	}
	if m.Verify && m.Type != catalog.MethodSMS && m.Type != catalog.MethodVoice {
		v.add(path+".verify", "verify applies to sms and voice contact methods only")
	}
	// A method is only as good as the provider that delivers it.
	providers := v.b.Org.Providers
	switch {
	case m.Type == catalog.MethodEmail && providers.SMTP == nil:
		v.add(path+".type", "email contact methods need org.providers.smtp")
	case (m.Type == catalog.MethodSMS || m.Type == catalog.MethodVoice) && providers.Twilio == nil:
		v.add(path+".type", "%s contact methods need org.providers.twilio", m.Type)
	case m.Type == catalog.MethodNtfy && m.URL == "" && providers.Ntfy == nil:
		v.add(path+".url", "ntfy contact methods need a url when org.providers.ntfy is not set")
	}
}

func (v *validator) teamList(teams []catalog.Team) {
	globalIRT := -1
	coveredBy := map[string]string{} // service -> the irt team covering it
	for i := range teams {
		t := &teams[i]
		p := index("teams", i)
		v.enum(p+".kind", t.Kind, catalog.KindDev, catalog.KindIRT, catalog.KindGlobalIRT)
		if t.Kind == catalog.KindGlobalIRT {
			if globalIRT >= 0 {
				v.add(p+".kind", "a second global-irt team: %s is already the global-irt team, and there is exactly one", quote(teams[globalIRT].ID))
			} else {
				globalIRT = i
			}
		}
		v.zone(p+".time_zone", t.TimeZone)
		v.optional(p+".country", t.Country, checkCountry)
		v.refs(p+".members", v.users, t.Members)
		v.ref(p+".schedule", v.schedules, t.Schedule)
		v.ref(p+".escalation_policy", v.policies, t.EscalationPolicy)
		if len(t.Covers) > 0 && t.Kind != catalog.KindIRT {
			v.add(p+".covers", "covers is only allowed on irt teams, and this team's kind is %s", quote(t.Kind))
		}
		for j, s := range t.Covers {
			cp := index(p+".covers", j)
			if !v.required(cp, s) {
				continue
			}
			v.ref(cp, v.services, s)
			if other, ok := coveredBy[s]; ok && t.Kind == catalog.KindIRT {
				v.add(cp, "service %s is already covered by irt team %s; a service has one covering irt team", quote(s), quote(other))
			} else if t.Kind == catalog.KindIRT {
				coveredBy[s] = t.ID
			}
		}
		v.freezes(p+".freezes", t.Freezes)
	}
	if len(teams) > 0 && globalIRT < 0 {
		v.add("teams", "no global-irt team: exactly one team must have kind global-irt")
	}
}

func (v *validator) schedule(path string, s *schedule.Schedule) {
	if v.required(path+".time_zone", s.TimeZone) {
		v.zone(path+".time_zone", s.TimeZone)
	}
	layers := map[string]bool{}
	for i := range s.Layers {
		l := &s.Layers[i]
		p := index(path+".layers", i)
		v.id(p+".id", "layer", l.ID, layers)
		if len(l.Users) == 0 {
			v.missing(p + ".users")
		}
		for j, u := range l.Users {
			if v.required(index(p+".users", j), u) {
				v.ref(index(p+".users", j), v.users, u)
			}
		}
		if v.required(p+".rotation.every", l.Rotation.Every) {
			v.report(p+".rotation.every", checkRotation(l.Rotation.Every))
		}
		if l.Start.IsZero() {
			v.missing(p + ".start")
		} else if !l.End.IsZero() && !l.End.After(l.Start) {
			v.add(p+".end", "end (%s) must be after start (%s)", l.End.Format(time.RFC3339), l.Start.Format(time.RFC3339))
		}
		v.zone(p+".time_zone", l.TimeZone)
		for j, w := range l.Active {
			wp := index(p+".active", j)
			v.days(wp+".days", w.Days)
			v.clock(wp+".from", w.From)
			v.clock(wp+".to", w.To)
		}
		v.optional(p+".skip_holidays", l.SkipHolidays, checkCountry)
	}
	overrides := map[string]bool{}
	for i, o := range s.Overrides {
		p := index(path+".overrides", i)
		if o.ID != "" {
			v.id(p+".id", "override", o.ID, overrides)
		}
		if v.required(p+".user", o.User) {
			v.ref(p+".user", v.users, o.User)
		}
		v.ref(p+".replaces", v.users, o.Replaces)
		switch {
		case o.Start.IsZero():
			v.missing(p + ".start")
		case o.End.IsZero():
			v.missing(p + ".end")
		case !o.End.After(o.Start):
			v.add(p+".end", "end (%s) must be after start (%s)", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
		}
	}
}

// checkRotation accepts a whole, positive number of hours, days or weeks:
// "h" hands off after an absolute duration, "d" and "w" at the same local
// wall-clock time, so mixing them in one period would be ambiguous.
func checkRotation(s string) error {
	d, err := duration.Parse(s)
	if err != nil {
		return err
	}
	n := len(s)
	if d <= 0 || !isDigits(s[:n-1]) || !strings.Contains("hdw", s[n-1:]) {
		return fmt.Errorf("invalid rotation %s: use a positive whole number of hours, days or weeks, such as \"12h\", \"1d\" or \"1w\"", quote(s))
	}
	return nil
}

func (v *validator) policy(path string, p *escalation.Policy) {
	if p.Repeat < 0 {
		v.add(path+".repeat", "repeat %d is negative", p.Repeat)
	}
	if len(p.Steps) == 0 {
		v.missing(path + ".steps")
	}
	for i, s := range p.Steps {
		sp := index(path+".steps", i)
		if len(s.Targets) == 0 {
			v.missing(sp + ".targets")
		}
		for j, t := range s.Targets {
			v.target(index(sp+".targets", j), t)
		}
		if s.EscalateAfter <= 0 {
			v.add(sp+".escalate_after", "escalate_after is required and must be a positive duration such as \"10m\"")
		}
	}
}

func (v *validator) target(path string, t escalation.Target) {
	var named []string
	for _, f := range []struct{ name, value string }{{"user", t.User}, {"schedule", t.Schedule}, {"team", t.Team}} {
		if f.value != "" {
			named = append(named, f.name)
		}
	}
	switch len(named) {
	case 0:
		v.add(path, "a target names one of user, schedule or team")
	case 1:
		v.ref(path+".user", v.users, t.User)
		v.ref(path+".schedule", v.schedules, t.Schedule)
		v.ref(path+".team", v.teams, t.Team)
	default:
		v.add(path, "a target names exactly one of user, schedule or team, not %s", strings.Join(named, " and "))
	}
}

var (
	severities       = []string{"critical", "error", "warning", "info"}
	urgencies        = []string{"high", "low"}
	integrationTypes = []string{
		catalog.IntegrationPagerDuty, catalog.IntegrationAlertmanager, catalog.IntegrationGrafana,
		catalog.IntegrationGeneric, catalog.IntegrationHeartbeat,
	}
)

func (v *validator) serviceList(services []catalog.Service) {
	for i := range services {
		s := &services[i]
		p := index("services", i)
		if v.required(p+".owner", s.Owner) {
			v.ref(p+".owner", v.teams, s.Owner)
		}
		if c := s.Coverage; c != nil {
			v.enum(p+".coverage.mode", c.Mode, catalog.CoverageParallel, catalog.CoverageBackup, catalog.CoveragePrimary)
			switch {
			case c.Mode == catalog.CoverageBackup && c.After <= 0:
				v.add(p+".coverage.after", "backup coverage needs after, a positive duration such as \"5m\"")
			case c.Mode != catalog.CoverageBackup && c.After != 0:
				v.add(p+".coverage.after", "after applies only to backup coverage")
			}
		}
		deps := map[string]bool{}
		for j, d := range s.DependsOn {
			dp := index(p+".depends_on", j)
			if v.required(dp+".service", d.Service) {
				v.ref(dp+".service", v.services, d.Service)
				if deps[d.Service] {
					v.add(dp+".service", "service %s is listed twice in depends_on", quote(d.Service))
				}
				deps[d.Service] = true
			}
			v.enum(dp+".kind", d.Kind, catalog.Hard, catalog.Soft)
		}
		// A service with no policy (its own or its owner team's) is valid:
		// its alerts are recorded and its incidents say that nobody was
		// paged, which a half-built configuration needs to allow.
		if s.EscalationPolicy != "" {
			v.ref(p+".escalation_policy", v.policies, s.EscalationPolicy)
		}
		for j := range s.Integrations {
			ip := index(p+".integrations", j)
			v.enum(ip+".type", s.Integrations[j].Type, integrationTypes...)
			v.integration(ip, "service "+quote(s.ID), &s.Integrations[j])
		}
		for _, sev := range slices.Sorted(maps.Keys(s.Urgency)) {
			up := p + ".urgency." + sev
			if !slices.Contains(severities, sev) {
				v.add(up, "invalid severity %s: use %s%s", quote(sev), orList(severities), v.suggest.didYouMean(sev, severities))
			}
			if u := s.Urgency[sev]; !slices.Contains(urgencies, u) {
				v.add(up, "invalid urgency %s: use high or low", quote(u))
			}
		}
		v.optional(p+".runbook", s.Runbook, checkHTTPURL)
		v.freezes(p+".freezes", s.Freezes)
		v.serviceOperations(p, s)
	}
}

// serviceOperations checks the operations a service offers and its values
// of their parameters.
func (v *validator) serviceOperations(path string, s *catalog.Service) {
	if s.Operations != nil {
		v.refs(path+".operations", v.operations, *s.Operations)
	}
	for _, id := range slices.Sorted(maps.Keys(s.OperationParams)) {
		p := path + ".operation_params." + id
		i, known := v.operations.ids[id]
		switch {
		case !known:
			v.ref(p, v.operations, id)
		case !ops.Offers(s, id):
			v.add(p, "service %s does not offer operation %s (see its operations)", quote(s.ID), quote(id))
		default:
			for _, problem := range ops.CheckServiceParams(&v.b.Operations[i], s.OperationParams[id]) {
				v.add(join(p, problem.Path), "%s", problem.Message)
			}
		}
	}
}

// integration checks one integration of owner (a service, or the org).
func (v *validator) integration(path, owner string, in *catalog.Integration) {
	if v.required(path+".key", in.Key) {
		v.report(path+".key", checkIntegrationKey(in.Type, in.Key))
		if first, ok := v.integrationKeys[in.Key]; ok {
			v.add(path+".key", "integration key %s is already used by %s; keys are unique across all services", quote(in.Key), first)
		} else {
			v.integrationKeys[in.Key] = owner
		}
	}
	switch {
	case in.Type == catalog.IntegrationHeartbeat && in.Interval <= 0:
		v.add(path+".interval", "a heartbeat integration needs an interval, a positive duration such as \"10m\"")
	case in.Type != catalog.IntegrationHeartbeat && in.Interval != 0:
		v.add(path+".interval", "interval applies only to heartbeat integrations")
	}
	if in.DefaultSeverity != "" {
		v.enum(path+".default_severity", in.DefaultSeverity, severities...)
	}
	v.nonNegative(path+".auto_resolve", in.AutoResolve)
	if len(in.Mapping) > 0 && in.Type != catalog.IntegrationGeneric {
		v.add(path+".mapping", "mapping applies only to generic integrations")
	}
	for _, k := range slices.Sorted(maps.Keys(in.Mapping)) {
		v.report(path+".mapping."+k, checkJSONPointer(in.Mapping[k]))
	}
	if in.RateLimit < 0 || math.IsNaN(in.RateLimit) || math.IsInf(in.RateLimit, 0) {
		v.add(path+".rate_limit", "rate_limit must be a finite number of events per second, 0 or more")
	}
}

// orgIntegrationTypes are the integrations that may serve the whole org:
// those whose events carry labels for the rules (a heartbeat has none and
// belongs to one service).
var orgIntegrationTypes = []string{
	catalog.IntegrationPagerDuty, catalog.IntegrationAlertmanager, catalog.IntegrationGrafana, catalog.IntegrationGeneric,
}

// eventRouting checks org.integrations, org.event_rules and
// org.unrouted_service: rules that compile, fixed services that exist and
// fixed severities that are severities.
func (v *validator) eventRouting(o *catalog.Org) {
	for i := range o.Integrations {
		p := index("org.integrations", i)
		v.enum(p+".type", o.Integrations[i].Type, orgIntegrationTypes...)
		v.integration(p, "org.integrations", &o.Integrations[i])
	}
	_, problems := eventrules.Compile(o.EventRules)
	for _, problem := range problems {
		v.add("org.event_rules"+problem.Path, "%s", problem.Message)
	}
	for i, r := range o.EventRules {
		p := index("org.event_rules", i)
		if t, err := eventrules.ParseTemplate(r.Service); err == nil {
			if id, fixed := t.Fixed(); fixed {
				v.ref(p+".service", v.services, id)
			}
		}
		if t, err := eventrules.ParseTemplate(r.Severity); err == nil {
			if word, fixed := t.Fixed(); fixed && word != "" {
				v.enum(p+".severity", word, severities...)
			}
		}
	}
	if len(o.EventRules) > 0 && len(o.Integrations) == 0 {
		v.add("org.event_rules", "the rules route the events of org.integrations, and there are none")
	}
	v.ref("org.unrouted_service", v.services, o.UnroutedService)
	hooks := map[string]bool{}
	for i, h := range o.EventWebhooks {
		p := index("org.event_webhooks", i)
		if h.ID == "" || hooks[h.ID] {
			v.add(p+".id", "each event webhook needs an id of its own")
		}
		hooks[h.ID] = true
		v.report(p+".url", checkHTTPURL(h.URL))
		v.ref(p+".team", v.teams, h.Team)
		for j, e := range h.Events {
			if !slices.Contains(catalog.IncidentEvents, e) {
				v.add(index(p+".events", j), "unknown event %s: use %s", quote(e), orList(catalog.IncidentEvents))
			}
		}
	}
	if _, taken := v.services.ids[eventrules.UnroutedService]; taken && len(o.Integrations) > 0 && o.UnroutedService == "" {
		v.add(index("services", v.services.ids[eventrules.UnroutedService])+".id",
			"service id %s is where events no rule routes go when org.unrouted_service is not set; name this service org.unrouted_service, or choose another id",
			quote(eventrules.UnroutedService))
	}
}
