// Package api is Vigil's HTTP surface: the REST API under /api/v1, health
// and metrics endpoints. Handlers translate HTTP to calls on the domain
// packages and back; they hold no domain logic of their own.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/learning"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/opsrun"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/release"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/swap"
)

// Store is what the API needs from the database.
type Store interface {
	store.Store
	store.Pipeline
}

// Options configures a Server.
type Options struct {
	Store    Store
	Pipeline *pipeline.Pipeline
	// Signer verifies acknowledge/resolve links; nil disables them.
	Signer  *links.Signer
	Org     *org.Manager
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
	// SchemaVersion is the migration the binary expects; /readyz answers 503
	// until the store reports it.
	SchemaVersion int
	// Registry serves /metrics; nil makes a fresh one.
	Registry *prometheus.Registry
	// PublicURL is the URL providers reach this server at: Twilio signs
	// its webhook requests over it.
	PublicURL string
	// Getenv reads the secrets the configuration names (Twilio auth token,
	// Slack signing secret and bot token).
	Getenv func(string) string
	// Client makes the server's own outbound calls (Slack's users.info and
	// response URLs); nil means one with a 5s timeout.
	Client *http.Client
	// PasswordParams are the argon2id parameters of new password hashes;
	// zero means auth.DefaultPasswordParams.
	PasswordParams auth.PasswordParams
	// SessionTTL is how long a login session lasts; zero means 12 hours.
	SessionTTL time.Duration
	// UI serves the web interface: GET and HEAD requests that no route
	// claims, outside /api/ and /v2/ (those keep their JSON 404). Nil
	// answers them all with a JSON 404.
	UI http.Handler
	// SLO evaluates SLOs for their endpoints and the release gate; nil
	// serves no SLOs.
	SLO *sloengine.Engine
	// ConfigRefused, when set, says why the configuration the server was
	// started with (vigil serve --config) was refused, nil once it applied:
	// /readyz answers 503 with it while no configuration has loaded.
	ConfigRefused func() error
	// RiskSources add evidence to the risks report beside the built-in
	// sources (report.BuiltinRiskSources).
	RiskSources []report.RiskSource
	// Operations takes and runs operations; nil runs none.
	Operations *opsrun.Runner
	// TrustedProxies are the load balancers in front of the server: for
	// a request from one, the client is read from X-Forwarded-For (see
	// clientAddr). Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
}

// Server serves the API. Create it with New.
type Server struct {
	store    Store
	pipeline *pipeline.Pipeline
	signer   *links.Signer
	org      *org.Manager
	oncall   *routing.OnCall
	log      *slog.Logger
	now      func() time.Time
	version  string
	schema   int

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	// eventOutcomes counts what event rules did with org-wide events.
	eventOutcomes *prometheus.CounterVec
	latency       *prometheus.HistogramVec

	authFailures   *limiter
	trustedProxies []netip.Prefix
	ingestLimits   *keyLimiter
	bodies         sync.Pool // *bytes.Buffer for ingest bodies
	mux            *http.ServeMux

	publicURL string
	getenv    func(string) string
	client    *http.Client

	passwords  *passwords
	sessionTTL time.Duration
	oidc       oidcProviders

	slo         *sloengine.Engine
	gate        *release.Gate
	postmortems *learning.Postmortems
	swaps       *swap.Swaps

	configRefused func() error

	riskSources []report.RiskSource

	ops *opsrun.Runner
}

// access says who may call a route.
type access int

const (
	public access = iota // no token (health, metrics, ingest checks its own key)
	// anyToken lets any valid token in: every read, and the writes whose
	// handler checks the caller's right to act (auth.CanAct, auth.ActsFor).
	anyToken
	admin // a token with the admin role
)

// route is one endpoint; the OpenAPI test walks this table.
type route struct {
	method, pattern string
	access          access
	handler         handlerFunc
}

