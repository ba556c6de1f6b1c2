// Package postmortem is what an organisation learns from an incident: the
// post-mortem drafted from the incident's record (its impact, timeline and
// suspects), the policy that says which incidents need one and by when,
// its review from draft to published, the action items that follow it up,
// and its export as Markdown. It is pure: the record, the calendar and the
// instant come in as values.
package postmortem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where a post-mortem stands in its review.
type Status string

// The statuses, in the order a post-mortem moves through them.
const (
	StatusDraft     Status = "draft"
	StatusInReview  Status = "in_review"
	StatusPublished Status = "published"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == StatusDraft || s == StatusInReview || s == StatusPublished }

// ItemStatus is where an action item stands.
type ItemStatus string

// Action item statuses: open until it is done or deliberately dropped.
const (
	ItemOpen   ItemStatus = "open"
	ItemDone   ItemStatus = "done"
	ItemWontDo ItemStatus = "wont_do"
)

// Valid reports whether s is one of the item statuses.
func (s ItemStatus) Valid() bool { return s == ItemOpen || s == ItemDone || s == ItemWontDo }

// Errors of the rules; callers answer ErrInvalid as bad input and the
// others as conflicts with the post-mortem's state.
var (
	ErrInvalid = errors.New("invalid post-mortem")
	// ErrStale refuses an edit made on a version that is no longer the
	// stored one: someone else saved in between.
	ErrStale = errors.New("the post-mortem changed since this version")
	// ErrTransition refuses a status change the review does not allow.
	ErrTransition = errors.New("status change not allowed")
	// ErrPublished refuses a change to a published post-mortem's text.
	ErrPublished = errors.New("the post-mortem is published")
)

// Sections are the parts of a post-mortem people write, each Markdown.
type Sections struct {
	Summary             string `json:"summary"`
	Impact              string `json:"impact"`
	Timeline            string `json:"timeline"`
	Suspects            string `json:"suspects"`
	ContributingFactors string `json:"contributing_factors"`
	WentWell            string `json:"went_well"`
	WentWrong           string `json:"went_wrong"`
}

// section names a section by its JSON field and its heading.
type section struct {
	field, heading string
	text           func(*Sections) *string
}

// sectionList is every section in the order the post-mortem reads.
var sectionList = []section{
	{"summary", "Summary", func(s *Sections) *string { return &s.Summary }},
	{"impact", "Impact", func(s *Sections) *string { return &s.Impact }},
	{"timeline", "Timeline", func(s *Sections) *string { return &s.Timeline }},
	{"suspects", "Suspects", func(s *Sections) *string { return &s.Suspects }},
	{"contributing_factors", "Contributing factors", func(s *Sections) *string { return &s.ContributingFactors }},
	{"went_well", "What went well", func(s *Sections) *string { return &s.WentWell }},
	{"went_wrong", "What did not go well", func(s *Sections) *string { return &s.WentWrong }},
}

// SectionFields lists the sections' JSON field names, in reading order.
func SectionFields() []string {
	out := make([]string, len(sectionList))
	for i, s := range sectionList {
		out[i] = s.field
	}
	return out
}

// Limits on what a post-mortem holds.
const (
	MaxSection     = 100_000 // bytes of Markdown in one section
	MaxTitle       = 500     // bytes of an action item's title
	MaxURL         = 2048
	MaxActionItems = 200
)

