#!/usr/bin/env bash
# Measures Vigil on this machine and compares it with the real Alertmanager:
#   (a) throughput: single-event PagerDuty triggers, 64 clients, as fast as
#       answered, each a new alert (durable: 2xx only once committed);
#   (b) latency: 1,000 triggers/s on schedule, each paging a user through a
#       webhook to a local receiver: trigger-to-page percentiles;
#   (c) Alertmanager: single-alert POST /api/v2/alerts, 64 clients, with
#       group_interval 1s and then 5s (it keeps alerts in memory only);
#   (d) processing: after (a), a high-urgency storm (each event an alert,
#       an incident and a page), and after (e), a low-urgency storm, the
#       rate at which the inbox backlog drains once senders stop; for (a),
#       trigger-to-page of every page of the storm, its backlog included;
#   (e) the page that matters: a storm of low-urgency triggers at 64
#       clients and, during it, a trickle of critical alerts on a critical
#       service: the trickle's trigger-to-page percentiles;
#   (f) memory: RSS after the storms, per open alert (Vigil: also the
#       database per alert; Alertmanager: its RSS growth per alert);
#   (g) with VIGIL_TEST_POSTGRES set, (a) and (d) again on PostgreSQL (a
#       fresh database vigil_bench beside that one, each run), and the
#       failover gap of the replica test (a replica killed with pages in
#       flight; once, not per run).
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
noise_key=1111111111111111aaaaaaaaaaaaaaaa
critical_key=2222222222222222bbbbbbbbbbbbbbbb
trickle_rate=${TRICKLE_RATE:-20}

work=$(mktemp -d /tmp/vigil-bench.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "${VIGIL_TEST_POSTGRES:-}" ]; then
    psql -q "$VIGIL_TEST_POSTGRES" -c 'DROP DATABASE IF EXISTS vigil_bench' >/dev/null 2>&1 || true
  fi
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
if [ -n "${VIGIL_TEST_POSTGRES:-}" ] && ! command -v psql >/dev/null; then
  say "installing postgresql-client"
  apt_install postgresql-client
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
  # The storm: every trigger is low urgency (a notice for business hours).
  - id: bench-noise
    name: Bench Noise
    owner: bench-team
    escalation_policy: bench-now
    urgency: {critical: low, error: low}
    integrations:
      - {type: pagerduty, key: "$noise_key", rate_limit: 1000000}
  # The page that matters: a revenue-critical service.
  - id: bench-critical
    name: Bench Critical
    owner: bench-team
    escalation_policy: bench-now
    revenue_critical: true
    integrations:
      - {type: pagerduty, key: "$critical_key", rate_limit: 1000000}
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

# start_vigil [postgres]: a server on a fresh SQLite database, or with
# postgres on a fresh PostgreSQL database beside VIGIL_TEST_POSTGRES's.
start_vigil() {
  rm -rf "$work/db" && mkdir -p "$work/db"
  local db="sqlite:$work/db/vigil.db"
  if [ "${1:-}" = postgres ]; then
    PGOPTIONS=--client-min-messages=warning psql -q "$VIGIL_TEST_POSTGRES" -c 'DROP DATABASE IF EXISTS vigil_bench' -c 'CREATE DATABASE vigil_bench' >/dev/null
    db=$(bench_postgres_dsn)
  fi
  VIGIL_ADMIN_TOKEN=bench-admin-token-0123456789 "$vigil" serve --addr "$vigil_addr" \
    --db "$db" --config "$work/vigil.yaml" --log-level warn >"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready "http://$vigil_addr/readyz" vigil "$server_pid"
  rss_start=$(rss_kib)
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
  rss_start=$(rss_kib)
}

# metric NAME: a counter of the running server's /metrics, as an integer.
metric() {
  curl -sf "http://$vigil_addr/metrics" | awk -v n="$1" '$1 == n { printf "%d\n", $2; found = 1 } END { if (!found) print 0 }'
}

# bench_postgres_dsn: VIGIL_TEST_POSTGRES with the bench's own database.
bench_postgres_dsn() {
  local dsn=$VIGIL_TEST_POSTGRES query=
  case $dsn in *\?*) query="?${dsn#*\?}" dsn=${dsn%%\?*} ;; esac
  printf '%s/vigil_bench%s\n' "${dsn%/*}" "$query"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }
now_s() { date +%s.%N; }

