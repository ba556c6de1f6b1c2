package sqlbackend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Post-mortems keep their body (everything but the action items) as JSON
// beside the columns lists filter on; action items are rows of their own,
// so that overdue ones are found by an index.

// EncodePostmortem checks a post-mortem and returns its stored body and
// items (times in UTC, to the microsecond).
func EncodePostmortem(p postmortem.Postmortem) ([]byte, []postmortem.ActionItem, error) {
	err := errors.Join(required("status", string(p.Status)), CheckText("owner team", p.OwnerTeam), CheckText("title", p.Title),
		CheckText("created by", p.CreatedBy), CheckText("updated by", p.UpdatedBy))
	// Encoding would turn invalid UTF-8 into U+FFFD: refuse it instead.
	sec := p.Sections
	for _, text := range []string{sec.Summary, sec.Impact, sec.Timeline, sec.Suspects, sec.ContributingFactors, sec.WentWell, sec.WentWrong} {
		err = errors.Join(err, CheckText("section", text))
	}
	if p.IncidentID <= 0 {
		err = errors.Join(err, fmt.Errorf("incident id %d", p.IncidentID))
	}
	items := make([]postmortem.ActionItem, len(p.ActionItems))
	for i, it := range p.ActionItems {
		if e := checkActionItem(it); e != nil {
			err = errors.Join(err, fmt.Errorf("action item %d: %w", i, e))
		}
		it.IncidentID = p.IncidentID
		it.Due, it.CreatedAt, it.UpdatedAt, it.RemindedAt = UTC(it.Due), UTC(it.CreatedAt), UTC(it.UpdatedAt), utcPtr(it.RemindedAt)
		it.Overdue = false
		items[i] = it
	}
	if err != nil {
		return nil, nil, fmt.Errorf("post-mortem of incident %d: %w", p.IncidentID, err)
	}
	p.ActionItems, p.Overdue = nil, false
	p.CreatedAt, p.UpdatedAt, p.Due, p.PublishedAt = UTC(p.CreatedAt), UTC(p.UpdatedAt), utcPtr(p.Due), utcPtr(p.PublishedAt)
	body, err := marshalBody("post-mortem", p.IncidentID, p)
	return body, items, err
}

func checkActionItem(it postmortem.ActionItem) error {
	err := errors.Join(required("title", it.Title), required("owner team", it.OwnerTeam), required("status", string(it.Status)),
		CheckText("url", it.URL))
	if it.Due.IsZero() || it.CreatedAt.IsZero() || it.UpdatedAt.IsZero() {
		err = errors.Join(err, errors.New("due, created_at and updated_at are required"))
	}
	return err
}

const actionItemColumns = `id, incident_id, title, owner_team, due_at, status, url, reminded_at, created_at, updated_at`

func scanActionItem(row Row) (postmortem.ActionItem, error) {
	var it postmortem.ActionItem
	var status string
	err := row.Scan(&it.ID, &it.IncidentID, &it.Title, &it.OwnerTeam, instant{&it.Due}, &status, &it.URL,
		nullInstant{&it.RemindedAt}, instant{&it.CreatedAt}, instant{&it.UpdatedAt})
	it.Status = postmortem.ItemStatus(status)
	return it, err
}

var scanPostmortem = scanBody("post-mortem", func(p *postmortem.Postmortem, id int64) { p.ID, p.IncidentID = id, id })

const selectPostmortem = `SELECT incident_id, body FROM postmortems WHERE incident_id = $1`

// GetPostmortem returns an incident's post-mortem with its action items.
func (db *DB) GetPostmortem(ctx context.Context, incidentID int64) (postmortem.Postmortem, error) {
	return getPostmortem(ctx, db.b.Read, incidentID, "")
}

