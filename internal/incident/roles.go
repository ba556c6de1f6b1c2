package incident

import (
	"encoding/json"
	"regexp"
)

// roleData is what a role entry's Data says: who took which role.
type roleData struct {
	Role Role   `json:"role"`
	User string `json:"user"`
}

// RoleData is the Data of a timeline entry that gives role to user, so
// that the role history can be read back (RoleChange) for the reports.
func RoleData(role Role, user string) json.RawMessage {
	data, err := json.Marshal(roleData{Role: role, User: user})
	if err != nil {
		panic(err) // strings always marshal
	}
	return data
}

// roleMessage finds who took a role in the message of a role entry
// written before entries carried Data: "commander: alice",
// "commander handed over from alice to bob", "...; commander: gina".
var roleMessage = regexp.MustCompile(`\b(commander|comms|scribe)(?:: | handed over from [a-z0-9-]+ to )([a-z0-9-]+)`)

// RoleChange reads who took which role from a role entry: from its Data,
// else from its message. ok is false for any other entry.
func RoleChange(e TimelineEntry) (role Role, user string, ok bool) {
	if e.Kind != EntryRole {
		return "", "", false
	}
	var d roleData
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &d) == nil && d.Role.Valid() && d.User != "" {
		return d.Role, d.User, true
	}
	m := roleMessage.FindStringSubmatch(e.Message)
	if m == nil {
		return "", "", false
	}
	return Role(m[1]), m[2], true
}
