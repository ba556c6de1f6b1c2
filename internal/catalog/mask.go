package catalog

import (
	"net/url"
	"strings"
)

// Masked returns the contact method as people other than its owner and
// admins see it: its id, type and settings, with each address that reaches
// the owner (a phone number, an email address, a webhook URL — for chat
// tools a credential — and an ntfy topic) masked. What is kept tells the
// methods apart without letting anyone use one: a number's last two
// digits, an email address's first letter and domain, a URL's scheme and
// host.
func (c ContactMethod) Masked() ContactMethod {
	c.Number = maskNumber(c.Number)
	c.Address = maskEmail(c.Address)
	c.URL = maskURL(c.URL)
	c.WebhookURL = maskURL(c.WebhookURL)
	c.Topic = maskAll(c.Topic)
	return c
}

// MaskedContacts returns the user with every contact method masked.
func (u User) MaskedContacts() User {
	if len(u.ContactMethods) == 0 {
		return u
	}
	methods := make([]ContactMethod, len(u.ContactMethods))
	for i, c := range u.ContactMethods {
		methods[i] = c.Masked()
	}
	u.ContactMethods = methods
	return u
}

const mask = "***"

func maskAll(s string) string {
	if s == "" {
		return ""
	}
	return mask
}

// maskNumber keeps a leading + and the last two digits of a number long
// enough to keep them.
func maskNumber(n string) string {
	if len(n) < 6 {
		return maskAll(n)
	}
	prefix := ""
	if n[0] == '+' {
		prefix = "+"
	}
	return prefix + mask + n[len(n)-2:]
}

// maskEmail keeps the first character of the local part and the domain.
func maskEmail(a string) string {
	local, domain, ok := strings.Cut(a, "@")
	if !ok || local == "" || domain == "" {
		return maskAll(a)
	}
	return local[:1] + mask + "@" + domain
}

// maskURL keeps the scheme and host: user info, path and query are where
// webhook URLs keep their secrets.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return maskAll(raw)
	}
	return u.Scheme + "://" + u.Host + "/" + mask
}
