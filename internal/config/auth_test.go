package config

import (
	"slices"
	"strings"
	"testing"
)

// TestSingleSignOnSettings decodes org.auth.oidc: every key read, the
// defaults left to the server, and hostile values refused with the field
// that holds them.
func TestSingleSignOnSettings(t *testing.T) {
	loaded := LoadBytes("t.yaml", []byte(`
org:
  auth:
    oidc:
      name: Example SSO
      issuer: https://id.example.com/realms/ops
      client_id: vigil
      client_secret_env: VIGIL_OIDC_SECRET
      redirect_url: https://vigil.example.com/auth/oidc/callback
      scopes: [openid, email, profile, groups]
      user_claim: preferred_username
      create_users: true
      time_zone: Europe/Berlin
      groups_claim: groups
      group_teams: {payments-engineers: payments, "SRE Berlin": payments}
      password_login: false
users:
  - {id: alice, time_zone: UTC}
teams:
  - {id: payments, kind: dev, members: [alice]}
  - {id: irt, kind: global-irt, members: [alice]}
`))
	if len(loaded.Problems) != 0 {
		t.Fatalf("problems: %v", loaded.Problems)
	}
	o := loaded.Bundle.Org
	c := o.OIDC()
	if c == nil || c.Name != "Example SSO" || c.Issuer != "https://id.example.com/realms/ops" || c.ClientID != "vigil" ||
		c.ClientSecretEnv != "VIGIL_OIDC_SECRET" || c.RedirectURL != "https://vigil.example.com/auth/oidc/callback" ||
		!slices.Equal(c.Scopes, []string{"openid", "email", "profile", "groups"}) || c.UserClaim != "preferred_username" ||
		!c.CreateUsers || c.TimeZone != "Europe/Berlin" || c.GroupsClaim != "groups" ||
		len(c.GroupTeams) != 2 || c.GroupTeams["SRE Berlin"] != "payments" {
		t.Fatalf("decoded %+v", c)
	}
	if o.PasswordLoginAllowed() {
		t.Error("password_login: false still allows password sign-in")
	}

	// Left out, the optional keys are the server's defaults.
	loaded = LoadBytes("t.yaml", []byte(`
org:
  auth:
    oidc: {issuer: "http://127.0.0.1:9998/", client_id: vigil, client_secret_env: VIGIL_OIDC_SECRET}
`))
	if len(loaded.Problems) != 0 {
		t.Fatalf("problems: %v", loaded.Problems)
	}
	o = loaded.Bundle.Org
	if c := o.OIDC(); c.UserClaim != "" || c.CreateUsers || c.PasswordLogin != nil || !o.PasswordLoginAllowed() {
		t.Errorf("defaults decoded as %+v, password login allowed %v", c, o.PasswordLoginAllowed())
	}
	var none Bundle
	if none.Org.OIDC() != nil || !none.Org.PasswordLoginAllowed() {
		t.Error("no org.auth: want no single sign-on and password sign-in allowed")
	}

	const head = "org:\n  auth:\n    oidc:\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"required keys", head + "      name: SSO\n", []string{
			`t.yaml:4:7: org.auth.oidc.issuer: missing required field "issuer"`,
			`t.yaml:4:7: org.auth.oidc.client_id: missing required field "client_id"`,
			`t.yaml:4:7: org.auth.oidc.client_secret_env: missing required field "client_secret_env"`,
		}},
		{"plain http to a remote issuer", head + "      {issuer: \"http://id.example.com\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "http://id.example.com": use https (plain http only for a loopback address such as 127.0.0.1)`,
		}},
		{"plain http to a private address", head + "      {issuer: \"http://10.0.0.7:8080\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "http://10.0.0.7:8080": use https (plain http only for a loopback address such as 127.0.0.1)`,
		}},
		{"a loopback look-alike", head + "      {issuer: \"http://localhost.evil.example\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "http://localhost.evil.example": use https (plain http only for a loopback address such as 127.0.0.1)`,
		}},
		{"loopback hosts over http", head + "      {issuer: \"http://[::1]:5556/dex\", client_id: v, client_secret_env: S, redirect_url: \"http://localhost:8080/auth/oidc/callback\"}\n", nil},
		{"another scheme", head + "      {issuer: \"javascript:alert(1)\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "javascript:alert(1)": use an absolute https URL`,
		}},
		{"credentials and a query", head + "      {issuer: \"https://u:p@id.example.com/?x=1\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "https://u:p@id.example.com/?x=1": an issuer has no credentials, query or fragment`,
		}},
		{"a space in the issuer", head + "      {issuer: \"https://id.example.com/ x\", client_id: v, client_secret_env: S}\n", []string{
			`t.yaml:4:16: org.auth.oidc.issuer: invalid issuer "https://id.example.com/ x": use an absolute https URL`,
		}},
		{"the secret itself rather than its variable", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: \"s3cr3t-value!\"}\n", []string{
			`t.yaml:4:75: org.auth.oidc.client_secret_env: invalid environment variable name "s3cr3t-value!": use letters, digits and '_', at most 256 characters`,
		}},
		{"a client id over lines", head + "      {issuer: \"https://id.example.com\", client_id: \"vigil\\nX-Injected: 1\", client_secret_env: S}\n", []string{
			`t.yaml:4:53: org.auth.oidc.client_id: invalid value "vigil\nX-Injected: 1": use one line of printable text, at most 256 bytes, without leading or trailing spaces`,
		}},
		{"a redirect elsewhere", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, redirect_url: \"https://evil.example.com/steal\"}\n", []string{
			`t.yaml:4:92: org.auth.oidc.redirect_url: invalid redirect_url "https://evil.example.com/steal": the server answers the provider at /auth/oidc/callback`,
		}},
		{"a redirect over plain http", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, redirect_url: \"http://vigil.example.com/auth/oidc/callback\"}\n", []string{
			`t.yaml:4:92: org.auth.oidc.redirect_url: invalid redirect_url "http://vigil.example.com/auth/oidc/callback": use https (plain http only for a loopback address such as 127.0.0.1)`,
		}},
		{"a redirect behind a path prefix", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, redirect_url: \"https://ops.example.com/vigil/auth/oidc/callback\"}\n", nil},
		{"scopes and claims with spaces and quotes", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, scopes: [openid, \"a b\", \"\"], user_claim: 'e\"mail', groups_claim: \"\\x00\"}\n", []string{
			`t.yaml:4:95: org.auth.oidc.scopes[1]: invalid scope "a b": use printable ASCII without spaces, quotes or backslashes, at most 128 characters`,
			`t.yaml:4:102: org.auth.oidc.scopes[2]: invalid scope "": use printable ASCII without spaces, quotes or backslashes, at most 128 characters`,
			`t.yaml:4:119: org.auth.oidc.user_claim: invalid claim "e\"mail": use printable ASCII without spaces, quotes or backslashes, at most 128 characters`,
			`t.yaml:4:143: org.auth.oidc.groups_claim: invalid claim "\x00": use printable ASCII without spaces, quotes or backslashes, at most 128 characters`,
		}},
		{"an unknown zone for created users", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, time_zone: Europe/Berlim}\n", []string{
			`t.yaml:4:89: org.auth.oidc.time_zone: invalid time zone "Europe/Berlim" (did you mean "Europe/Berlin"?)`,
		}},
		{"groups mapped without their claim, to a missing team", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, group_teams: {ops: nope, \" pad\": \"\"}}\n", []string{
			`t.yaml:4:91: org.auth.oidc.group_teams: group_teams needs groups_claim, the claim that lists a person's groups`,
			`t.yaml:4:92: org.auth.oidc.group_teams.ops: unknown team "nope"`,
			`t.yaml:4:103: org.auth.oidc.group_teams. pad: invalid value " pad": use one line of printable text, at most 256 bytes, without leading or trailing spaces`,
			`t.yaml:4:103: org.auth.oidc.group_teams. pad: group " pad" maps to no team`,
		}},
		{"password_login is a boolean", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, password_login: nope}\n", []string{
			`t.yaml:4:94: org.auth.oidc.password_login: expected true or false, got "nope"`,
		}},
		{"an unknown key", head + "      {issuer: \"https://id.example.com\", client_id: v, client_secret_env: S, client_secret: hunter2}\n", []string{
			`t.yaml:4:78: org.auth.oidc.client_secret: unknown field "client_secret"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(tt.yaml, false)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
