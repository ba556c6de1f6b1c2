#!/usr/bin/env bash
# Measures Vigil on this machine and compares it with the real Alertmanager:
#   (a) throughput: single-event PagerDuty triggers, 64 clients, as fast as
#       answered, each a new alert (durable: 2xx only once committed);
#   (b) latency: 1,000 triggers/s on schedule, each paging a user through a
#       webhook to a local receiver: trigger-to-page percentiles;
#   (c) Alertmanager: single-alert POST /api/v2/alerts, 64 clients, with
#       group_interval 1s and then 5s (it keeps alerts in memory only).
# Each run starts a fresh server on a fresh SQLite database; the summary is
# the median of RUNS runs. Not part of CI: it takes a few minutes. Usage:
#   scripts/bench.sh                     # RUNS=3 DURATION=10s
#   RUNS=5 DURATION=20s scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
duration=${DURATION:-10s}
rate=${RATE:-1000}
clients=${CLIENTS:-64}
vigil_addr=${VIGIL_BENCH_ADDR:-127.0.0.1:18480}
receiver_addr=${VIGIL_BENCH_RECEIVER:-127.0.0.1:18481}
am_addr=${VIGIL_BENCH_ALERTMANAGER:-127.0.0.1:18493}
pd_key=0123456789abcdef0123456789abcdef

