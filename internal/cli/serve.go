package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/api"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/opsrun"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storeopen"
	"github.com/vigil-oncall/vigil/internal/web"
)

// defaultDB is the embedded default store.
const defaultDB = "sqlite:./vigil.db"

// configRefresh is how often a replica checks whether another one changed
// the shared configuration.
const configRefresh = time.Second

func runServe(ctx context.Context, args []string, env Env) int {
	fs := newFlags("serve", "[--addr HOST:PORT] [--db DSN] [--config PATH]", env)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := fs.String("db", defaultDB, "store: sqlite:PATH (embedded) or postgres://... (shared by replicas)")
	configPath := fs.String("config", "", "configuration file or directory applied at start and on SIGHUP")
	publicURL := fs.String("public-url", "", "URL people reach this server at, for links in notifications (default http://ADDR)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file until the server stops")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof (with block and mutex profiles) on this loopback HOST:PORT")
	trustedProxies := fs.String("trusted-proxies", "", "comma-separated addresses or CIDR prefixes of the load balancers in front of this server: for their requests, the client is read from X-Forwarded-For")
	claimLease := fs.Duration("claim-lease", 10*time.Second, "how long a replica's claim on the notifications it is sending lasts unrenewed (it renews them every third of it while sending); a dead replica's sends are retried after it")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *claimLease < time.Second {
		fmt.Fprintf(env.Stderr, "vigil serve: --claim-lease %s: want at least 1s\n", *claimLease)
		return exitError
	}
	proxies, err := api.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil serve: --trusted-proxies: %v\n", err)
		return exitError
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(env.Stderr, "vigil serve: invalid --log-level %q\n", *logLevel)
		return exitError
	}
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil serve: %v\n", err)
			return exitError
		}
		defer stop()
	}
	if *pprofAddr != "" {
		stop, err := startPprof(*pprofAddr, log)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil serve: %v\n", err)
			return exitError
		}
		defer stop()
	}
	if err := serve(ctx, serveOptions{addr: *addr, dsn: *dsn, configPath: *configPath, publicURL: *publicURL, claimLease: *claimLease,
		trustedProxies: proxies, env: env, log: log}); err != nil {
		log.Error("vigil serve stopped", "err", err)
		return exitFail
	}
	return exitOK
}

type serveOptions struct {
	addr, dsn, configPath, publicURL string
	claimLease                       time.Duration
	trustedProxies                   []netip.Prefix
	env                              Env
	log                              *slog.Logger
	// ready, when set, receives the listening address once serving.
	ready chan<- string
}

func serve(ctx context.Context, o serveOptions) error {
	now, err := clock.FromEnv(o.env.Getenv)
	if err != nil {
		return err
	}
	if o.env.Getenv(clock.PinVariable) != "" {
		o.log.Warn("the clock is pinned for testing", "variable", clock.PinVariable, "now", now().UTC().Format(time.RFC3339))
	}
	st, err := storeopen.Open(ctx, o.dsn)
	if err != nil {
		return fmt.Errorf("open store %s: %w", redactDSN(o.dsn), err)
	}
	defer st.Close()
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if err := ensureAdminToken(ctx, st, o.env.Getenv("VIGIL_ADMIN_TOKEN"), now().UTC(), o.log); err != nil {
		return err
	}
	manager := org.NewManager(st, now)
	if err := manager.Load(ctx); err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	refused := &configRefusal{}
	if o.configPath != "" {
		refused.set(applyConfigFile(ctx, manager, o.configPath, o.log))
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	publicURL := o.publicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	linkKey, err := st.Secret(ctx, "link-signing-key", newKey)
	if err != nil {
		return fmt.Errorf("link signing key: %w", err)
	}
	signer, err := links.NewSigner(linkKey, now)
	if err != nil {
		return fmt.Errorf("link signer: %w", err)
	}
	callbackKey, err := st.Secret(ctx, "callback-signing-key", newKey)
	if err != nil {
		return fmt.Errorf("callback signing key: %w", err)
	}
	registry := prometheus.NewRegistry()
	pipe := pipeline.New(pipeline.Options{
		Store: st, Org: manager, Now: now, Logger: o.log,
		Channels: pipeline.DefaultChannels(manager, o.env.Getenv),
		Signer:   signer, PublicURL: publicURL, Getenv: o.env.Getenv, Registry: registry,
		CallbackKey: callbackKey, ClaimLease: o.claimLease,
	})
	ui, err := web.New()
	if err != nil {
		return err
	}
	sloEngine := sloengine.New(sloengine.Options{Store: st, SLOs: func() []slo.SLO { return manager.Snapshot().SLOs() },
		Accept: pipe.Accept, Now: now, Logger: o.log})
	runner := opsrun.New(opsrun.Options{Store: st, Org: manager.Snapshot, Now: now, Getenv: o.env.Getenv, Logger: o.log})
	srv := api.New(api.Options{Store: st, Pipeline: pipe, Signer: signer, Org: manager, Logger: o.log, Now: now,
		Version: o.env.Version, SchemaVersion: schema, Registry: registry, PublicURL: publicURL, Getenv: o.env.Getenv, UI: ui,
		SLO: sloEngine, Operations: runner, TrustedProxies: o.trustedProxies, ConfigRefused: refused.get})
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelWarn),
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // owner: serve; stops with ctx
		defer wg.Done()
		background(ctx, manager, refused, o)
	}()
	pipeCtx, stopPipe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPipe()
	go func() { // owner: serve; stops after the HTTP server drained
		defer wg.Done()
		pipe.Run(pipeCtx)
	}()
	wg.Add(1)
	go func() { // owner: serve; stops with ctx, before the pipeline it sends alerts to
		defer wg.Done()
		sloEngine.Run(ctx)
	}()
	wg.Add(1)
	go func() { // owner: serve; stops with ctx, after the HTTP server drained, failing what it still runs
		defer wg.Done()
		runner.Run(ctx)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	o.log.Info("vigil serving", "addr", ln.Addr().String(), "db", redactDSN(o.dsn), "version", o.env.Version, "schema", schema)
	if o.ready != nil {
		o.ready <- ln.Addr().String()
	}

	select {
	case err := <-serveErr:
		cancel()
		stopPipe()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	o.log.Info("vigil shutting down")
	shutdownCtx, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	err = httpServer.Shutdown(shutdownCtx)
	cancel()
	// The pipeline stops after the HTTP server, so that requests still
	// draining can have their events committed.
	stopPipe()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

// newKey makes a signing key for the store to keep when it holds none yet.
func newKey() ([]byte, error) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	return key, err
}

// background keeps the configuration fresh: it re-applies the config files
// on SIGHUP and picks up other replicas' changes.
func background(ctx context.Context, manager *org.Manager, refused *configRefusal, o serveOptions) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(configRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if o.configPath == "" {
				o.log.Warn("SIGHUP without --config: nothing to reload")
				continue
			}
			refused.set(applyConfigFile(ctx, manager, o.configPath, o.log))
		case <-tick.C:
			if changed, err := manager.Refresh(ctx); err != nil {
				o.log.Warn("configuration refresh failed", "err", err)
			} else if changed {
				o.log.Info("configuration changed by another replica", "version", manager.Snapshot().Version)
			}
		}
	}
}