# drain NAME: once senders stopped, waits (up to 5 minutes) until every
# accepted event is processed and appends to $work/NAME.jsonl the rate at
# which the backlog drained, the open alerts and the memory figures.
drain() {
  local name=$1 t0 p0 accepted processed t1 i
  t0=$(now_s)
  p0=$(metric vigil_events_processed_total)
  accepted=$(metric vigil_events_accepted_total)
  processed=$p0
  for ((i = 0; i < 3000 && processed < accepted; i++)); do
    sleep 0.1
    processed=$(metric vigil_events_processed_total)
  done
  t1=$(now_s)
  jq -nc --argjson backlog "$((accepted - p0))" --argjson done "$((processed - p0))" --argjson t0 "$t0" --argjson t1 "$t1" \
    --argjson accepted "$accepted" --argjson rss "$(rss_kib)" --argjson rss0 "$rss_start" \
    --argjson db "$(du -sb "$work/db" | cut -f1)" \
    '{backlog: $backlog, drained: $done, seconds: ($t1 - $t0), per_second: (if $t1 > $t0 and $done > 0 then $done / ($t1 - $t0) else 0 end),
      open_alerts: $accepted, rss_kib: $rss, rss_growth_per_alert: (($rss - $rss0) * 1024 / ([$accepted, 1] | max)),
      db_per_alert: ($db / ([$accepted, 1] | max))}' >>"$work/$name.jsonl"
  tail -n 1 "$work/$name.jsonl" | jq -r --arg n "$name" \
    '"\($n): backlog \(.backlog) drained at \(.per_second | floor)/s in \(.seconds * 10 | floor / 10)s; RSS \(.rss_kib / 1024 | floor) MiB for \(.open_alerts) open alerts, \(.rss_growth_per_alert | floor) B/alert of growth, database \(.db_per_alert | floor) B/alert"' >&2
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

# high_storm NAME DRAIN: the high-urgency storm at full load (a); its
# receiver stays until every trigger's page came (or storm_pages_wait
# passed), so that trigger-to-page covers the whole storm and its backlog,
# while DRAIN measures from the storm's end how fast the backlog drains.
storm_pages_wait=${STORM_PAGES_WAIT:-300s}
high_storm() {
  local drain_pid
  (sleep "$duration" && sleep 0.5 && drain "$2") &
  drain_pid=$!
  bench "$1" --server "http://$vigil_addr" --key "$pd_key" --concurrency "$clients" --duration "$duration" \
    --receiver "$receiver_addr" --drain "$storm_pages_wait"
  wait "$drain_pid"
}

loads=()
for ((run = 1; run <= runs; run++)); do
  say "run $run of $runs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")

  start_vigil
  high_storm throughput process-high
  stop_server

  # A low-urgency storm with a trickle of critical alerts on a critical
  # service during it; the trickle's sender measures trigger-to-page.
  start_vigil
  bench trickle --server "http://$vigil_addr" --key "$critical_key" --concurrency 4 --duration "$duration" \
    --rate "$trickle_rate" --receiver "$receiver_addr" --drain 30s &
  trickle_pid=$!
  bench storm --server "http://$vigil_addr" --key "$noise_key" --concurrency "$clients" --duration "$duration"
  drain process-low
  wait "$trickle_pid"
  stop_server

  start_vigil
  bench latency --server "http://$vigil_addr" --key "$pd_key" --concurrency "$clients" --duration "$duration" \
    --rate "$rate" --receiver "$receiver_addr" --drain 10s
  stop_server

  # The same two storms on PostgreSQL: how fast each backlog drains.
  if [ -n "${VIGIL_TEST_POSTGRES:-}" ]; then
    start_vigil postgres
    high_storm throughput-pg process-high-pg
    stop_server
    start_vigil postgres
    bench storm-pg --server "http://$vigil_addr" --key "$noise_key" --concurrency "$clients" --duration "$duration"
    drain process-low-pg
    stop_server
  fi

  for gi in 1s 5s; do
    start_alertmanager "$gi"
    bench "alertmanager-$gi" --alertmanager-url "http://$am_addr" --concurrency "$clients" --duration "$duration" \
      --receiver "$receiver_addr"
    tail -n 1 "$work/alertmanager-$gi.jsonl" | jq -c --argjson rss "$(rss_kib)" --argjson rss0 "$rss_start" \
      '{rss_kib: $rss, per_alert: (($rss - $rss0) * 1024 / ([.ok, 1] | max))}' >>"$work/alertmanager-$gi-memory.jsonl"
    stop_server
  done
done