work=$(mktemp -d /tmp/vigil-bench.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*" >&2; }

apt_ready=
apt_install() {
  if [ -z "$apt_ready" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_ready=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

if [ ! -x /usr/bin/prometheus-alertmanager ]; then
  say "installing prometheus-alertmanager"
  apt_install prometheus-alertmanager
fi
if ! command -v jq >/dev/null; then
  say "installing jq"
  apt_install jq
fi
for addr in "$vigil_addr" "$receiver_addr" "$am_addr"; do
  if port_open "$addr"; then
    echo "something already listens on $addr: stop it or choose another address (see the top of $0)" >&2
    exit 1
  fi
done

say "building vigil"
go build -o "$work/vigil" ./cmd/vigil
vigil=$work/vigil

# A service with a PagerDuty key whose policy pages one user at once through
# a webhook to the bench receiver; no rate limit in the way.
cat >"$work/vigil.yaml" <<EOF
users:
  - id: bench
    name: Bench Receiver
    time_zone: UTC
    contact_methods:
      - {id: bench-hook, type: webhook, url: "http://$receiver_addr/page"}
    notification_rules:
      - {contact_method: bench-hook, delay: 0m}
teams:
  - id: bench-team
    name: Bench
    kind: dev
    time_zone: UTC
    members: [bench]
    escalation_policy: bench-now
  - id: irt-global
    name: Global IRT
    kind: global-irt
    time_zone: UTC
    members: [bench]
    escalation_policy: bench-now
escalation_policies:
  - id: bench-now
    steps:
      - targets: [{user: bench}]
        escalate_after: 30m
services:
  - id: bench-svc
    name: Bench Service
    owner: bench-team
    escalation_policy: bench-now
    integrations:
      - {type: pagerduty, key: "$pd_key", rate_limit: 1000000}
EOF

wait_ready() { # url what pid
  local i
  for ((i = 0; i < 300; i++)); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$2 did not become ready; its log:" >&2
  cat "$work/server.log" >&2
  return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

start_vigil() {
  rm -rf "$work/db" && mkdir -p "$work/db"
  VIGIL_ADMIN_TOKEN=bench-admin-token-0123456789 "$vigil" serve --addr "$vigil_addr" \
    --db "sqlite:$work/db/vigil.db" --config "$work/vigil.yaml" --log-level warn >"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready "http://$vigil_addr/readyz" vigil "$server_pid"
}

start_alertmanager() { # group_interval
  rm -rf "$work/am" && mkdir -p "$work/am"
  # Alertmanager notifies the bench receiver, which reads and drops the
  # notifications: the receiving end costs next to nothing.
  cat >"$work/am/alertmanager.yml" <<EOF
route:
  receiver: sink
  group_by: [alertname]
  group_wait: 1s
  group_interval: $1
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: "http://$receiver_addr/alertmanager"
EOF
  /usr/bin/prometheus-alertmanager --config.file="$work/am/alertmanager.yml" --storage.path="$work/am" \
    --web.listen-address="$am_addr" --cluster.listen-address= >"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready "http://$am_addr/-/ready" alertmanager "$server_pid"
}

# bench NAME ARGS...: one run, its JSON result appended to $work/NAME.jsonl.
bench() {
  local name=$1
  shift
  "$vigil" bench --json "$@" >>"$work/$name.jsonl"
  tail -n 1 "$work/$name.jsonl" | jq -r --arg n "$name" \
    '"\($n): \(.median_per_second | floor)/s median, \(.rate | floor)/s overall, \(.ok) ok of \(.sent), request p99 \(.latency.p99_ms)ms" +
     (if .pages then ", pages \(.pages.received)/\(.pages.expected), trigger-to-page p50 \(.pages.latency.p50_ms)ms p99 \(.pages.latency.p99_ms)ms" else "" end)' >&2
}

loads=()
for ((run = 1; run <= runs; run++)); do
  say "run $run of $runs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")

  start_vigil
  bench throughput --server "http://$vigil_addr" --key "$pd_key" --concurrency "$clients" --duration "$duration" \
    --receiver "$receiver_addr" --drain 0s
  stop_server

  start_vigil
  bench latency --server "http://$vigil_addr" --key "$pd_key" --concurrency "$clients" --duration "$duration" \
    --rate "$rate" --receiver "$receiver_addr" --drain 10s
  stop_server

  for gi in 1s 5s; do
    start_alertmanager "$gi"
    bench "alertmanager-$gi" --alertmanager-url "http://$am_addr" --concurrency "$clients" --duration "$duration" \
      --receiver "$receiver_addr"
    stop_server
  done
done

median() { jq -s "map($1) | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end"; }
m() { median "$2" <"$work/$1.jsonl"; }

vigil_rate=$(m throughput .median_per_second)
am1=$(m alertmanager-1s .median_per_second)
am5=$(m alertmanager-5s .median_per_second)
load=$(printf '%s\n' "${loads[@]}" | jq -s 'sort | .[length / 2 | floor]')

printf '\nMedians of %d runs of %s each, %d clients; load average at the start of the runs: %s (%d CPUs)\n\n' \
  "$runs" "$duration" "$clients" "$load" "$(nproc)"
printf '%-58s %12s\n' "measure" "median"
printf '%-58s %12.0f\n' "Vigil accepted events/s (durable, SQLite)" "$vigil_rate"
printf '%-58s %12.2f\n' "Vigil request latency p99 at full load, ms" "$(m throughput .latency.p99_ms)"
printf '%-58s %12.0f\n' "Vigil pages delivered during the full-load run" "$(m throughput .pages.received)"
printf '%-58s %12.0f\n' "Vigil accepted events/s at $rate/s scheduled" "$(m latency .median_per_second)"
printf '%-58s %12.2f\n' "Vigil trigger-to-page p50 at $rate/s, ms" "$(m latency .pages.latency.p50_ms)"
printf '%-58s %12.2f\n' "Vigil trigger-to-page p90 at $rate/s, ms" "$(m latency .pages.latency.p90_ms)"
printf '%-58s %12.2f\n' "Vigil trigger-to-page p99 at $rate/s, ms" "$(m latency .pages.latency.p99_ms)"
printf '%-58s %12s\n' "Vigil pages received / expected at $rate/s" \
  "$(m latency .pages.received | xargs printf '%.0f')/$(m latency .pages.expected | xargs printf '%.0f')"
printf '%-58s %12.0f\n' "Alertmanager accepted alerts/s (memory), group_interval 1s" "$am1"
printf '%-58s %12.0f\n' "Alertmanager accepted alerts/s (memory), group_interval 5s" "$am5"
printf '%-58s %12.2f\n' "ratio Vigil / Alertmanager (1s)" "$(jq -n "$vigil_rate / $am1")"
printf '%-58s %12.2f\n' "ratio Vigil / Alertmanager (5s)" "$(jq -n "$vigil_rate / $am5")"