// applyConfigFile applies config files; a bad file is refused whole, the
// running configuration stays, and the reason is returned.
func applyConfigFile(ctx context.Context, manager *org.Manager, path string, log *slog.Logger) error {
	loaded, err := loadConfigQuiet(path)
	if err == nil {
		var changes []org.Change
		if changes, err = manager.Apply(ctx, loaded, "config:"+path, false); err == nil {
			log.Info("configuration applied", "path", path, "changes", len(changes), "version", manager.Snapshot().Version)
			return nil
		}
	}
	log.Error("configuration refused; the running configuration stays", "path", path, "err", err)
	return fmt.Errorf("%s refused: %w", path, err)
}

// configRefusal holds why the last application of --config was refused,
// for /readyz: the server is not ready while it has no configuration.
type configRefusal struct{ err atomic.Pointer[error] }

func (c *configRefusal) set(err error) { c.err.Store(&err) }

func (c *configRefusal) get() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// bootstrapTokenID names the token VIGIL_ADMIN_TOKEN ensures.
const bootstrapTokenPrefix = "bootstrap-"

// ensureAdminToken makes the VIGIL_ADMIN_TOKEN value a working admin token.
func ensureAdminToken(ctx context.Context, st store.Store, secret string, now time.Time, log *slog.Logger) error {
	if secret == "" {
		return nil
	}
	if len(secret) < 16 {
		return errors.New("VIGIL_ADMIN_TOKEN must be at least 16 characters")
	}
	hash := auth.Hash(secret)
	tok, err := st.TokenByHash(ctx, hash)
	switch {
	case err == nil && tok.RevokedAt == nil:
		return nil
	case err == nil:
		return fmt.Errorf("VIGIL_ADMIN_TOKEN names token %s, which was revoked: choose a new value", tok.ID)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("look up the admin token: %w", err)
	}
	id := fmt.Sprintf("%s%x", bootstrapTokenPrefix, hash[:6])
	tok = store.Token{ID: id, Name: "VIGIL_ADMIN_TOKEN", Hash: hash, Role: auth.RoleAdmin, CreatedAt: now}
	audit := store.AuditEntry{At: now, Actor: "system", Action: "token.create", Kind: "token", ObjID: id, Details: "ensured from VIGIL_ADMIN_TOKEN"}
	if err := st.CreateToken(ctx, tok, audit); err != nil {
		return fmt.Errorf("create the admin token: %w", err)
	}
	log.Info("admin token ensured from VIGIL_ADMIN_TOKEN", "token_id", id)
	return nil
}

// redactDSN hides a password in a DSN before it is logged.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return dsn[:scheme+3] + user + ":***" + dsn[at:]
	}
	return dsn
}
