#!/usr/bin/env bash
# Runs Vigil's whole test suite. It starts (and afterwards stops) whatever the
# tests need that is not running: PostgreSQL. Usage:
#   scripts/test.sh          # everything, as CI runs it
#   scripts/test.sh long     # runs every fuzz target for a minute (FUZZTIME to change)
#   scripts/test.sh quick    # no fuzzing at all
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
say "go vet"
go vet ./...
say "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# --- tests ------------------------------------------------------------------
say "go test"
go test -count=1 ./...

say "promtool check rules on the rules vigil slo rules writes for examples/org"
go run ./cmd/vigil slo rules -f examples/org -o "$work/slo-rules.yaml"
promtool check rules "$work/slo-rules.yaml"

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
