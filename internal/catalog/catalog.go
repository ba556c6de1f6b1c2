// Package catalog holds the organisation Vigil serves: people, teams and the
// services they own, with the dependency graph between services from which
// criticality is derived. It is pure: no I/O, no HTTP, no SQL.
package catalog

import (
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// Team kinds.
const (
	KindDev       = "dev"
	KindIRT       = "irt"
	KindGlobalIRT = "global-irt"
)

// Dependency kinds.
const (
	Hard = "hard"
	Soft = "soft"
)

// Coverage modes: how the covering IRT is engaged on a critical service.
const (
	CoverageParallel = "parallel"
	CoverageBackup   = "backup"
	CoveragePrimary  = "primary"
)

// Contact method types.
const (
	MethodEmail      = "email"
	MethodSMS        = "sms"
	MethodVoice      = "voice"
	MethodWebhook    = "webhook"
	MethodSlack      = "slack"
	MethodTeams      = "teams"
	MethodMattermost = "mattermost"
	MethodNtfy       = "ntfy"
)

// Integration types: how monitoring reaches a service.
const (
	IntegrationPagerDuty    = "pagerduty"
	IntegrationAlertmanager = "alertmanager"
	IntegrationGrafana      = "grafana"
	IntegrationGeneric      = "generic"
	IntegrationHeartbeat    = "heartbeat"
)

// User is a person who can be paged.
type User struct {
	ID                string             `json:"id" yaml:"id"`
	Name              string             `json:"name,omitempty" yaml:"name,omitempty"`
	Email             string             `json:"email,omitempty" yaml:"email,omitempty"`
	TimeZone          string             `json:"time_zone" yaml:"time_zone"`
	Role              string             `json:"role,omitempty" yaml:"role,omitempty"` // "admin" or empty
	ContactMethods    []ContactMethod    `json:"contact_methods,omitempty" yaml:"contact_methods,omitempty"`
	NotificationRules []NotificationRule `json:"notification_rules,omitempty" yaml:"notification_rules,omitempty"`
	// ActionNotices false opts out of the short notices sent when someone
	// else acknowledges, resolves, reassigns or escalates past an incident
	// the user was paged for; unset means on.
	ActionNotices *bool `json:"action_notices,omitempty" yaml:"action_notices,omitempty"`
}

// WantsActionNotices reports whether the user is told when others act on
// incidents they were paged for.
func (u *User) WantsActionNotices() bool {
	return u.ActionNotices == nil || *u.ActionNotices
}

// ContactMethod returns the user's contact method with this id, or nil.
func (u *User) ContactMethod(id string) *ContactMethod {
	for i := range u.ContactMethods {
		if u.ContactMethods[i].ID == id {
			return &u.ContactMethods[i]
		}
	}
	return nil
}

// ContactMethod is one way to reach a user. Which address field applies
// depends on Type.
type ContactMethod struct {
	ID         string `json:"id" yaml:"id"`
	Type       string `json:"type" yaml:"type"`
	URL        string `json:"url,omitempty" yaml:"url,omitempty"`                 // webhook; ntfy server when not the org default
	Address    string `json:"address,omitempty" yaml:"address,omitempty"`         // email
	Number     string `json:"number,omitempty" yaml:"number,omitempty"`           // sms, voice
	WebhookURL string `json:"webhook_url,omitempty" yaml:"webhook_url,omitempty"` // slack, teams, mattermost
	Topic      string `json:"topic,omitempty" yaml:"topic,omitempty"`             // ntfy
	SecretEnv  string `json:"secret_env,omitempty" yaml:"secret_env,omitempty"`   // webhook HMAC secret
	// Verify makes an sms or voice number declared in configuration wait
	// for its owner to confirm a code before it is paged; numbers added
	// through the API always wait.
	Verify bool `json:"verify,omitempty" yaml:"verify,omitempty"`
}

// NotificationRule says: when paged, use this contact method after Delay,
// until acknowledged.
type NotificationRule struct {
	ContactMethod string            `json:"contact_method" yaml:"contact_method"`
	Delay         duration.Duration `json:"delay" yaml:"delay"`
}

// Team owns services and holds an on-call schedule.
type Team struct {
	ID               string   `json:"id" yaml:"id"`
	Name             string   `json:"name,omitempty" yaml:"name,omitempty"`
	Kind             string   `json:"kind" yaml:"kind"`
	TimeZone         string   `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	Country          string   `json:"country,omitempty" yaml:"country,omitempty"`
	Members          []string `json:"members" yaml:"members"`
	Schedule         string   `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	EscalationPolicy string   `json:"escalation_policy,omitempty" yaml:"escalation_policy,omitempty"`
	Covers           []string `json:"covers,omitempty" yaml:"covers,omitempty"` // irt only
	Freezes          []Freeze `json:"freezes,omitempty" yaml:"freezes,omitempty"`
}

// Service is something a team runs and gets paged for.
type Service struct {
	ID               string            `json:"id" yaml:"id"`
	Name             string            `json:"name,omitempty" yaml:"name,omitempty"`
	Owner            string            `json:"owner" yaml:"owner"`
	RevenueCritical  bool              `json:"revenue_critical" yaml:"revenue_critical"`
	Coverage         *Coverage         `json:"coverage,omitempty" yaml:"coverage,omitempty"`
	DependsOn        []Dependency      `json:"depends_on,omitempty" yaml:"depends_on,omitempty"`
	EscalationPolicy string            `json:"escalation_policy,omitempty" yaml:"escalation_policy,omitempty"`
	Integrations     []Integration     `json:"integrations,omitempty" yaml:"integrations,omitempty"`
	Urgency          map[string]string `json:"urgency,omitempty" yaml:"urgency,omitempty"`
	Runbook          string            `json:"runbook,omitempty" yaml:"runbook,omitempty"`
	Freezes          []Freeze          `json:"freezes,omitempty" yaml:"freezes,omitempty"`
	// Grouping puts a service's alerts that share a key, within a window,
	// into one incident; without it every alert opens its own.
	Grouping *Grouping `json:"grouping,omitempty" yaml:"grouping,omitempty"`
	// Operations lists the org-wide operations this service offers: nil
	// offers every one, an empty list none.
	Operations *[]string `json:"operations,omitempty" yaml:"operations,omitempty"`
	// OperationParams are this service's values of operations' parameters,
	// by operation, then parameter name.
	OperationParams map[string]map[string]string `json:"operation_params,omitempty" yaml:"operation_params,omitempty"`
}

// Grouping values of By.
const (
	GroupByGroupKey  = "group_key" // the sender's notification group (Alertmanager, Grafana), else the alert's group
	GroupByComponent = "component"
	GroupByGroup     = "group"
	GroupByClass     = "class"
	GroupBySource    = "source"
	GroupBySummary   = "summary"
)

// Grouping says how a service's alerts join incidents.
type Grouping struct {
	By     string            `json:"by" yaml:"by"`
	Window duration.Duration `json:"window" yaml:"window"`
}

// Coverage says how the covering IRT is engaged for this service.
type Coverage struct {
	Mode  string            `json:"mode" yaml:"mode"`
	After duration.Duration `json:"after,omitempty" yaml:"after,omitempty"` // backup mode
}

// Dependency is an edge from a service to one it needs.
type Dependency struct {
	Service string `json:"service" yaml:"service"`
	Kind    string `json:"kind" yaml:"kind"`
}

// Integration is a way for monitoring to send events to a service.
type Integration struct {
	Type string `json:"type" yaml:"type"`
	Key  string `json:"key" yaml:"key"`
	// Interval is the heartbeat period: no beat within it opens an alert.
	Interval duration.Duration `json:"interval,omitempty" yaml:"interval,omitempty"`
	// DefaultSeverity applies when an event carries no usable severity.
	DefaultSeverity string `json:"default_severity,omitempty" yaml:"default_severity,omitempty"`
	// AutoResolve resolves an alert that has been quiet this long (senders
	// such as Alertmanager never resolve silenced alerts).
	AutoResolve duration.Duration `json:"auto_resolve,omitempty" yaml:"auto_resolve,omitempty"`
	// Mapping maps Vigil's generic fields to JSON pointers in a foreign
	// payload (generic integration only).
	Mapping map[string]string `json:"mapping,omitempty" yaml:"mapping,omitempty"`
	// RateLimit is the events per second this key may send; 0 is the default.
	RateLimit float64 `json:"rate_limit,omitempty" yaml:"rate_limit,omitempty"`
}

// Freeze is a window in which releases are denied: one-off (From, To) or
// recurring (Every, such as "fri 16:00-23:59", in TimeZone; "owner" means
// the owner team's zone).
type Freeze struct {
	ID       string     `json:"id" yaml:"id"`
	From     *time.Time `json:"from,omitempty" yaml:"from,omitempty"`
	To       *time.Time `json:"to,omitempty" yaml:"to,omitempty"`
	Every    string     `json:"every,omitempty" yaml:"every,omitempty"`
	TimeZone string     `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	Reason   string     `json:"reason,omitempty" yaml:"reason,omitempty"`
}

// Org holds organisation-wide settings.
type Org struct {
	Providers         Providers         `json:"providers,omitempty" yaml:"providers,omitempty"`
	NightHours        *HourRange        `json:"night_hours,omitempty" yaml:"night_hours,omitempty"`
	BusinessHours     *BusinessHours    `json:"business_hours,omitempty" yaml:"business_hours,omitempty"`
	CorrelationWindow duration.Duration `json:"correlation_window,omitempty" yaml:"correlation_window,omitempty"`
	Freezes           []Freeze          `json:"freezes,omitempty" yaml:"freezes,omitempty"`
	// NotificationLimits is the least time between two messages to one
	// person through one contact method type (sms: 1m, voice: 3m, ...);
	// what comes sooner is batched into the next message.
	NotificationLimits map[string]duration.Duration `json:"notification_limits,omitempty" yaml:"notification_limits,omitempty"`
	// CorrelationHubShare is the share of all services (0 to 1) that must
	// depend on a service for it to be a hub: sharing a hub is never by
	// itself a reason to join alerts. 0 means correlate.DefaultHubShare.
	CorrelationHubShare float64 `json:"correlation_hub_share,omitempty" yaml:"correlation_hub_share,omitempty"`
	// Costs prices on-call for the cost report.
	Costs *Costs `json:"costs,omitempty" yaml:"costs,omitempty"`
	// Postmortems says which incidents need a post-mortem, and by when.
	Postmortems *PostmortemPolicy `json:"postmortems,omitempty" yaml:"postmortems,omitempty"`

	// Integrations are organisation-wide integration keys (one receiver
	// for everything), whose events EventRules route to services.
	Integrations []Integration `json:"integrations,omitempty" yaml:"integrations,omitempty"`
	// EventRules route the events of Integrations: in order, the first
	// match wins.
	EventRules []EventRule `json:"event_rules,omitempty" yaml:"event_rules,omitempty"`
	// UnroutedService takes the events no rule matches. Without one they
	// are kept in the unrouted list and page the global IRT.
	UnroutedService string `json:"unrouted_service,omitempty" yaml:"unrouted_service,omitempty"`
	// EventWebhooks receive what happens to incidents, for chat-ops and
	// ticket sync.
	EventWebhooks []EventWebhook `json:"event_webhooks,omitempty" yaml:"event_webhooks,omitempty"`
	// Auth says how people sign in to the web UI besides API tokens.
	Auth *Auth `json:"auth,omitempty" yaml:"auth,omitempty"`
}

// Auth holds the ways people sign in.
type Auth struct {
	// OIDC is single sign-on through an OpenID Connect provider.
	OIDC *OIDC `json:"oidc,omitempty" yaml:"oidc,omitempty"`
}

// OIDC configures single sign-on with an OpenID Connect provider, through
// the authorisation-code flow with PKCE.
type OIDC struct {
	// Name is what the sign-in button says: "Sign in with <Name>";
	// default the issuer's host.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Issuer is the provider's issuer URL, where its discovery document
	// is found (https, or http on a loopback address).
	Issuer   string `json:"issuer" yaml:"issuer"`
	ClientID string `json:"client_id" yaml:"client_id"`
	// ClientSecretEnv names the environment variable that holds the
	// client secret.
	ClientSecretEnv string `json:"client_secret_env" yaml:"client_secret_env"`
	// RedirectURL is where the provider sends people back: the server's
	// /auth/oidc/callback; default derived from the server's public URL.
	RedirectURL string `json:"redirect_url,omitempty" yaml:"redirect_url,omitempty"`
	// Scopes asked for; default openid, email and profile (openid is
	// always asked for).
	Scopes []string `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	// UserClaim names the claim whose value is a Vigil user's id or email
	// address; default email.
	UserClaim string `json:"user_claim,omitempty" yaml:"user_claim,omitempty"`
	// CreateUsers creates a user at the first sign-in of someone the
	// claim names no user for; otherwise they are refused.
	CreateUsers bool `json:"create_users,omitempty" yaml:"create_users,omitempty"`
	// TimeZone is the zone of the users created when the provider gives
	// no valid zoneinfo claim; default UTC.
	TimeZone string `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	// GroupsClaim names the claim listing the person's groups, read when
	// GroupTeams maps groups to teams.
	GroupsClaim string `json:"groups_claim,omitempty" yaml:"groups_claim,omitempty"`
	// GroupTeams maps a group of GroupsClaim to a team: at each sign-in
	// the person becomes a member of the mapped teams of their groups
	// and stops being one of the mapped teams of the groups they left.
	GroupTeams map[string]string `json:"group_teams,omitempty" yaml:"group_teams,omitempty"`
	// PasswordLogin false turns password sign-in off: people sign in
	// through the provider (API tokens still work); default true.
	PasswordLogin *bool `json:"password_login,omitempty" yaml:"password_login,omitempty"`
}

// DefaultOIDCUserClaim is the claim that names the user when
// OIDC.UserClaim is unset.
const DefaultOIDCUserClaim = "email"

// DefaultOIDCScopes are the scopes asked for when OIDC.Scopes is unset.
var DefaultOIDCScopes = []string{"openid", "email", "profile"}

// OIDC returns the organisation's single sign-on settings, or nil.
func (o *Org) OIDC() *OIDC {
	if o.Auth == nil {
		return nil
	}
	return o.Auth.OIDC
}

// PasswordLoginAllowed reports whether people may sign in with a
// password: unless single sign-on is configured with password_login false.
func (o *Org) PasswordLoginAllowed() bool {
	c := o.OIDC()
	return c == nil || c.PasswordLogin == nil || *c.PasswordLogin
}

// Incident events an event webhook receives.
const (
	EventTriggered    = "incident.triggered"
	EventAcknowledged = "incident.acknowledged"
	EventResolved     = "incident.resolved"
	EventEscalated    = "incident.escalated"
	EventMajor        = "incident.major"
	EventNote         = "incident.note"
)

// IncidentEvents lists every event an event webhook can receive.
var IncidentEvents = []string{EventTriggered, EventAcknowledged, EventResolved, EventEscalated, EventMajor, EventNote}

// EventWebhook is an outbound webhook of incident events: of the whole
// organisation, or of one team's incidents (those on services it owns).
// Events narrows what it receives (empty: every event). It is signed as
// the webhook contact method is when SecretEnv names a secret.
type EventWebhook struct {
	ID        string   `json:"id" yaml:"id"`
	URL       string   `json:"url" yaml:"url"`
	SecretEnv string   `json:"secret_env,omitempty" yaml:"secret_env,omitempty"`
	Team      string   `json:"team,omitempty" yaml:"team,omitempty"`
	Events    []string `json:"events,omitempty" yaml:"events,omitempty"`
}

// Wants reports whether the hook receives event about an incident on a
// service owned by owner.
func (h *EventWebhook) Wants(event, owner string) bool {
	if h.Team != "" && h.Team != owner {
		return false
	}
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == event {
			return true
		}
	}
	return false
}

// EventRule routes the events of an organisation-wide integration that it
// matches: to Service (a service id, or a template such as
// "{{labels.service}}"), with Severity rewritten when set; or, with
// Suppress, nowhere (the event is kept and counted, and never pages).
type EventRule struct {
	Match    EventMatch `json:"match" yaml:"match"`
	Service  string     `json:"service,omitempty" yaml:"service,omitempty"`
	Severity string     `json:"severity,omitempty" yaml:"severity,omitempty"`
	Suppress bool       `json:"suppress,omitempty" yaml:"suppress,omitempty"`
}

// EventMatch is what an event's labels must hold for a rule to match:
// Labels exact values ("*": present), LabelsRe regular expressions.
type EventMatch struct {
	Labels   map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	LabelsRe map[string]string `json:"labels_re,omitempty" yaml:"labels_re,omitempty"`
}

// PostmortemPolicy says which incidents need a post-mortem and by when.
type PostmortemPolicy struct {
	// RequiredFor lists the conditions, any of which calls for one:
	// SEV1..SEV4, major, budget>20% (more than that share of one SLO's
	// error budget consumed), or none alone. Empty: SEV1, SEV2, major,
	// budget>20%.
	RequiredFor []string `json:"required_for,omitempty" yaml:"required_for,omitempty"`
	// DueBusinessDays is how many business days of the owner team's
	// country after resolution one is due; 0 means 5.
	DueBusinessDays int `json:"due_business_days,omitempty" yaml:"due_business_days,omitempty"`
}

// Costs are the rates the cost report prices on-call with. A multiplier
// left out (or 0) is 1.
type Costs struct {
	Currency string `json:"currency,omitempty" yaml:"currency,omitempty"`
	// StandbyPerHour is paid for each hour a person is on call on a
	// schedule that pages.
	StandbyPerHour float64 `json:"standby_per_hour,omitempty" yaml:"standby_per_hour,omitempty"`
	// PerInterruption is paid for each incident that pages a person.
	PerInterruption    float64 `json:"per_interruption,omitempty" yaml:"per_interruption,omitempty"`
	OffHoursMultiplier float64 `json:"off_hours_multiplier,omitempty" yaml:"off_hours_multiplier,omitempty"`
	SleepMultiplier    float64 `json:"sleep_multiplier,omitempty" yaml:"sleep_multiplier,omitempty"`
	// HolidayMultiplier applies to standby and interruptions on a public
	// holiday of the person's team's country.
	HolidayMultiplier float64 `json:"holiday_multiplier,omitempty" yaml:"holiday_multiplier,omitempty"`
	// ResponsePerHour prices incident response time by role: commander,
	// responder, comms, scribe.
	ResponsePerHour map[string]float64 `json:"response_per_hour,omitempty" yaml:"response_per_hour,omitempty"`
}

// Response roles priced by Costs.ResponsePerHour: the incident roles and
// "responder", anyone engaged without one.
var ResponseRoles = []string{"commander", "responder", "comms", "scribe"}

// HourRange is a daily span of local times, "HH:MM"; it may wrap midnight.
type HourRange struct {
	Start string `json:"start" yaml:"start"`
	End   string `json:"end" yaml:"end"`
}

// BusinessHours is a daily span on the given weekdays (mon..sun).
type BusinessHours struct {
	Start string   `json:"start" yaml:"start"`
	End   string   `json:"end" yaml:"end"`
	Days  []string `json:"days,omitempty" yaml:"days,omitempty"`
}

// Providers configures the outside services Vigil sends through. Secrets are
// never stored here: only the names of the environment variables holding them.
type Providers struct {
	SMTP   *SMTPProvider   `json:"smtp,omitempty" yaml:"smtp,omitempty"`
	Twilio *TwilioProvider `json:"twilio,omitempty" yaml:"twilio,omitempty"`
	Ntfy   *NtfyProvider   `json:"ntfy,omitempty" yaml:"ntfy,omitempty"`
	Slack  *SlackProvider  `json:"slack,omitempty" yaml:"slack,omitempty"`
}

// SMTPProvider is the mail server notifications go through.
type SMTPProvider struct {
	Host        string `json:"host" yaml:"host"`
	Port        int    `json:"port" yaml:"port"`
	From        string `json:"from" yaml:"from"`
	Username    string `json:"username,omitempty" yaml:"username,omitempty"`
	PasswordEnv string `json:"password_env,omitempty" yaml:"password_env,omitempty"`
	StartTLS    bool   `json:"starttls,omitempty" yaml:"starttls,omitempty"`
	// TLS speaks TLS from the first byte (SMTPS, usually port 465), for
	// servers that offer no STARTTLS.
	TLS bool `json:"tls,omitempty" yaml:"tls,omitempty"`
}

// TwilioProvider is a Twilio-compatible SMS and voice API.
type TwilioProvider struct {
	AccountSID   string `json:"account_sid" yaml:"account_sid"`
	AuthTokenEnv string `json:"auth_token_env,omitempty" yaml:"auth_token_env,omitempty"`
	From         string `json:"from" yaml:"from"`
	BaseURL      string `json:"base_url,omitempty" yaml:"base_url,omitempty"`
}

// NtfyProvider is the default ntfy server for push notifications.
type NtfyProvider struct {
	URL      string `json:"url" yaml:"url"`
	TokenEnv string `json:"token_env,omitempty" yaml:"token_env,omitempty"`
}

// SlackProvider is the Slack app whose interactive buttons call back to
// Vigil. SigningSecretEnv names the app's signing secret; BotTokenEnv, when
// set, names a bot token with users:read.email, used to match the Slack user
// who pressed a button to a Vigil user by email. APIURL defaults to
// https://slack.com/api.
type SlackProvider struct {
	SigningSecretEnv string `json:"signing_secret_env" yaml:"signing_secret_env"`
	BotTokenEnv      string `json:"bot_token_env,omitempty" yaml:"bot_token_env,omitempty"`
	APIURL           string `json:"api_url,omitempty" yaml:"api_url,omitempty"`
}
