package pipeline

import (
	"net/url"
	"slices"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
)

// minSecret is the shortest value redacted: hiding every "1" of a message
// because a URL has ?page=1 would make it unreadable.
const minSecret = 4

// credentialsOf lists what grants access in a delivery to a contact method:
// the providers' secrets, the method's own HMAC secret, and the parts of its
// URLs that are credentials (a password, query values, and the whole path
// of a chat webhook, which is its key). A provider's answer or an error
// can echo any of them; none may reach the log or the timeline.
func credentialsOf(snap *org.Snapshot, cm *catalog.ContactMethod, getenv func(string) string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= minSecret {
			out = append(out, s)
		}
	}
	env := func(name string) {
		if name != "" {
			add(getenv(name))
		}
	}
	if p := snap.Bundle.Org.Providers; p.Twilio != nil {
		env(p.Twilio.AuthTokenEnv)
	}
	if p := snap.Bundle.Org.Providers; p.SMTP != nil {
		env(p.SMTP.PasswordEnv)
	}
	if p := snap.Bundle.Org.Providers; p.Ntfy != nil {
		env(p.Ntfy.TokenEnv)
	}
	if cm == nil {
		return out
	}
	env(cm.SecretEnv)
	for _, raw := range []string{cm.URL, cm.WebhookURL} {
		u, err := url.Parse(raw)
		if err != nil {
			add(raw) // unparsable: hide it whole
			continue
		}
		if pw, ok := u.User.Password(); ok {
			add(pw)
			add(url.QueryEscape(pw))
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
		if raw == cm.WebhookURL && len(u.Path) > 1 {
			add(raw)
			add(u.Path)
		}
	}
	return out
}

// redact replaces every secret in s, longest first so that a secret that
// contains another is hidden whole.
func redact(s string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range sorted {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// failureReason is what is recorded and logged of a failed attempt: the
// error, without the credentials of the contact method it went to.
func (d *Dispatcher) failureReason(snap *org.Snapshot, n notify.Notification, reason string) string {
	var cm *catalog.ContactMethod
	if u := snap.User(n.UserID); u != nil {
		cm = u.ContactMethod(n.ContactMethod)
	}
	return redact(reason, credentialsOf(snap, cm, d.getenv))
}

// logFailure logs a failed attempt at WARN: who was not reached, through
// what, about which incident, and why (reason is already redacted).
func (d *Dispatcher) logFailure(msg string, n notify.Notification, reason string, retry bool) {
	d.log.Warn(msg, "channel", n.MethodType, "contact_method", n.ContactMethod, "user", n.UserID,
		"incident", n.IncidentID, "notification", n.ID, "kind", n.Kind, "attempt", n.Attempts, "retry", retry, "reason", reason)
}