// ActionItem is one follow-up of a post-mortem: what, which team, by when,
// and where it is tracked.
type ActionItem struct {
	ID         int64      `json:"id"`
	IncidentID int64      `json:"incident_id"`
	Title      string     `json:"title"`
	OwnerTeam  string     `json:"owner_team"`
	Due        time.Time  `json:"due"`
	Status     ItemStatus `json:"status"`
	URL        string     `json:"url"`
	// Overdue is set when the item is read: open past its due time.
	Overdue bool `json:"overdue"`
	// RemindedAt is when its owners were reminded that it is overdue;
	// moving the due time later allows another reminder.
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// IsOverdue reports whether the item is open past its due time at now.
func (a ActionItem) IsOverdue(now time.Time) bool {
	return a.Status == ItemOpen && !a.Due.IsZero() && now.After(a.Due)
}

// Postmortem is the post-mortem of one incident. Its ID is the incident's:
// an incident has at most one.
type Postmortem struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Title      string `json:"title"`
	Status     Status `json:"status"`
	// Version grows with every write; an edit names the version it was
	// made on, so that a concurrent edit is refused rather than lost.
	Version int64 `json:"version"`
	Sections
	ActionItems []ActionItem `json:"action_items"`
	// Facts are what the draft was written from, as they stood then.
	Facts Facts `json:"facts"`
	// OwnerTeam owns the service the incident opened on; the due time
	// follows its calendar.
	OwnerTeam string `json:"owner_team"`
	// Required says whether the policy asks for this post-mortem, and
	// RequiredBecause why.
	Required        bool     `json:"required"`
	RequiredBecause []string `json:"required_because"`
	// Due is when a required post-mortem should be published; Overdue is
	// set when it is read past that and not published.
	Due         *time.Time `json:"due"`
	Overdue     bool       `json:"overdue"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	UpdatedAt   time.Time  `json:"updated_at"`
	UpdatedBy   string     `json:"updated_by"`
	PublishedAt *time.Time `json:"published_at"`
}

// IsOverdue reports whether a required post-mortem is unpublished past its
// due time at now.
func (p *Postmortem) IsOverdue(now time.Time) bool {
	return p.Due != nil && p.Status != StatusPublished && now.After(*p.Due)
}

// MarkOverdue sets the Overdue flags of the post-mortem and its items as
// of now.
func (p *Postmortem) MarkOverdue(now time.Time) {
	if p.ActionItems == nil {
		p.ActionItems = []ActionItem{}
	}
	if p.RequiredBecause == nil {
		p.RequiredBecause = []string{}
	}
	p.Overdue = p.IsOverdue(now)
	for i := range p.ActionItems {
		p.ActionItems[i].Overdue = p.ActionItems[i].IsOverdue(now)
	}
}

// Edit changes a post-mortem; nil fields stay as they are. ActionItems,
// when given, is the whole new list: items with an ID update those,
// items without one are added, and stored items left out are removed.
type Edit struct {
	// Version is the version the edit was made on; nil skips the check.
	Version     *int64        `json:"version"`
	Status      *Status       `json:"status"`
	Summary     *string       `json:"summary"`
	Impact      *string       `json:"impact"`
	Timeline    *string       `json:"timeline"`
	Suspects    *string       `json:"suspects"`
	Factors     *string       `json:"contributing_factors"`
	WentWell    *string       `json:"went_well"`
	WentWrong   *string       `json:"went_wrong"`
	ActionItems *[]ItemChange `json:"action_items"`
}

// sectionEdits pairs the edit's sections with the post-mortem's.
func (e *Edit) sectionEdits() []*string {
	return []*string{e.Summary, e.Impact, e.Timeline, e.Suspects, e.Factors, e.WentWell, e.WentWrong}
}

// ItemChange is an action item as an edit gives it: Due is an RFC 3339
// instant or a date (YYYY-MM-DD: the end of that day in the owner team's
// zone). On an existing item, empty fields stay as they are.
type ItemChange struct {
	ID        int64      `json:"id,omitempty"`
	Title     string     `json:"title,omitempty"`
	OwnerTeam string     `json:"owner_team,omitempty"`
	Due       string     `json:"due,omitempty"`
	Status    ItemStatus `json:"status,omitempty"`
	// URL is a pointer so that an edit can clear it ("").
	URL *string `json:"url,omitempty"`

	// What an item read from the API carries besides, accepted so that it
	// can be sent back as it was read; edits never change these.
	IncidentID int64           `json:"incident_id,omitempty"`
	Overdue    bool            `json:"overdue,omitempty"`
	RemindedAt json.RawMessage `json:"reminded_at,omitempty"`
	CreatedAt  json.RawMessage `json:"created_at,omitempty"`
	UpdatedAt  json.RawMessage `json:"updated_at,omitempty"`
}

// Teams is what edits need to know of the configuration: whether a team
// exists, and the zone its dates are read in.
type Teams interface {
	TeamZone(team string) (*time.Location, bool)
}

// Change says what an edit changed, for the audit log: the fields, and
// the status before and after when it moved.
type Change struct {
	Fields     []string
	FromStatus Status
	ToStatus   Status
}

// Describe words the change for the audit log and the history.
func (c Change) Describe() string {
	parts := make([]string, 0, len(c.Fields))
	for _, f := range c.Fields {
		if f == "status" {
			parts = append(parts, fmt.Sprintf("status %s → %s", c.FromStatus, c.ToStatus))
			continue
		}
		parts = append(parts, f)
	}
	return strings.Join(parts, "; ")
}

// Apply makes the edit on p as actor at now, and says what changed;
// nothing changes when it fails. Items are checked against teams.
func Apply(p *Postmortem, e Edit, teams Teams, actor string, now time.Time) (Change, error) {
	if e.Version != nil && *e.Version != p.Version {
		return Change{}, fmt.Errorf("%w: it is at version %d, the edit was made on version %d", ErrStale, p.Version, *e.Version)
	}
	next := *p
	next.ActionItems = slices.Clone(p.ActionItems)
	var ch Change
	for i, text := range e.sectionEdits() {
		s := sectionList[i]
		if text == nil || *text == *s.text(&next.Sections) {
			continue
		}
		if err := checkSection(s.field, *text); err != nil {
			return Change{}, err
		}
		*s.text(&next.Sections) = *text
		ch.Fields = append(ch.Fields, s.field)
	}
	if len(ch.Fields) > 0 && p.Status == StatusPublished {
		return Change{}, fmt.Errorf("%w: its text is final (action items still change)", ErrPublished)
	}
	if e.ActionItems != nil {
		items, changed, err := applyItems(next.ActionItems, *e.ActionItems, p.IncidentID, teams, now)
		if err != nil {
			return Change{}, err
		}
		if changed {
			next.ActionItems = items
			ch.Fields = append(ch.Fields, "action_items")
		}
	}
	if e.Status != nil && *e.Status != p.Status {
		if err := checkTransition(p.Status, *e.Status); err != nil {
			return Change{}, err
		}
		ch.FromStatus, ch.ToStatus = p.Status, *e.Status
		next.Status = *e.Status
		if next.Status == StatusPublished {
			t := now
			next.PublishedAt = &t
		}
		ch.Fields = append(ch.Fields, "status")
	}
	if len(ch.Fields) == 0 {
		return ch, nil
	}
	next.Version++
	next.UpdatedAt, next.UpdatedBy = now, actor
	*p = next
	return ch, nil
}

// checkTransition allows the review's moves: a draft goes to review; a
// review is sent back to draft or published; published is final.
func checkTransition(from, to Status) error {
	if !to.Valid() {
		return fmt.Errorf("%w: status %.40q (draft, in_review or published)", ErrInvalid, to)
	}
	switch {
	case from == StatusDraft && to == StatusInReview, from == StatusInReview && (to == StatusDraft || to == StatusPublished):
		return nil
	case from == StatusPublished:
		return fmt.Errorf("%w: a published post-mortem stays published", ErrTransition)
	case from == StatusDraft && to == StatusPublished:
		return fmt.Errorf("%w: a draft is reviewed (in_review) before it is published", ErrTransition)
	}
	return fmt.Errorf("%w: from %s to %s", ErrTransition, from, to)
}

func checkSection(field, text string) error {
	switch {
	case len(text) > MaxSection:
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, field, len(text), MaxSection)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	case strings.IndexByte(text, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL character", ErrInvalid, field)
	}
	return nil
}

// applyItems turns the stored items and the edit's list into the new list.
func applyItems(stored []ActionItem, edits []ItemChange, incidentID int64, teams Teams, now time.Time) ([]ActionItem, bool, error) {
	if len(edits) > MaxActionItems {
		return nil, false, fmt.Errorf("%w: %d action items, more than %d", ErrInvalid, len(edits), MaxActionItems)
	}
	byID := make(map[int64]ActionItem, len(stored))
	for _, it := range stored {
		byID[it.ID] = it
	}
	out := make([]ActionItem, 0, len(edits))
	seen := map[int64]bool{}
	changed := false
	for i, e := range edits {
		var it ActionItem
		var err error
		if e.ID != 0 {
			old, ok := byID[e.ID]
			if !ok {
				return nil, false, fmt.Errorf("%w: action item %d is not one of this post-mortem's", ErrInvalid, e.ID)
			}
			if seen[e.ID] {
				return nil, false, fmt.Errorf("%w: action item %d is listed twice", ErrInvalid, e.ID)
			}
			seen[e.ID] = true
			it, err = UpdateItem(old, e, teams, now)
			changed = changed || !sameItem(it, old)
		} else {
			it, err = NewItem(incidentID, e, teams, now)
			changed = true
		}
		if err != nil {
			return nil, false, fmt.Errorf("action item %d: %w", i+1, err)
		}
		out = append(out, it)
	}
	if len(seen) != len(stored) {
		changed = true // some were removed
	}
	return out, changed, nil
}

func sameItem(a, b ActionItem) bool {
	return a.Title == b.Title && a.OwnerTeam == b.OwnerTeam && a.Due.Equal(b.Due) && a.Status == b.Status && a.URL == b.URL
}

// NewItem makes an action item from what an edit gives: title, owner team
// and due time are required; the status is open unless given.
func NewItem(incidentID int64, e ItemChange, teams Teams, now time.Time) (ActionItem, error) {
	it := ActionItem{IncidentID: incidentID, Status: ItemOpen, CreatedAt: now}
	if e.Title == "" || e.OwnerTeam == "" || e.Due == "" {
		return it, fmt.Errorf("%w: an action item needs a title, an owner_team and a due date", ErrInvalid)
	}
	return UpdateItem(it, e, teams, now)
}

// UpdateItem applies the non-empty fields of e to it.
func UpdateItem(it ActionItem, e ItemChange, teams Teams, now time.Time) (ActionItem, error) {
	before := it
	if e.Title != "" {
		it.Title = strings.TrimSpace(e.Title)
		if err := checkLine("title", it.Title, MaxTitle); err != nil {
			return before, err
		}
	}
	if e.OwnerTeam != "" {
		if _, ok := teams.TeamZone(e.OwnerTeam); !ok {
			return before, fmt.Errorf("%w: no team %.64q", ErrInvalid, e.OwnerTeam)
		}
		it.OwnerTeam = e.OwnerTeam
	}
	if e.Due != "" {
		loc, _ := teams.TeamZone(it.OwnerTeam)
		due, err := ParseDue(e.Due, loc)
		if err != nil {
			return before, err
		}
		if it.RemindedAt != nil && due.After(it.Due) {
			it.RemindedAt = nil // a new due time: remind again should it pass too
		}
		it.Due = due
	}
	if e.Status != "" {
		if !e.Status.Valid() {
			return before, fmt.Errorf("%w: action item status %.40q (open, done or wont_do)", ErrInvalid, e.Status)
		}
		it.Status = e.Status
	}
	if e.URL != nil {
		if err := checkTrackerURL(*e.URL); err != nil {
			return before, err
		}
		it.URL = *e.URL
	}
	if !sameItem(it, before) {
		it.UpdatedAt = now
	}
	return it, nil
}

func checkLine(field, s string, limit int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", ErrInvalid, field)
	case len(s) > limit:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, field, limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%w: %s holds a control character", ErrInvalid, field)
	}
	return nil
}

// checkTrackerURL allows "" (no tracker) or an absolute http(s) URL.
func checkTrackerURL(s string) error {
	if s == "" {
		return nil
	}
	if err := checkLine("url", s, MaxURL); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: url %.80q is not an http(s) URL", ErrInvalid, s)
	}
	return nil
}

// ParseDue reads a due time: an RFC 3339 instant, or a date (YYYY-MM-DD)
// meaning the end of that day in loc (UTC when nil).
func ParseDue(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), checkYear(s, t)
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: due %.40q is neither a date (2026-03-20) nor an RFC 3339 time", ErrInvalid, s)
	}
	end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, loc)
	return end.UTC(), checkYear(s, end)
}

// checkYear keeps due times within years both databases store, wherever
// they are read.
func checkYear(s string, t time.Time) error {
	if y, utc := t.Year(), t.UTC().Year(); min(y, utc) < 2000 || max(y, utc) > 9999 {
		return fmt.Errorf("%w: due %.40q is outside the years 2000 to 9999", ErrInvalid, s)
	}
	return nil
}