// New builds a server and its routes.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{
		store:          o.Store,
		org:            o.Org,
		oncall:         routing.NewOnCall(),
		log:            o.Logger,
		now:            o.Now,
		version:        o.Version,
		schema:         o.SchemaVersion,
		registry:       o.Registry,
		pipeline:       o.Pipeline,
		signer:         o.Signer,
		authFailures:   newLimiter(100, 1, o.Now),
		trustedProxies: o.TrustedProxies,
		passwords:      newPasswords(o.PasswordParams),
		sessionTTL:     o.SessionTTL,
		ingestLimits:   &keyLimiter{now: o.Now, buckets: map[string]*bucket{}},
		mux:            http.NewServeMux(),
		slo:            o.SLO,
		configRefused:  o.ConfigRefused,
		riskSources:    o.RiskSources,
		ops:            o.Operations,
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	var budgets release.Budgets
	if o.SLO != nil {
		budgets = o.SLO
	}
	s.gate = release.New(o.Store, o.Org.Snapshot, budgets, o.Now)
	var shares learning.Budgets
	if o.SLO != nil {
		shares = o.SLO
	}
	s.postmortems = learning.New(learning.Options{Store: o.Store, Org: o.Org, Budgets: shares, Now: o.Now})
	s.swaps = swap.New(swap.Options{Store: o.Store, Org: o.Org, Engine: s.oncall.Engine, Now: o.Now})
	if s.sessionTTL <= 0 {
		s.sessionTTL = defaultSessionTTL
	}
	s.publicURL, s.getenv, s.client = o.PublicURL, o.Getenv, o.Client
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"method", "route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "vigil_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route"})
	s.eventOutcomes = newEventOutcomes()
	s.registry.MustRegister(s.requests, s.latency, s.eventOutcomes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_config_version", Help: "Version of the loaded configuration."},
			func() float64 { return float64(s.org.Snapshot().Version) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_services", Help: "Configured services."},
			func() float64 { return float64(len(s.org.Snapshot().Bundle.Services)) }),
	)
	for _, rt := range s.routes() {
		s.handle(rt)
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if o.UI != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !apiPath(r.URL.Path) {
			o.UI.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no route for %s %s", r.Method, r.URL.Path)
	})
	return s
}

// apiPath reports whether path belongs to the API and ingest, whose unknown
// paths answer JSON rather than the web UI.
func apiPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || path == "/v2" || strings.HasPrefix(path, "/v2/")
}

// Registry is where other components register their metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.recoverer(s.mux) }

