package opsgenie

// The REST API objects the importer reads, with the fields it uses. List
// responses wrap a page as {"data": [...], "paging": {"next": ...},
// "took": 0.1, "requestId": "..."}; detail responses as {"data": {...}}.

// ref names another object: {"id", "name"} or, for users, "username".
type ref struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Type     string `json:"type"`
}

type user struct {
	ID       string `json:"id"`
	Username string `json:"username"` // the email address
	FullName string `json:"fullName"`
	TimeZone string `json:"timeZone"`
	Role     *struct {
		Name string `json:"name"`
	} `json:"role"`
	Blocked      bool          `json:"blocked"`
	UserContacts []userContact `json:"userContacts"` // with expand=contact
}

type userContact struct {
	ID            string `json:"id"`
	ContactMethod string `json:"contactMethod"`
	To            string `json:"to"`
	Enabled       *bool  `json:"enabled"`
}

// contact is an entry of GET /v2/users/ID/contacts.
type contact struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	To     string `json:"to"`
	Status *struct {
		Enabled bool `json:"enabled"`
	} `json:"status"`
}

type notificationRule struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ActionType string `json:"actionType"`
	Order      int    `json:"order"`
	Enabled    bool   `json:"enabled"`
	Criteria   *struct {
		Type string `json:"type"`
	} `json:"criteria"`
	Steps []ruleStep `json:"steps"`
}

type ruleStep struct {
	Contact struct {
		Method string `json:"method"`
		To     string `json:"to"`
	} `json:"contact"`
	SendAfter *struct {
		TimeAmount int    `json:"timeAmount"`
		TimeUnit   string `json:"timeUnit"`
	} `json:"sendAfter"`
	Enabled *bool `json:"enabled"`
}

type team struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []member `json:"members"`
}

type member struct {
	User ref    `json:"user"`
	Role string `json:"role"`
}

type routingRule struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
	Order     int    `json:"order"`
	Notify    struct {
		Type string `json:"type"` // escalation, schedule, none
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"notify"`
}

type schedule struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Timezone    string     `json:"timezone"`
	Enabled     bool       `json:"enabled"`
	OwnerTeam   *ref       `json:"ownerTeam"`
	Rotations   []rotation `json:"rotations"` // with expand=rotation
}

type rotation struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	StartDate       string           `json:"startDate"`
	EndDate         string           `json:"endDate"`
	Type            string           `json:"type"` // daily, weekly, hourly
	Length          int              `json:"length"`
	Participants    []ref            `json:"participants"`
	TimeRestriction *timeRestriction `json:"timeRestriction"`
}

type timeRestriction struct {
	Type         string        `json:"type"` // time-of-day, weekday-and-time-of-day
	Restriction  *restriction  `json:"restriction"`
	Restrictions []restriction `json:"restrictions"`
}

type restriction struct {
	StartDay  string `json:"startDay"`
	StartHour *int   `json:"startHour"`
	StartMin  *int   `json:"startMin"`
	EndDay    string `json:"endDay"`
	EndHour   *int   `json:"endHour"`
	EndMin    *int   `json:"endMin"`
}

type override struct {
	Alias     string `json:"alias"`
	User      ref    `json:"user"`
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Rotations []ref  `json:"rotations"`
}

type escalationObj struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	OwnerTeam   *ref   `json:"ownerTeam"`
	Rules       []struct {
		Condition  string `json:"condition"`
		NotifyType string `json:"notifyType"`
		Delay      struct {
			TimeAmount int    `json:"timeAmount"`
			TimeUnit   string `json:"timeUnit"`
		} `json:"delay"`
		Recipient ref `json:"recipient"`
	} `json:"rules"`
	Repeat *struct {
		WaitInterval         int  `json:"waitInterval"`
		Count                int  `json:"count"`
		ResetRecipientStates bool `json:"resetRecipientStates"`
		CloseAlertAfterAll   bool `json:"closeAlertAfterAll"`
	} `json:"repeat"`
}

type service struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	TeamID      string `json:"teamId"`
}

type integration struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Enabled   bool   `json:"enabled"`
	Type      string `json:"type"`
	TeamID    string `json:"teamId"`
	OwnerTeam *ref   `json:"ownerTeam"`
	APIKey    string `json:"apiKey"`
}

type heartbeat struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"intervalUnit"`
	Enabled      bool   `json:"enabled"`
	OwnerTeam    *ref   `json:"ownerTeam"`
}
