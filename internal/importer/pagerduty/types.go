package pagerduty

// The REST API v2 objects the importer reads, with the fields it uses.
// List responses wrap a page of them as {"users": [...], "limit": 25,
// "offset": 0, "more": false}; detail responses as {"schedule": {...}}.

// ref is a reference to another object: {"id", "type", "summary"}.
type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

type user struct {
	ID                string             `json:"id"`
	Name              string             `json:"name"`
	Email             string             `json:"email"`
	TimeZone          string             `json:"time_zone"`
	Role              string             `json:"role"`
	ContactMethods    []contactMethod    `json:"contact_methods"`
	NotificationRules []notificationRule `json:"notification_rules"`
	Teams             []ref              `json:"teams"`
}

type contactMethod struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Summary     string `json:"summary"`
	Label       string `json:"label"`
	Address     string `json:"address"`
	CountryCode int    `json:"country_code"`
	Blacklisted bool   `json:"blacklisted"`
	Enabled     *bool  `json:"enabled"`
}

type notificationRule struct {
	ID                  string        `json:"id"`
	StartDelayInMinutes int           `json:"start_delay_in_minutes"`
	Urgency             string        `json:"urgency"`
	ContactMethod       contactMethod `json:"contact_method"`
}

type team struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Parent      *ref   `json:"parent"`
}

type member struct {
	User ref    `json:"user"`
	Role string `json:"role"`
}

type schedule struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Summary        string  `json:"summary"`
	TimeZone       string  `json:"time_zone"`
	Description    string  `json:"description"`
	Teams          []ref   `json:"teams"`
	ScheduleLayers []layer `json:"schedule_layers"`
}

type layer struct {
	ID                        string        `json:"id"`
	Name                      string        `json:"name"`
	Start                     string        `json:"start"`
	End                       *string       `json:"end"`
	RotationVirtualStart      string        `json:"rotation_virtual_start"`
	RotationTurnLengthSeconds int64         `json:"rotation_turn_length_seconds"`
	Users                     []layerUser   `json:"users"`
	Restrictions              []restriction `json:"restrictions"`
}

type layerUser struct {
	User ref `json:"user"`
}

type restriction struct {
	Type            string `json:"type"`
	StartTimeOfDay  string `json:"start_time_of_day"`
	DurationSeconds int64  `json:"duration_seconds"`
	StartDayOfWeek  int    `json:"start_day_of_week"`
}

type override struct {
	ID    string `json:"id"`
	Start string `json:"start"`
	End   string `json:"end"`
	User  ref    `json:"user"`
}

type escalationPolicy struct {
	ID                         string           `json:"id"`
	Name                       string           `json:"name"`
	Summary                    string           `json:"summary"`
	NumLoops                   int              `json:"num_loops"`
	OnCallHandoffNotifications string           `json:"on_call_handoff_notifications"`
	EscalationRules            []escalationRule `json:"escalation_rules"`
	Teams                      []ref            `json:"teams"`
}

type escalationRule struct {
	ID                               string `json:"id"`
	EscalationDelayInMinutes         int    `json:"escalation_delay_in_minutes"`
	Targets                          []ref  `json:"targets"`
	EscalationRuleAssignmentStrategy *struct {
		Type string `json:"type"`
	} `json:"escalation_rule_assignment_strategy"`
}

type service struct {
	ID                      string        `json:"id"`
	Name                    string        `json:"name"`
	Summary                 string        `json:"summary"`
	Description             string        `json:"description"`
	Status                  string        `json:"status"`
	EscalationPolicy        *ref          `json:"escalation_policy"`
	Teams                   []ref         `json:"teams"`
	Integrations            []integration `json:"integrations"`
	IncidentUrgencyRule     *urgencyRule  `json:"incident_urgency_rule"`
	SupportHours            *struct{}     `json:"support_hours"`
	ScheduledActions        []struct{}    `json:"scheduled_actions"`
	AutoResolveTimeout      *int64        `json:"auto_resolve_timeout"`
	AcknowledgementTimeout  *int64        `json:"acknowledgement_timeout"`
	AlertGroupingParameters *struct {
		Type string `json:"type"`
	} `json:"alert_grouping_parameters"`
	Addons       []ref `json:"addons"`
	ResponsePlay *ref  `json:"response_play"`
}

type integration struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Name             string `json:"name"`
	Summary          string `json:"summary"`
	IntegrationKey   string `json:"integration_key"`
	IntegrationEmail string `json:"integration_email"`
	Vendor           *ref   `json:"vendor"`
}

type urgencyRule struct {
	Type                string       `json:"type"`
	Urgency             string       `json:"urgency"`
	DuringSupportHours  *urgencyRule `json:"during_support_hours"`
	OutsideSupportHours *urgencyRule `json:"outside_support_hours"`
}