func getPostmortem(ctx context.Context, c Conn, incidentID int64, lock string) (postmortem.Postmortem, error) {
	p, err := byID(ctx, c, scanPostmortem, "post-mortem of incident", selectPostmortem+lock, incidentID)
	if err != nil {
		return p, err
	}
	p.ActionItems, err = queryAll(ctx, c, scanActionItem, `SELECT `+actionItemColumns+` FROM action_items WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return p, fmt.Errorf("action items of incident %d: %w", incidentID, err)
	}
	if p.ActionItems == nil {
		p.ActionItems = []postmortem.ActionItem{}
	}
	return p, nil
}

// ListPostmortems returns post-mortems, newest incident first, with their
// action items (read in one more query for the page).
func (db *DB) ListPostmortems(ctx context.Context, q store.PostmortemQuery) ([]postmortem.Postmortem, error) {
	if err := errors.Join(CheckTexts("status", q.Statuses...), CheckText("team", q.Team)); err != nil {
		return nil, fmt.Errorf("list post-mortems: %w", err)
	}
	w := db.d.where().in("status", q.Statuses).text("owner_team", q.Team)
	if q.BeforeID > 0 {
		w.add("incident_id < " + w.arg(q.BeforeID))
	}
	pms, err := queryAll(ctx, db.b.Read, scanPostmortem, `SELECT incident_id, body FROM postmortems`+w.page("incident_id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil || len(pms) == 0 {
		return pms, wrapErr("list post-mortems", err)
	}
	ids := make([]int64, len(pms))
	index := make(map[int64]int, len(pms))
	for i := range pms {
		ids[i], index[pms[i].IncidentID] = pms[i].IncidentID, i
		pms[i].ActionItems = []postmortem.ActionItem{}
	}
	items, err := queryAll(ctx, db.b.Read, scanActionItem, `SELECT `+actionItemColumns+` FROM action_items WHERE `+
		db.d.in("incident_id", "$1", "bigint")+` ORDER BY id`, list(db.d, ids))
	if err != nil {
		return nil, fmt.Errorf("list post-mortems: action items: %w", err)
	}
	for _, it := range items {
		p := &pms[index[it.IncidentID]]
		p.ActionItems = append(p.ActionItems, it)
	}
	return pms, nil
}

func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ListActionItems returns action items, newest first.
func (db *DB) ListActionItems(ctx context.Context, q store.ActionItemQuery) ([]postmortem.ActionItem, error) {
	if err := errors.Join(CheckTexts("status", q.Statuses...), CheckText("team", q.Team)); err != nil {
		return nil, fmt.Errorf("list action items: %w", err)
	}
	w := db.d.where().id("id", q.ID).in("status", q.Statuses).text("owner_team", q.Team).id("incident_id", q.IncidentID).
		time("due_at <", q.DueBefore).time("due_at >=", q.DueFrom).before(q.BeforeID)
	items, err := queryAll(ctx, db.b.Read, scanActionItem, `SELECT `+actionItemColumns+` FROM action_items`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	return items, wrapErr("list action items", err)
}

// maxReportActionItems bounds the open items the risks report weighs.
const maxReportActionItems = 10000

// ReportActionItems returns the open action items, soonest due first, each
// with the service its incident opened on.
func (db *DB) ReportActionItems(ctx context.Context) ([]report.ActionItem, error) {
	items, err := queryAll(ctx, db.b.Read, func(row Row) (report.ActionItem, error) {
		var it report.ActionItem
		var id int64
		var service *string
		err := row.Scan(&id, &it.Title, &it.OwnerTeam, instant{&it.Due}, &it.Incident, &service)
		it.ID = strconv.FormatInt(id, 10)
		if service != nil {
			it.Service = *service
		}
		return it, err
	}, `SELECT a.id, a.title, a.owner_team, a.due_at, a.incident_id, i.service FROM action_items a LEFT JOIN incidents i ON i.id = a.incident_id
		WHERE a.status = 'open' ORDER BY a.due_at, a.id LIMIT $1`, maxReportActionItems)
	return items, wrapErr("open action items", err)
}

func (t *Tx) GetPostmortem(incidentID int64) (postmortem.Postmortem, error) {
	return getPostmortem(t.ctx, t.c, incidentID, t.lock(forUpdate))
}

func (t *Tx) InsertPostmortem(p *postmortem.Postmortem) error {
	body, items, err := EncodePostmortem(*p)
	if err != nil {
		return fmt.Errorf("insert post-mortem: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `INSERT INTO postmortems (incident_id, status, version, owner_team, created_at, updated_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id) DO NOTHING`,
		p.IncidentID, string(p.Status), p.Version, p.OwnerTeam, UTC(p.CreatedAt), UTC(p.UpdatedAt), string(body))
	if err != nil {
		return fmt.Errorf("insert post-mortem of incident %d: %w", p.IncidentID, err)
	}
	if n == 0 {
		return fmt.Errorf("insert post-mortem of incident %d: the incident has one: %w", p.IncidentID, store.ErrConflict)
	}
	return t.syncActionItems(p, items, nil)
}

func (t *Tx) UpdatePostmortem(p *postmortem.Postmortem, version int64) error {
	body, items, err := EncodePostmortem(*p)
	if err != nil {
		return fmt.Errorf("update post-mortem: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `UPDATE postmortems SET status = $1, version = $2, owner_team = $3, created_at = $4, updated_at = $5, body = $6
		WHERE incident_id = $7 AND version = $8`,
		string(p.Status), p.Version, p.OwnerTeam, UTC(p.CreatedAt), UTC(p.UpdatedAt), string(body), p.IncidentID, version)
	if err := t.updatedOrStale(n, err, fmt.Sprintf("update post-mortem of incident %d", p.IncidentID), "version",
		`SELECT version FROM postmortems WHERE incident_id = $1`, p.IncidentID, version); err != nil {
		return err
	}
	ids, err := queryAll(t.ctx, t.c, func(row Row) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT id FROM action_items WHERE incident_id = $1`, p.IncidentID)
	if err != nil {
		return fmt.Errorf("update post-mortem of incident %d: %w", p.IncidentID, err)
	}
	return t.syncActionItems(p, items, ids)
}