// routes lists every endpoint but /metrics.
func (s *Server) routes() []route {
	rs := []route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/readyz", public, s.readyz},
		{"GET", "/api/v1/openapi.json", public, s.openapi},
		{"GET", "/api/v1/version", anyToken, s.getVersion},
		{"GET", "/api/v1/org", anyToken, s.getOrg},
		{"PUT", "/api/v1/org", admin, s.putOrg},
		{"GET", "/api/v1/config", anyToken, s.exportConfig},
		{"POST", "/api/v1/config/apply", admin, s.applyConfig},
		{"GET", "/api/v1/services/{id}/dependencies", anyToken, s.serviceGraph(dependenciesOf)},
		{"GET", "/api/v1/services/{id}/dependents", anyToken, s.serviceGraph(dependentsOf)},
		{"GET", "/api/v1/services/{id}/blast_radius", anyToken, s.serviceGraph(blastRadiusOf)},
		{"GET", "/api/v1/services/{id}/ceiling", anyToken, s.serviceCeiling},
		{"GET", "/api/v1/tokens", admin, s.listTokens},
		{"POST", "/api/v1/tokens", admin, s.createToken},
		{"DELETE", "/api/v1/tokens/{id}", admin, s.revokeToken},
		{"GET", "/api/v1/audit", admin, s.listAudit},
		{"POST", "/api/v1/login", public, s.login},
		{"GET", "/api/v1/login/methods", public, s.getLoginMethods},
		{"POST", "/api/v1/logout", anyToken, s.logout},
		{"GET", "/api/v1/session", anyToken, s.getSession},
		{"POST", "/api/v1/session", anyToken, s.postSession},
		{"GET", oidcLoginPath, public, answered(s.oidcLogin)},
		{"GET", oidcCallbackPath, public, answered(s.oidcCallback)},
		{"PUT", "/api/v1/users/{id}/password", anyToken, s.setPassword},

		{"POST", "/v2/enqueue", public, s.pagerDutyAnswers(s.pagerDutyEnqueue)},
		{"POST", "/v2/change/enqueue", public, s.pagerDutyAnswers(s.pagerDutyChange)},
		{"POST", "/api/v1/integrations/alertmanager/{key}", public, s.integrationWebhook(catalog.IntegrationAlertmanager)},
		{"POST", "/api/v1/integrations/grafana/{key}", public, s.integrationWebhook(catalog.IntegrationGrafana)},
		{"POST", "/api/v1/integrations/generic/{key}", public, s.integrationWebhook(catalog.IntegrationGeneric)},
		{"POST", "/api/v1/heartbeat/{key}", public, s.heartbeat},
		{"GET", "/a/{token}", public, answered(s.actionLinkGet)},
		{"POST", "/a/{token}", public, answered(s.actionLinkPost)},
		{"POST", "/api/v1/twilio/sms", public, s.twilioSMS},
		{"POST", "/api/v1/twilio/voice", public, s.twilioVoice},
		{"POST", "/api/v1/twilio/status", public, s.twilioStatus},
		{"POST", "/api/v1/integrations/slack/actions", public, s.slackActions},
		{"POST", "/api/v1/integrations/mattermost/actions", public, s.mattermostActions},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/test", anyToken, s.testContactMethod},
		{"GET", "/api/v1/users/{id}/contact_methods/{cm}/verification", anyToken, s.getVerification},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/verification", anyToken, s.startVerification},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/verification/confirm", anyToken, s.confirmVerification},

		{"GET", "/api/v1/incidents", anyToken, s.listIncidents},
		{"GET", "/api/v1/incidents/{id}", anyToken, s.getIncident},
		{"GET", "/api/v1/incidents/{id}/alerts", anyToken, s.incidentAlerts},
		{"GET", "/api/v1/incidents/{id}/notifications", anyToken, s.incidentNotifications},
		{"POST", "/api/v1/incidents/{id}/acknowledge", anyToken, s.incidentAction("acknowledge")},
		{"POST", "/api/v1/incidents/{id}/resolve", anyToken, s.incidentAction("resolve")},
		{"POST", "/api/v1/incidents/{id}/snooze", anyToken, s.incidentAction("snooze")},
		{"POST", "/api/v1/incidents/{id}/reassign", anyToken, s.incidentAction("reassign")},
		{"POST", "/api/v1/incidents/{id}/notes", anyToken, s.incidentAction("notes")},
		{"POST", "/api/v1/incidents", anyToken, s.declareIncident},
		{"POST", "/api/v1/incidents/{id}/major", anyToken, s.incidentAction("major")},
		{"POST", "/api/v1/incidents/{id}/severity", anyToken, s.incidentAction("severity")},
		{"POST", "/api/v1/incidents/{id}/page", anyToken, s.incidentAction("page")},
		{"POST", "/api/v1/incidents/{id}/roles", anyToken, s.incidentAction("roles")},
		{"POST", "/api/v1/incidents/{id}/updates", anyToken, s.incidentAction("updates")},
		{"POST", "/api/v1/incidents/{id}/subscribers", anyToken, s.incidentAction("subscribers")},
		{"POST", "/api/v1/incidents/{id}/impact", anyToken, s.incidentAction("impact")},
		{"POST", "/api/v1/incidents/{id}/merge", anyToken, s.incidentAction("merge")},
		{"POST", "/api/v1/incidents/{id}/split", anyToken, s.incidentAction("split")},
		{"GET", "/api/v1/services/{id}/responders", anyToken, s.serviceResponders},
		{"GET", "/api/v1/alerts", anyToken, s.listAlerts},
		{"GET", "/api/v1/alerts/{id}", anyToken, s.getAlert},
		{"GET", "/api/v1/history/alerts", anyToken, s.alertHistory},
		{"GET", "/api/v1/changes", anyToken, s.listChanges},
		{"GET", "/api/v1/events/unrouted", anyToken, s.listRuled(pipeline.AuditUnrouted)},
		{"GET", "/api/v1/events/suppressed", anyToken, s.listRuled(pipeline.AuditSuppressed)},
		{"GET", "/api/v1/services/{id}/maintenance", anyToken, s.listMaintenance},
		{"POST", "/api/v1/services/{id}/maintenance", anyToken, s.createMaintenance},
		{"DELETE", "/api/v1/services/{id}/maintenance/{mid}", anyToken, s.deleteMaintenance},

		{"GET", "/api/v1/oncall", anyToken, s.whoIsOnCall},
		{"GET", "/api/v1/schedules/{id}/oncall", anyToken, s.scheduleOnCall},
		{"GET", "/api/v1/schedules/{id}/shifts", anyToken, s.scheduleShifts},
		{"GET", "/api/v1/schedules/{id}/served-shifts", anyToken, s.listServedShifts},
		{"GET", "/api/v1/schedules/{id}/coverage", anyToken, s.scheduleCoverage},
		{"GET", "/api/v1/schedules/{id}/overrides", anyToken, s.listOverrides},
		{"POST", "/api/v1/schedules/{id}/overrides", anyToken, s.createOverride},
		{"PUT", "/api/v1/schedules/{id}/overrides/{oid}", anyToken, s.moveOverride},
		{"DELETE", "/api/v1/schedules/{id}/overrides/{oid}", anyToken, s.deleteOverride},
		{"GET", "/api/v1/schedules/{id}/timeline", anyToken, s.scheduleTimeline},
		{"POST", "/api/v1/users/{id}/feed_token", anyToken, s.createFeedToken},
		{"GET", "/api/v1/users/{id}/calendar.ics", public, s.userCalendar},
		{"GET", "/api/v1/schedules/{id}/calendar.ics", public, s.scheduleCalendar},
	}
	rs = append(rs, s.sloRoutes()...)
	rs = append(rs, s.postmortemRoutes()...)
	rs = append(rs, s.coverRoutes()...)
	rs = append(rs, s.reportRoutes()...)
	rs = append(rs, s.operationRoutes()...)
	for _, k := range resourceKinds {
		rs = append(rs,
			route{"GET", "/api/v1/" + k.plural, anyToken, s.listObjects(k)},
			route{"POST", "/api/v1/" + k.plural, admin, s.createObject(k)},
			route{"GET", "/api/v1/" + k.plural + "/{id}", anyToken, s.getObject(k)},
			route{"PUT", "/api/v1/" + k.plural + "/{id}", admin, s.replaceObject(k)},
			route{"DELETE", "/api/v1/" + k.plural + "/{id}", admin, s.deleteObject(k)},
		)
	}
	return rs
}

