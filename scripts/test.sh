#!/usr/bin/env bash
# Runs Vigil's whole test suite. It starts (and afterwards stops) whatever the
# tests need that is not running: PostgreSQL. Usage:
#   scripts/test.sh          # everything, as CI runs it
#   scripts/test.sh long     # every fuzz target for a minute (FUZZTIME to change),
#                            # and the whole suite again at each instant of the date sweep
#   scripts/test.sh quick    # no fuzzing at all
#   scripts/test.sh sweep    # the suite, then the date sweep alone, no fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
work=$(mktemp -d /tmp/vigil-test.XXXXXX)
cleanup_steps=()
cleanup() {
  local i
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do eval "${cleanup_steps[i]}" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*"; }

apt_ready=
apt_install() {
  if [ -z "$apt_ready" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_ready=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- PostgreSQL -------------------------------------------------------------
start_postgres() {
  if port_open 127.0.0.1 5432; then
    say "PostgreSQL answers on 127.0.0.1:5432"
    pg_host=127.0.0.1 pg_port=5432
  else
    say "no PostgreSQL on 127.0.0.1:5432: starting one"
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      apt_install postgresql postgresql-client
    fi
    local bin
    bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
    local data="$work/pgdata"
    mkdir -p "$data"
    chown postgres:postgres "$data" "$work" 2>/dev/null || true
    chmod 755 "$work"
    runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/log" -w \
      -o "-p 5432 -c listen_addresses=127.0.0.1 -k $data -c fsync=off" start >/dev/null
    cleanup_steps+=("runuser -u postgres -- '$bin/pg_ctl' -D '$data' -m fast stop >/dev/null")
    pg_host=127.0.0.1 pg_port=5432
  fi
  local dbname=vigil_test
  if command -v psql >/dev/null; then
    psql -h "$pg_host" -p "$pg_port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1 ||
      psql -h "$pg_host" -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE $dbname" >/dev/null
  fi
  export VIGIL_TEST_POSTGRES="postgres://postgres@$pg_host:$pg_port/$dbname?sslmode=disable"
}

# --- mailpit (SMTP server for the email channel tests) ----------------------
start_mailpit() {
  local bin smtp=127.0.0.1:11025 http=127.0.0.1:18025
  bin="$(go env GOPATH)/bin/mailpit"
  if [ ! -x "$bin" ]; then
    say "installing mailpit (the first build takes a few minutes)"
    go install github.com/axllent/mailpit@v1.27.11
  fi
  say "starting mailpit: SMTP $smtp, API http://$http"
  "$bin" --smtp "$smtp" --listen "$http" --database "$work/mailpit.db" \
    --smtp-auth-accept-any --smtp-auth-allow-insecure --disable-version-check \
    >"$work/mailpit.log" 2>&1 &
  local pid=$!
  cleanup_steps+=("kill $pid; wait $pid 2>/dev/null")
  local i
  for ((i = 0; i < 100; i++)); do
    if port_open 127.0.0.1 "${smtp##*:}" && port_open 127.0.0.1 "${http##*:}"; then
      export VIGIL_TEST_SMTP="$smtp" VIGIL_TEST_MAILPIT_API="http://$http" VIGIL_TEST_MAILPIT_BIN="$bin"
      return 0
    fi
    sleep 0.1
  done
  cat "$work/mailpit.log" >&2
  echo "mailpit did not start" >&2
  return 1
}

# --- Alertmanager (the end-to-end tests in internal/e2e run the real one) ---
install_alertmanager() {
  if [ ! -x /usr/bin/prometheus-alertmanager ]; then
    say "installing prometheus-alertmanager"
    apt_install prometheus-alertmanager
  fi
}

# --- Chromium (the web UI's browser tests in internal/web drive it) -----------
install_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium"
    apt_install chromium fonts-liberation
  fi
}

# --- Prometheus and promtool (SLO pull test, rules check) -------------------
# Built from source at a pinned version, only when missing: the build of
# prometheus takes several minutes.
install_prometheus() {
  local bin tool
  bin="$(go env GOPATH)/bin"
  for tool in prometheus promtool; do
    if [ ! -x "$bin/$tool" ]; then
      say "installing $tool (the first build takes several minutes)"
      go install "github.com/prometheus/prometheus/cmd/$tool@v0.316.0"
    fi
  done
  export PATH="$bin:$PATH"
}

start_postgres
start_mailpit
install_alertmanager
install_prometheus
install_chromium

# --- static checks ------------------------------------------------------------
say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
say "go mod tidy"
# go.mod lists what the code imports, go.sum nothing stale, and the archived
# gopkg.in/yaml.v3 stays out (its maintained fork is go.yaml.in/yaml/v3).
go mod tidy -diff
if go list -deps -test ./... | grep -qx 'gopkg.in/yaml.v3'; then
  echo "gopkg.in/yaml.v3 is archived: import go.yaml.in/yaml/v3" >&2
  exit 1
fi
say "go vet"
go vet ./...
say "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# --- tests ------------------------------------------------------------------
say "go test -race"
# The api and web packages run hundreds of servers (and Chromium) under the
# race detector: past go test's default of 10 minutes a package is killed,
# which on a slow machine would fail the suite on time alone; a test that
# hangs is still stopped, with every goroutine's stack.
go test -race -count=1 -timeout 30m ./...

say "promtool check rules on the rules vigil slo rules writes for examples/org"
go run ./cmd/vigil slo rules -f examples/org -o "$work/slo-rules.yaml"
promtool check rules "$work/slo-rules.yaml"

# The date sweep: the whole suite again with the server's and the CLI's
# "now" pinned (VIGIL_TEST_NOW, read only by internal/clock) to instants
# chosen for what usually breaks date-dependent tests: each example freeze,
# a public holiday of each example country, weekend and weekday nights, and
# both daylight-saving changeovers of 2027 in Europe and in the US.
sweep_instants=(
  2026-11-27T10:00:00Z # Friday in the Black Friday freeze of checkout
  2026-12-25T10:00:00Z # Christmas: holiday in DE, US and AU; year-end freeze
  2027-01-26T01:00:00Z # Australia Day (AU), noon in Sydney; no freeze
  2027-02-10T10:00:00Z # an ordinary Wednesday morning, nothing in force
  2027-02-10T04:00:00Z # Tuesday 23:00 in New York: payments-api's nightly freeze
  2027-02-12T15:30:00Z # Friday 16:30 in Berlin: the friday-afternoons freeze
  2027-02-14T02:30:00Z # Sunday 03:30 in Berlin, a weekend night
  2027-03-14T07:30:00Z # just after the US spring-forward (03:30 EDT)
  2027-03-28T01:30:00Z # just after the EU spring-forward (03:30 CEST)
  2027-05-06T09:00:00Z # Ascension Day, a holiday in DE only
  2027-07-05T15:00:00Z # Independence Day observed in the US
  2027-10-31T01:30:00Z # just after the EU fall-back (02:30 CET)
  2027-11-07T06:30:00Z # just after the US fall-back (01:30 EST)
)
if [ "$mode" = long ] || [ "$mode" = sweep ]; then
  for at in "${sweep_instants[@]}"; do
    say "go test with now pinned to $at"
    # Cached results are kept: go test's cache key includes the
    # environment variables a package's tests read, so every package that
    # reads VIGIL_TEST_NOW (through internal/clock or vigiltest, or to
    # hand it to the binaries it starts) runs again at each instant, and
    # only those that never look at "now" are answered from the cache.
    VIGIL_TEST_NOW=$at go test -timeout 30m ./...
  done
fi
if [ "$mode" = sweep ]; then
  exit 0
fi

# Every fuzz target runs briefly here (its seed corpus already ran above as
# a test); "long" mode runs each for a minute, or FUZZTIME. The short run
# counts executions rather than time: a time limit this short sometimes
# ends a worker mid-input, which go test reports as a failure.
fuzztime=${FUZZTIME:-2000x}
if [ "$mode" = long ]; then
  fuzztime=${FUZZTIME:-60s}
fi
if [ "$mode" != quick ]; then
  say "fuzzing every target for $fuzztime"
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
      say "fuzz $pkg $target"
      go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg"
    done
  done
fi
