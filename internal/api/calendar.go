package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// roleFeed is the role of calendar feed tokens. auth.ValidRole does not
// know it, so such a token opens nothing but the calendar feeds: the API
// answers it 403.
const roleFeed = "feed"

// The calendar feeds show a week back and 90 days ahead, from and to UTC
// midnights, so that an event keeps its UID all day (see schedule.ICal).
const (
	feedBehind = 7
	feedAhead  = 91 // 90 days ahead of today's midnight
)

// feedTokenCreated answers POST /api/v1/users/{id}/feed_token. The token
// is shown once.
type feedTokenCreated struct {
	Token               string `json:"token"`
	UserURL             string `json:"user_url"`
	ScheduleURLTemplate string `json:"schedule_url_template"`
}

// createFeedToken makes a user's calendar feed token, revoking any earlier
// one: admins for anyone, a user token for its own user.
func (s *Server) createFeedToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, err := s.pathUserFor(r, p, "make the feed token of")
	if err != nil {
		return err
	}
	now := s.now().UTC()
	secret, tok, err := s.issueToken(r.Context(), "feed-", store.Token{Name: "calendar feed of " + user, UserID: user, Role: roleFeed, CreatedAt: now},
		p.Actor(), "feed_token.create", "")
	if err != nil {
		return err
	}
	// The new token is stored first, so that a failure here leaves the
	// user with a working feed.
	earlier := func(t store.Token) bool { return t.Role == roleFeed && t.UserID == user && t.ID != tok.ID }
	if err := s.revokeTokens(r.Context(), earlier, p.Actor(), "feed_token.revoke", "replaced by "+tok.ID, now); err != nil {
		return fmt.Errorf("revoke the previous feed token: %w", err)
	}
	base := strings.TrimRight(s.publicURL, "/")
	if base == "" {
		base = baseURL(r)
	}
	token := url.QueryEscape(secret)
	writeJSON(w, http.StatusCreated, feedTokenCreated{
		Token:               secret,
		UserURL:             base + "/api/v1/users/" + url.PathEscape(user) + "/calendar.ics?token=" + token,
		ScheduleURLTemplate: base + "/api/v1/schedules/{schedule}/calendar.ics?token=" + token,
	})
	return nil
}

// revokeTokens revokes every token that matches and is still in force,
// each with its audit entry.
func (s *Server) revokeTokens(ctx context.Context, match func(store.Token) bool, actor, action, details string, now time.Time) error {
	toks, err := s.store.ListTokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if !match(t) || t.RevokedAt != nil || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
			continue
		}
		audit := store.AuditEntry{At: now, Actor: actor, Action: action, Kind: "token", ObjID: t.ID, Details: details}
		if err := s.store.RevokeToken(ctx, t.ID, now, audit); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// baseURL is how the client reached this server, behind a TLS-terminating
// proxy too: the feed links' base when no public URL is configured.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// feedToken checks the ?token= of a calendar feed: 401 for a missing,
// unknown or revoked token (429 once its address has failed too often),
// 403 for one that is not a feed token.
func (s *Server) feedToken(r *http.Request) (store.Token, error) {
	client := s.clientAddress(r)
	secret := r.URL.Query().Get("token")
	if secret == "" || len(secret) > 512 {
		return store.Token{}, s.refuseCredential(client, "", "a calendar feed needs ?token= with a feed token")
	}
	hash := auth.Hash(secret)
	tok, err := s.store.TokenByHash(r.Context(), hash)
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return tok, unavailable(err, "cannot check the token now")
	case err != nil || tok.RevokedAt != nil || subtle.ConstantTimeCompare(tok.Hash, hash) != 1:
		return tok, s.refuseCredential(client, "", "invalid or revoked feed token")
	case tok.Role != roleFeed:
		return tok, forbidden("not a calendar feed token; make one with POST /api/v1/users/{id}/feed_token")
	case s.org.Snapshot().User(tok.UserID) == nil:
		return tok, forbidden("the feed token's user no longer exists")
	}
	return tok, nil
}

// feedRange is the span the calendar feeds cover at now.
func feedRange(now time.Time) (from, to time.Time) {
	day := now.UTC().Truncate(24 * time.Hour)
	return day.AddDate(0, 0, -feedBehind), day.AddDate(0, 0, feedAhead)
}

func displayName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// userCalendar serves GET /api/v1/users/{id}/calendar.ics?token=T: the
// user's own shifts on every schedule.
func (s *Server) userCalendar(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	tok, err := s.feedToken(r)
	if err != nil {
		return err
	}
	user := r.PathValue("id")
	if tok.UserID != user {
		return forbidden("this feed token belongs to another user")
	}
	snap := s.org.Snapshot()
	now := s.now()
	from, to := feedRange(now)
	var parts []schedule.NamedShifts
	for _, sch := range snap.Bundle.Schedules {
		e, err := s.oncall.Engine(snap, sch.ID)
		if err != nil {
			s.log.Warn("calendar feed: schedule does not compile", "schedule", sch.ID, "err", err)
			continue
		}
		shifts, err := e.Shifts(from, to)
		if err != nil {
			s.log.Warn("calendar feed: shifts", "schedule", sch.ID, "err", err)
			continue
		}
		var mine []schedule.Shift
		for _, sh := range shifts {
			if sh.User == user {
				mine = append(mine, sh)
			}
		}
		if len(mine) > 0 {
			parts = append(parts, schedule.NamedShifts{Name: displayName(sch.Name, sch.ID), Shifts: mine})
		}
	}
	name := displayName(snap.User(user).Name, user)
	writeCalendar(w, schedule.ICalFeed("On call: "+name, parts, userNames(snap), now))
	return nil
}

// scheduleCalendar serves GET /api/v1/schedules/{id}/calendar.ics?token=T.
func (s *Server) scheduleCalendar(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if _, err := s.feedToken(r); err != nil {
		return err
	}
	snap, e, err := s.pathSchedule(r)
	if err != nil {
		return err
	}
	now := s.now()
	from, to := feedRange(now)
	shifts, err := e.Shifts(from, to)
	if err != nil {
		return fmt.Errorf("calendar feed: %w", err)
	}
	sch := snap.Schedule(r.PathValue("id"))
	writeCalendar(w, schedule.ICal(displayName(sch.Name, sch.ID), shifts, userNames(snap), now))
	return nil
}

func userNames(snap *org.Snapshot) func(string) string {
	return func(id string) string {
		if u := snap.User(id); u != nil {
			return u.Name
		}
		return ""
	}
}

func writeCalendar(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