// syncActionItems makes the stored items of p (with stored IDs) the given
// ones: it updates those with an ID, adds those without (setting the IDs
// in p) and removes the rest.
func (t *Tx) syncActionItems(p *postmortem.Postmortem, items []postmortem.ActionItem, stored []int64) error {
	kept := map[int64]bool{}
	for i, it := range items {
		if it.ID == 0 {
			id, err := t.c.Insert(t.ctx, `INSERT INTO action_items (incident_id, title, owner_team, due_at, status, url, reminded_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				it.IncidentID, it.Title, it.OwnerTeam, it.Due, string(it.Status), it.URL, nullTime(it.RemindedAt), it.CreatedAt, it.UpdatedAt)
			if err != nil {
				return fmt.Errorf("add action item to incident %d: %w", p.IncidentID, err)
			}
			p.ActionItems[i].ID = id
			continue
		}
		if !slices.Contains(stored, it.ID) {
			return fmt.Errorf("action item %d is not one of incident %d's: %w", it.ID, p.IncidentID, store.ErrNotFound)
		}
		kept[it.ID] = true
		_, err := t.c.Exec(t.ctx, `UPDATE action_items SET title = $1, owner_team = $2, due_at = $3, status = $4, url = $5, reminded_at = $6,
			created_at = $7, updated_at = $8 WHERE id = $9`,
			it.Title, it.OwnerTeam, it.Due, string(it.Status), it.URL, nullTime(it.RemindedAt), it.CreatedAt, it.UpdatedAt, it.ID)
		if err != nil {
			return fmt.Errorf("update action item %d: %w", it.ID, err)
		}
	}
	for _, id := range stored {
		if kept[id] {
			continue
		}
		if _, err := t.c.Exec(t.ctx, `DELETE FROM action_items WHERE id = $1`, id); err != nil {
			return fmt.Errorf("remove action item %d: %w", id, err)
		}
	}
	return nil
}

func (t *Tx) RemindableActionItems(now time.Time, afterID int64, limit int) ([]postmortem.ActionItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	items, err := queryAll(t.ctx, t.c, scanActionItem, `SELECT `+actionItemColumns+` FROM action_items
		WHERE status = 'open' AND due_at < $1 AND reminded_at IS NULL AND id > $2 ORDER BY id LIMIT $3`+t.lock(forUpdateSkip),
		UTC(now), afterID, limit)
	return items, wrapErr("remindable action items", err)
}

func (t *Tx) MarkReminded(itemID int64, at time.Time) error {
	n, err := t.c.Exec(t.ctx, `UPDATE action_items SET reminded_at = $1 WHERE id = $2`, UTC(at), itemID)
	return affectedOne(n, err, fmt.Sprintf("mark action item %d reminded", itemID))
}
