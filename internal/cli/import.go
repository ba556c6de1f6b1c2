package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/grafanaoncall"
	"github.com/vigil-oncall/vigil/internal/importer/opsgenie"
	"github.com/vigil-oncall/vigil/internal/importer/pagerduty"
)

// vendor is one source vigil import reads.
type vendor struct {
	name string
	run  func(context.Context, importer.Source, importer.Options) (*importer.Result, error)
	// api makes the live source: base URL, token, HTTP client, now.
	api func(*url.URL, string, *http.Client, time.Time) *importer.API
	// defaultURL is the vendor's public API, for --api-url's help.
	defaultURL string
}

func vendors() map[string]vendor {
	return map[string]vendor{
		"pagerduty":      {pagerduty.Vendor, pagerduty.Import, pagerduty.API, pagerduty.DefaultAPI},
		"opsgenie":       {opsgenie.Vendor, opsgenie.Import, opsgenie.API, opsgenie.DefaultAPI},
		"grafana-oncall": {grafanaoncall.Vendor, grafanaoncall.Import, grafanaoncall.API, grafanaoncall.DefaultAPI},
	}
}

// tokenVariable holds the vendor's API token for --api-url.
const tokenVariable = "VIGIL_IMPORT_TOKEN"

const importUsage = `Usage: vigil import VENDOR (--from DIR | --api-url URL [--from DIR]) --out DIR [--at TIME]

Reads an on-call setup from another tool and writes a Vigil configuration
directory plus IMPORT-REPORT.md, naming everything not carried over.

VENDOR is one of: %s.

--from DIR holds the vendor's REST API responses saved as JSON: one file
per list (users.json; more pages as users-2.json, users-3.json...) and one
per object where a list leaves out what is needed (schedules/ID.json). With
--api-url the importer fetches them itself, with the token in $%s (or
the variable --token-env names), and saves them in --from when given:
https://api.pagerduty.com, https://api.opsgenie.com (api.eu.opsgenie.com
for EU accounts), or the stack's Grafana OnCall API URL.

Flags:
`

func runImport(ctx context.Context, args []string, env Env) int {
	vs := vendors()
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	fs := newFlags("import", "", env)
	from := fs.String("from", "", "directory of saved API responses (with --api-url: where to save them)")
	out := fs.String("out", "", "directory to write the configuration and IMPORT-REPORT.md to (required)")
	apiURL := fs.String("api-url", "", "fetch from the vendor's REST API at this URL instead of --from")
	tokenEnv := fs.String("token-env", tokenVariable, "environment variable holding the API token for --api-url")
	atText := fs.String("at", "", "the RFC 3339 instant the import treats as now: overrides and layers ended before it are history (default: now)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), importUsage, strings.Join(names, ", "), tokenVariable)
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] == "help" {
		fs.SetOutput(env.Stdout)
		fs.Usage()
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		// Help or a flag before the vendor.
		if code, done := parseFlags(fs, args, env); done {
			return code
		}
		fmt.Fprintf(env.Stderr, "vigil import: name the vendor first (%s)\n", strings.Join(names, ", "))
		return exitError
	}
	v, ok := vs[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil import: unknown vendor %q (%s)\n", args[0], strings.Join(names, ", "))
		return exitError
	}
	if code, done := parseFlags(fs, args[1:], env); done {
		return code
	}
	if *out == "" || *from == "" && *apiURL == "" {
		fmt.Fprintln(env.Stderr, "vigil import: --out and one of --from and --api-url are required")
		return exitError
	}
	var now time.Time
	if *atText != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, *atText); err != nil {
			fmt.Fprintf(env.Stderr, "vigil import: --at %q is not an RFC 3339 time such as 2026-02-03T09:00:00Z\n", *atText)
			return exitError
		}
	} else {
		clk, err := clock.FromEnv(env.Getenv)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil import: %v\n", err)
			return exitError
		}
		now = clk()
	}
	var src importer.Source
	if *apiURL != "" {
		base, err := url.Parse(*apiURL)
		if err != nil || base.Scheme != "https" && base.Scheme != "http" || base.Host == "" {
			fmt.Fprintf(env.Stderr, "vigil import: --api-url %q is not an http(s) URL such as %s\n", *apiURL, v.defaultURL)
			return exitError
		}
		token := env.Getenv(*tokenEnv)
		if token == "" {
			fmt.Fprintf(env.Stderr, "vigil import: --api-url needs the API token in $%s\n", *tokenEnv)
			return exitError
		}
		api := v.api(base, token, &http.Client{Timeout: time.Minute}, now)
		api.Save = *from
		src = api
	} else {
		dir, err := importer.NewDir(*from)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil import: %v\n", err)
			return exitError
		}
		src = dir
	}
	res, err := v.run(ctx, src, importer.Options{Now: now})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil import: %s: %v\n", v.name, err)
		return exitError
	}
	if _, err := importer.Write(*out, res); err != nil {
		fmt.Fprintf(env.Stderr, "vigil import: %v\n", err)
		return exitError
	}
	var counts []string
	for _, c := range res.Counts() {
		counts = append(counts, fmt.Sprintf("%d %s", c.N, c.What))
	}
	fmt.Fprintf(env.Stdout, "imported from %s: %s\n", v.name, strings.Join(counts, ", "))
	fmt.Fprintf(env.Stdout, "not carried over: %d, carried over with a change: %d; read %s\n",
		len(res.Report.Skipped()), len(res.Report.Changed()), filepath.Join(*out, importer.ReportFile))
	// The written directory must be what vigil validate accepts.
	if _, ok := loadConfig([]string{*out}, env); !ok {
		fmt.Fprintln(env.Stderr, "vigil import: the configuration written is not valid; please report this with the files imported")
		return exitFail
	}
	return exitOK
}