gap=
if [ -n "${VIGIL_TEST_POSTGRES:-}" ]; then
  say "replica failover on PostgreSQL (go test -run TestReplicasOnPostgres ./internal/reliability/)"
  if go test -count=1 -v -run 'TestReplicasOnPostgres$' ./internal/reliability/ >"$work/failover.log" 2>&1; then
    gap=$(sed -n 's/.*figure failover gap: kill to the last of them sent again *//p' "$work/failover.log")
  else
    tail -n 30 "$work/failover.log" >&2
  fi
fi

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
printf '%-58s %12s\n' "Vigil pages received / expected of the full-load run" \
  "$(m throughput .pages.received | xargs printf '%.0f')/$(m throughput .pages.expected | xargs printf '%.0f')"
printf '%-58s %12s\n' "its trigger-to-page p50 / p99 / max (storm and backlog), s" \
  "$(m throughput '.pages.latency.p50_ms / 1000' | xargs printf '%.1f') / $(m throughput '.pages.latency.p99_ms / 1000' | xargs printf '%.1f') / $(m throughput '.pages.latency.max_ms / 1000' | xargs printf '%.1f')"
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
printf '%-58s %12.0f\n' "Vigil processing, high urgency (alert+incident+page)/s" "$(m process-high .per_second)"
printf '%-58s %12.0f\n' "Vigil processing, low urgency alerts/s" "$(m process-low .per_second)"
printf '%-58s %12.0f\n' "Vigil storm accepted events/s (low urgency)" "$(m storm .median_per_second)"
printf '%-58s %12.0f\n' "Vigil storm events accepted in all (low urgency)" "$(m storm .ok)"
printf '%-58s %12.2f\n' "critical trickle trigger-to-page p50 during the storm, ms" "$(m trickle .pages.latency.p50_ms)"
printf '%-58s %12.2f\n' "critical trickle trigger-to-page p99 during the storm, ms" "$(m trickle .pages.latency.p99_ms)"
printf '%-58s %12s\n' "critical trickle pages received / expected" \
  "$(m trickle .pages.received | xargs printf '%.0f')/$(m trickle .pages.expected | xargs printf '%.0f')"
printf '%-58s %12.0f\n' "Vigil RSS after the high-urgency storm, MiB" "$(m process-high '.rss_kib / 1024')"
printf '%-58s %12.0f\n' "Vigil RSS after the low-urgency storm, MiB" "$(m process-low '.rss_kib / 1024')"
printf '%-58s %12.0f\n' "Vigil open alerts after the high-urgency storm" "$(m process-high .open_alerts)"
printf '%-58s %12.0f\n' "Vigil RSS growth per open alert (high urgency), bytes" "$(m process-high .rss_growth_per_alert)"
printf '%-58s %12.0f\n' "Vigil database per open alert+incident (high urgency), bytes" "$(m process-high .db_per_alert)"
printf '%-58s %12.0f\n' "Vigil database per open alert (low urgency), bytes" "$(m process-low .db_per_alert)"
printf '%-58s %12.0f\n' "Alertmanager RSS growth per alert (1s), bytes" "$(m alertmanager-1s-memory .per_alert)"
printf '%-58s %12.0f\n' "Alertmanager RSS growth per alert (5s), bytes" "$(m alertmanager-5s-memory .per_alert)"
if [ -n "${VIGIL_TEST_POSTGRES:-}" ]; then
  printf '%-58s %12.0f\n' "Vigil accepted events/s on PostgreSQL" "$(m throughput-pg .median_per_second)"
  printf '%-58s %12.0f\n' "Vigil processing on PostgreSQL, high urgency/s" "$(m process-high-pg .per_second)"
  printf '%-58s %12.0f\n' "Vigil processing on PostgreSQL, low urgency/s" "$(m process-low-pg .per_second)"
fi
if [ -n "$gap" ]; then
  printf '%-58s %12s\n' "failover gap: replica killed with pages in flight" "$gap"
fi
printf '\nEach run, in the order run (interleaved): events/s, and p99 ms where measured\n'
for f in throughput process-high storm process-low trickle throughput-pg process-high-pg storm-pg process-low-pg alertmanager-1s alertmanager-5s; do
  [ -f "$work/$f.jsonl" ] || continue
  printf '  %-16s %s\n' "$f" "$(jq -c '[(.median_per_second // .per_second // 0 | floor)] + [.pages.latency.p99_ms // empty]' "$work/$f.jsonl" | tr '\n' ' ')"
done
