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
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
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
	latency  *prometheus.HistogramVec

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

	slo *sloengine.Engine

	configRefused func() error
}

// access says who may call a route.
type access int

const (
	public access = iota // no token (health, metrics, ingest checks its own key)
	reader               // any valid token
	admin                // a token with the admin role
)

// route is one endpoint; the OpenAPI test walks this table.
type route struct {
	method, pattern string
	access          access
	handler         func(http.ResponseWriter, *http.Request, auth.Principal)
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
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
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
	s.registry.MustRegister(s.requests, s.latency,
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
		{"GET", "/api/v1/version", reader, s.getVersion},
		{"GET", "/api/v1/org", reader, s.getOrg},
		{"PUT", "/api/v1/org", admin, s.putOrg},
		{"GET", "/api/v1/config", reader, s.exportConfig},
		{"POST", "/api/v1/config/apply", admin, s.applyConfig},
		{"GET", "/api/v1/services/{id}/dependencies", reader, s.serviceDependencies},
		{"GET", "/api/v1/services/{id}/dependents", reader, s.serviceDependents},
		{"GET", "/api/v1/services/{id}/blast_radius", reader, s.serviceBlastRadius},
		{"GET", "/api/v1/tokens", admin, s.listTokens},
		{"POST", "/api/v1/tokens", admin, s.createToken},
		{"DELETE", "/api/v1/tokens/{id}", admin, s.revokeToken},
		{"GET", "/api/v1/audit", admin, s.listAudit},
		{"POST", "/api/v1/login", public, s.login},
		{"POST", "/api/v1/logout", reader, s.logout},
		{"PUT", "/api/v1/users/{id}/password", reader, s.setPassword},

		{"POST", "/v2/enqueue", public, s.pagerDutyEnqueue},
		{"POST", "/v2/change/enqueue", public, s.pagerDutyChange},
		{"POST", "/api/v1/integrations/alertmanager/{key}", public, s.integrationWebhook(catalog.IntegrationAlertmanager)},
		{"POST", "/api/v1/integrations/grafana/{key}", public, s.integrationWebhook(catalog.IntegrationGrafana)},
		{"POST", "/api/v1/integrations/generic/{key}", public, s.integrationWebhook(catalog.IntegrationGeneric)},
		{"POST", "/api/v1/heartbeat/{key}", public, s.heartbeat},
		{"GET", "/a/{token}", public, s.actionLinkGet},
		{"POST", "/a/{token}", public, s.actionLinkPost},
		{"POST", "/api/v1/twilio/sms", public, s.twilioSMS},
		{"POST", "/api/v1/twilio/voice", public, s.twilioVoice},
		{"POST", "/api/v1/twilio/status", public, s.twilioStatus},
		{"POST", "/api/v1/integrations/slack/actions", public, s.slackActions},
		{"POST", "/api/v1/integrations/mattermost/actions", public, s.mattermostActions},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/test", reader, s.testContactMethod},
		{"GET", "/api/v1/users/{id}/contact_methods/{cm}/verification", reader, s.getVerification},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/verification", reader, s.startVerification},
		{"POST", "/api/v1/users/{id}/contact_methods/{cm}/verification/confirm", reader, s.confirmVerification},

		{"GET", "/api/v1/incidents", reader, s.listIncidents},
		{"GET", "/api/v1/incidents/{id}", reader, s.getIncident},
		{"GET", "/api/v1/incidents/{id}/alerts", reader, s.incidentAlerts},
		{"GET", "/api/v1/incidents/{id}/notifications", reader, s.incidentNotifications},
		{"POST", "/api/v1/incidents/{id}/acknowledge", reader, s.incidentAction("acknowledge")},
		{"POST", "/api/v1/incidents/{id}/resolve", reader, s.incidentAction("resolve")},
		{"POST", "/api/v1/incidents/{id}/snooze", reader, s.incidentAction("snooze")},
		{"POST", "/api/v1/incidents/{id}/reassign", reader, s.incidentAction("reassign")},
		{"POST", "/api/v1/incidents/{id}/notes", reader, s.incidentAction("notes")},
		{"POST", "/api/v1/incidents", reader, s.declareIncident},
		{"POST", "/api/v1/incidents/{id}/major", reader, s.incidentAction("major")},
		{"POST", "/api/v1/incidents/{id}/severity", reader, s.incidentAction("severity")},
		{"POST", "/api/v1/incidents/{id}/page", reader, s.incidentAction("page")},
		{"POST", "/api/v1/incidents/{id}/roles", reader, s.incidentAction("roles")},
		{"POST", "/api/v1/incidents/{id}/updates", reader, s.incidentAction("updates")},
		{"POST", "/api/v1/incidents/{id}/subscribers", reader, s.incidentAction("subscribers")},
		{"POST", "/api/v1/incidents/{id}/merge", reader, s.incidentAction("merge")},
		{"POST", "/api/v1/incidents/{id}/split", reader, s.incidentAction("split")},
		{"GET", "/api/v1/services/{id}/responders", reader, s.serviceResponders},
		{"GET", "/api/v1/alerts", reader, s.listAlerts},
		{"GET", "/api/v1/alerts/{id}", reader, s.getAlert},
		{"GET", "/api/v1/changes", reader, s.listChanges},
		{"GET", "/api/v1/services/{id}/maintenance", reader, s.listMaintenance},
		{"POST", "/api/v1/services/{id}/maintenance", reader, s.createMaintenance},
		{"DELETE", "/api/v1/services/{id}/maintenance/{mid}", reader, s.deleteMaintenance},

		{"GET", "/api/v1/oncall", reader, s.whoIsOnCall},
		{"GET", "/api/v1/schedules/{id}/oncall", reader, s.scheduleOnCall},
		{"GET", "/api/v1/schedules/{id}/shifts", reader, s.scheduleShifts},
		{"GET", "/api/v1/schedules/{id}/served-shifts", reader, s.listServedShifts},
		{"GET", "/api/v1/schedules/{id}/coverage", reader, s.scheduleCoverage},
		{"GET", "/api/v1/schedules/{id}/overrides", reader, s.listOverrides},
		{"POST", "/api/v1/schedules/{id}/overrides", reader, s.createOverride},
		{"DELETE", "/api/v1/schedules/{id}/overrides/{oid}", reader, s.deleteOverride},
		{"POST", "/api/v1/users/{id}/feed_token", reader, s.createFeedToken},
		{"GET", "/api/v1/users/{id}/calendar.ics", public, s.userCalendar},
		{"GET", "/api/v1/schedules/{id}/calendar.ics", public, s.scheduleCalendar},
	}
	rs = append(rs, s.sloRoutes()...)
	for _, k := range resourceKinds {
		rs = append(rs,
			route{"GET", "/api/v1/" + k.plural, reader, s.listObjects(k)},
			route{"POST", "/api/v1/" + k.plural, admin, s.createObject(k)},
			route{"GET", "/api/v1/" + k.plural + "/{id}", reader, s.getObject(k)},
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
		var p auth.Principal
		if rt.access != public {
			var ok bool
			if p, ok = s.authenticate(rec, r); !ok {
				return
			}
			if rt.access == admin && !auth.CanConfigure(p) {
				writeError(rec, http.StatusForbidden, "forbidden", "this needs an admin token")
				return
			}
			if !auth.CanRead(p) {
				writeError(rec, http.StatusForbidden, "forbidden", "token role %q may not read", p.Role)
				return
			}
		}
		// One rule for text at the edge: no handler sees a path or query
		// with invalid UTF-8 or a NUL character. No object has such an id,
		// so a path is not found; a query parameter is refused by name.
		if textProblem(r.URL.Path) != "" {
			writeError(rec, http.StatusNotFound, "not_found", "no object has this id: the path is %s", textProblem(r.URL.Path))
			return
		}
		if err := checkQuery(r.URL.Query()); err != nil {
			writeError(rec, http.StatusBadRequest, "bad_request", "%v", err)
			return
		}
		rt.handler(rec, r, p)
	}))
}

