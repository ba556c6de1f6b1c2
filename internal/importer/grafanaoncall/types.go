package grafanaoncall

// The public API (/api/v1/...) objects the importer reads, with the fields
// it uses. Lists wrap a page as {"count": 2, "next": URL or null,
// "previous": ..., "results": [...], "current_page_number": 1,
// "page_size": 50, "total_pages": 1}.

type user struct {
	ID       string   `json:"id"`
	Email    string   `json:"email"`
	Username string   `json:"username"`
	Role     string   `json:"role"`
	Timezone string   `json:"timezone"`
	Teams    []string `json:"teams"`
}

type team struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type notificationRule struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	Position  int    `json:"position"`
	Important bool   `json:"important"`
	Type      string `json:"type"`     // wait, notify_by_email, notify_by_sms, ...
	Duration  int    `json:"duration"` // seconds, for wait
}

type schedule struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Type             string   `json:"type"` // web, calendar, ical
	TeamID           *string  `json:"team_id"`
	TimeZone         string   `json:"time_zone"`
	Shifts           []string `json:"shifts"`
	ICalURLPrimary   *string  `json:"ical_url_primary"`
	ICalURLOverrides *string  `json:"ical_url_overrides"`
}

type shift struct {
	ID                         string     `json:"id"`
	Name                       string     `json:"name"`
	Type                       string     `json:"type"` // rolling_users, recurrent_event, single_event, override
	TeamID                     *string    `json:"team_id"`
	Schedule                   *string    `json:"schedule"`
	TimeZone                   *string    `json:"time_zone"`
	Level                      int        `json:"level"`
	Start                      string     `json:"start"`    // local wall-clock time in the shift's zone
	Duration                   int64      `json:"duration"` // seconds
	RotationStart              string     `json:"rotation_start"`
	Frequency                  *string    `json:"frequency"` // hourly, daily, weekly, monthly
	Interval                   *int       `json:"interval"`
	Until                      *string    `json:"until"`
	WeekStart                  *string    `json:"week_start"`
	ByDay                      []string   `json:"by_day"`
	ByMonth                    []int      `json:"by_month"`
	ByMonthday                 []int      `json:"by_monthday"`
	Users                      []string   `json:"users"`
	RollingUsers               [][]string `json:"rolling_users"`
	StartRotationFromUserIndex *int       `json:"start_rotation_from_user_index"`
}

type escalationChain struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	TeamID *string `json:"team_id"`
}

type escalationStep struct {
	ID                          string   `json:"id"`
	EscalationChainID           string   `json:"escalation_chain_id"`
	Position                    int      `json:"position"`
	Type                        string   `json:"type"`
	Duration                    int      `json:"duration"`
	Important                   bool     `json:"important"`
	PersonsToNotify             []string `json:"persons_to_notify"`
	PersonsToNotifyNextEachTime []string `json:"persons_to_notify_next_each_time"`
	NotifyOnCallFromSchedule    string   `json:"notify_on_call_from_schedule"`
	TeamToNotify                string   `json:"team_to_notify"`
	GroupToNotify               string   `json:"group_to_notify"`
	ActionToTrigger             string   `json:"action_to_trigger"`
	NotifyIfTimeFrom            string   `json:"notify_if_time_from"`
	NotifyIfTimeTo              string   `json:"notify_if_time_to"`
}

type integration struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	TeamID       *string `json:"team_id"`
	Link         string  `json:"link"`
	Type         string  `json:"type"`
	InboundEmail *string `json:"inbound_email"`
	DefaultRoute *struct {
		ID                string  `json:"id"`
		EscalationChainID *string `json:"escalation_chain_id"`
	} `json:"default_route"`
	Templates map[string]any `json:"templates"`
}

type route struct {
	ID                string  `json:"id"`
	IntegrationID     string  `json:"integration_id"`
	EscalationChainID *string `json:"escalation_chain_id"`
	RoutingType       string  `json:"routing_type"`
	RoutingRegex      string  `json:"routing_regex"`
	Position          int     `json:"position"`
	IsTheLastRoute    bool    `json:"is_the_last_route"`
}