func (s *Server) handle(rt route) {
	pattern := rt.method + " " + rt.pattern
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.requests.WithLabelValues(rt.method, rt.pattern, strconv.Itoa(rec.status)).Inc()
			s.latency.WithLabelValues(rt.method, rt.pattern).Observe(time.Since(start).Seconds())
		}()
		p, err := s.admit(r, rt.access)
		if err != nil {
			var refused *httpError
			if errors.As(err, &refused) && refused.status == http.StatusUnauthorized && byCookie(r) {
				// A cookie that no longer signs in goes.
				s.clearSessionCookies(rec, r)
			}
			s.writeErr(rec, r, err)
			return
		}
		if err := rt.handler(rec, r, p); err != nil {
			s.writeErr(rec, r, err)
		}
	}))
}

// admit checks who is asking against the route's access, then the one
// rule for text at the edge: no handler sees a path or query with invalid
// UTF-8 or a NUL character. No object has such an id, so a path is not
// found; a query parameter is refused by name.
func (s *Server) admit(r *http.Request, a access) (auth.Principal, error) {
	var p auth.Principal
	if a != public {
		var err error
		if p, err = s.authenticate(r); err != nil {
			return p, err
		}
		if a == admin && !auth.CanConfigure(p) {
			return p, forbidden("this needs an admin token")
		}
		if !auth.CanRead(p) {
			return p, forbidden("token role %.64q may not read", p.Role)
		}
	}
	if problem := textProblem(r.URL.Path); problem != "" {
		return p, notFound("no object has this id: the path is %s", problem)
	}
	return p, checkFields("query parameter", r.URL.Query())
}