// authenticate resolves the bearer token. It answers 401 itself on failure,
// and 429 to a client that keeps failing (token guessing). Only failures
// are throttled: a valid token passes whatever others sent from its
// address, so that one client behind a shared address (a NAT, a proxy)
// cannot lock everyone else out.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	client := s.clientAddress(r)
	secret, err := auth.BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		s.refuseCredential(w, client, `Bearer realm="vigil"`, "missing bearer token")
		return auth.Principal{}, false
	}
	tok, err := s.store.TokenByHash(r.Context(), auth.Hash(secret))
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.log.Error("token lookup", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "cannot check the token now")
		return auth.Principal{}, false
	case err != nil || tok.RevokedAt != nil:
		s.refuseCredential(w, client, `Bearer realm="vigil", error="invalid_token"`, "invalid or revoked token")
		return auth.Principal{}, false
	case tok.ExpiresAt != nil && !s.now().Before(*tok.ExpiresAt):
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "the session expired; log in again")
		return auth.Principal{}, false
	case tok.Role == auth.RoleUser && s.org.Snapshot().User(tok.UserID) == nil:
		// The user left the configuration: their tokens stop with them.
		writeError(w, http.StatusUnauthorized, "unauthorized", "the token's user %q no longer exists", tok.UserID)
		return auth.Principal{}, false
	}
	return auth.Principal{TokenID: tok.ID, UserID: tok.UserID, Role: tok.Role}, true
}

// refuseCredential answers a credential that did not check out: 401 with
// the challenge (when given), and spends one of the key's attempts; 429
// once the key has none left.
func (s *Server) refuseCredential(w http.ResponseWriter, key, challenge, format string, args ...any) {
	if s.throttled(w, key) {
		return
	}
	s.authFailures.fail(key)
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeError(w, http.StatusUnauthorized, "unauthorized", format, args...)
}

// throttled answers 429 when key (a client address, or an address and a
// user for passwords) has failed to authenticate too often, and reports
// whether it did.
func (s *Server) throttled(w http.ResponseWriter, key string) bool {
	if s.authFailures.allowed(key) {
		return false
	}
	w.Header().Set("Retry-After", "60")
	writeError(w, http.StatusTooManyRequests, "rate_limited", "too many failed authentication attempts")
	return true
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

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": "store unreachable: " + err.Error()})
		return
	}
	v, err := s.store.SchemaVersion(ctx)
	if err != nil || v < s.schema {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "message": "migrations not done", "schema_version": v})
		return
	}
	if err := s.configNotLoaded(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema_version": v})
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

func (s *Server) getVersion(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.version})
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
