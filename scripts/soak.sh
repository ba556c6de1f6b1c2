#!/usr/bin/env bash
# Runs the reliability tests (internal/reliability) at soak size, then every
# fuzz target for longer, and prints a table of what the tests measured.
# CI runs the short version of the same tests through `go test ./...`.
#
#   scripts/soak.sh                        # everything: about 10 minutes, then 1m per fuzz target
#   SOAK_RUN=TestAlertStorm scripts/soak.sh    # only the tests matching a -run pattern
#   FUZZTIME=30m scripts/soak.sh           # fuzz each target longer
#   FUZZTIME=0 scripts/soak.sh             # no fuzzing
#
# The replica test needs PostgreSQL: set VIGIL_TEST_POSTGRES, or have one
# answer on 127.0.0.1:5432 (scripts/test.sh starts one). Without it that
# test is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/vigil-soak.XXXXXX)
trap 'rm -rf "$work"' EXIT
figures="$work/figures.jsonl"
: >"$figures"

say() { printf '==> %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# figure appends one row to the table, in the shape the tests write.
figure() {
  printf '{"test":"%s","mode":"soak","figure":"%s","value":"%s"}\n' "$1" "$2" "$3" >>"$figures"
}

if [ -z "${VIGIL_TEST_POSTGRES:-}" ] && port_open 127.0.0.1 5432; then
  export VIGIL_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
fi
if [ -z "${VIGIL_TEST_POSTGRES:-}" ]; then
  say "no PostgreSQL (VIGIL_TEST_POSTGRES unset, nothing on 127.0.0.1:5432): the replica test is skipped"
fi

status=0
say "reliability tests at soak size (VIGIL_SOAK=1)"
if ! VIGIL_SOAK=1 VIGIL_RELIABILITY_FIGURES="$figures" \
  go test -count=1 -timeout 60m -v -run "${SOAK_RUN:-.}" ./internal/reliability/ >"$work/test.log" 2>&1; then
  status=1
fi
grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|\s+--- (PASS|FAIL|SKIP)|(ok|FAIL|PASS)\b)' "$work/test.log" | grep -v '=== RUN' || true
if [ "$status" -ne 0 ]; then
  say "the reliability tests failed; their output:"
  grep -vE '^\s+\{"time"' "$work/test.log" | tail -n 200
fi
grep -E -- '--- (PASS|FAIL|SKIP): Test' "$work/test.log" | while read -r _ result name took; do
  figure "$name" "result" "${result%:} $took"
done

fuzztime=${FUZZTIME:-1m}
if [ "$fuzztime" != 0 ]; then
  say "fuzzing every target for $fuzztime"
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
      say "fuzz $pkg $target"
      log="$work/fuzz-$target.log"
      if go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
        execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | sed 's/execs: //')
        figure "fuzz ${pkg#github.com/vigil-oncall/vigil/}" "$target" "ok, ${execs:-?} execs in $fuzztime"
      else
        status=1
        figure "fuzz ${pkg#github.com/vigil-oncall/vigil/}" "$target" "FAILED"
        tail -n 40 "$log"
      fi
    done
  done
fi

say "summary"
if command -v jq >/dev/null; then
  jq -r '[.test, .figure, .value] | @tsv' "$figures" | column -t -s $'\t'
else
  cat "$figures"
fi
exit "$status"