// authenticate resolves the bearer token, or the session cookie (see
// credential): 401 on failure, 403 to a request the cookie authenticates
// that changes state without the CSRF token, and 429 to a client that
// keeps failing (token guessing). Only failures are
// throttled: a valid token passes whatever others sent from its address,
// so that one client behind a shared address (a NAT, a proxy) cannot lock
// everyone else out.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	client := s.clientAddress(r)
	secret, fromCookie, err := credential(r)
	if err != nil {
		return auth.Principal{}, s.refuseCredential(client, `Bearer realm="vigil"`, "missing bearer token")
	}
	if err := checkCSRF(r, secret, fromCookie); err != nil {
		return auth.Principal{}, err
	}
	tok, err := s.store.TokenByHash(r.Context(), auth.Hash(secret))
	const invalidToken = `Bearer realm="vigil", error="invalid_token"`
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return auth.Principal{}, unavailable(err, "cannot check the token now")
	case err != nil || tok.RevokedAt != nil:
		return auth.Principal{}, s.refuseCredential(client, invalidToken, "invalid or revoked token")
	case tok.ExpiresAt != nil && !s.now().Before(*tok.ExpiresAt):
		return auth.Principal{}, &httpError{status: http.StatusUnauthorized, code: "unauthorized", message: "the session expired; log in again", challenge: invalidToken}
	case tok.Role == auth.RoleUser && s.org.Snapshot().User(tok.UserID) == nil:
		// The user left the configuration: their tokens stop with them.
		return auth.Principal{}, refusal(http.StatusUnauthorized, "unauthorized", "the token's user %q no longer exists", tok.UserID)
	}
	return auth.Principal{TokenID: tok.ID, UserID: tok.UserID, Role: tok.Role}, nil
}

// refuseCredential refuses a credential that did not check out: 401 with
// the challenge (when given), spending one of the key's attempts; 429 once
// the key has none left.
func (s *Server) refuseCredential(key, challenge, format string, args ...any) error {
	if err := s.throttle(key); err != nil {
		return err
	}
	s.authFailures.fail(key)
	return &httpError{status: http.StatusUnauthorized, code: "unauthorized", message: fmt.Sprintf(format, args...), challenge: challenge}
}

// throttle refuses key (a client address, or an address and a user for
// passwords) once it has failed to authenticate too often.
func (s *Server) throttle(key string) error {
	if s.authFailures.allowed(key) {
		return nil
	}
	return errThrottled
}

// clientAddress names the client for the failed-authentication throttle
// (see clientAddr).
func (s *Server) clientAddress(r *http.Request) string {
	return clientAddr(r, s.trustedProxies)
}

// passwordKey is what the throttle counts a password's failures against:
// the client's address and the user, so that guessing one user's password
// never locks out another's from the same address. Failures for names
// that are no configured user share the address's one key, which keeps
// the throttle's memory bounded by the users there are.
func (s *Server) passwordKey(r *http.Request, user string) string {
	if s.org.Snapshot().User(user) == nil {
		user = ""
	}
	return s.clientAddress(r) + " " + user
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers whether the server can serve: 200 {"status": "ready"},
// else 503 {"status": "unavailable", "message"} with the reason.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": "store unreachable: " + err.Error()})
		return nil
	}
	v, err := s.store.SchemaVersion(ctx)
	if err != nil || v < s.schema {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "message": "migrations not done", "schema_version": v})
		return nil
	}
	if err := s.configNotLoaded(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema_version": v})
	return nil
}

// configNotLoaded says why no configuration has loaded, or nil when one
// has: the store holds one, or the one the server was started with
// applied (it may be empty), or it was started without one.
func (s *Server) configNotLoaded() error {
	version := s.org.Snapshot().Version
	if version < 0 {
		return errors.New("configuration not loaded")
	}
	if version > 0 || s.configRefused == nil {
		return nil
	}
	if err := s.configRefused(); err != nil {
		return fmt.Errorf("configuration not loaded: %w", err)
	}
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.version})
	return nil
}

// limiter is a token bucket per client, used to slow down repeated
// authentication failures.
type limiter struct {
	burst, perSecond float64
	now              func() time.Time
	mu               sync.Mutex
	buckets          map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst, perSecond float64, now func() time.Time) *limiter {
	return &limiter{burst: burst, perSecond: perSecond, now: now, buckets: map[string]*bucket{}}
}

func (l *limiter) refill(key string) *bucket {
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 10000 { // forget everyone rather than grow without bound
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.perSecond)
	b.last = now
	return b
}

// allowed reports whether the client still has attempts left.
func (l *limiter) allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refill(key).tokens >= 1
}

// fail spends one attempt.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	b.tokens = max(0, b.tokens-1)
}
