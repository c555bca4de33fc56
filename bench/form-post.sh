#!/usr/bin/env bash
# Public form POST benchmark (issue "foundation"): distinct addresses POSTed to the public
# subscription form with wrk on 127.0.0.1, SQLite, confirmation mail to a relay: Postfix's smtp-sink
# in its own process (default) or Lupa's embedded mail catcher.
#
#   bash bench/form-post.sh [options]
#
#   -t N        wrk threads                      (default 2; env THREADS)
#   -c N        wrk connections                  (default 32; env CONNECTIONS)
#   -d SECONDS  measured duration                (default 10; env DURATION)
#   -w SECONDS  warm-up duration, not measured   (default 30; env WARMUP). .NET's tiered JIT
#               needs it: its background compiler thread used ~0.3 cores until ~25 s after start.
#   --runs N    repeat the whole benchmark N times, each on a fresh server and database,
#               and print the median of each figure at the end (default 1; env RUNS)
#   --get       afterwards, also run wrk GET on the same page for the same duration (env GET=1)
#   --relay R   where confirmation mail goes (env RELAY):
#                 sink     Postfix's smtp-sink on 127.0.0.1, a separate process, as a production relay
#                          would be (default); each message is written to its own file in /dev/shm, whose
#                          modification time is its arrival
#                 catcher  Lupa's embedded mail catcher (no relay configured), which parses each
#                          message and stores it in the same SQLite database, on the same cores
#   env LUPA_SERVER_ARGS="--Lupa:Outbox:Concurrency=16 ..."   extra arguments for `Lupa.dll serve`
#   env LUPA_BENCH_KEEP=1   keep the working dir (lupa.db, server.log, wrk.txt) for a look afterwards
#
# What one run does:
#   1. dotnet build src/Lupa -c Release; a temp working dir; starts `Lupa.dll serve` there
#      (SQLite ./lupa.db, smtp-sink or the embedded mail catcher as the relay, rate limit off, logs at
#      Warning)
#      and waits for GET /healthz; `Lupa.dll orgs create` (organisation "bench") and
#      POST /api/v1/lists (list "news").
#   2. wrk --latency -s bench/form-post.lua: WARMUP s of warm-up, then DURATION s measured, POSTing
#      email=<prefix>-<thread>-<n>@bench.test&name=Bench&consent=yes to /s/bench/news.
#   3. Waits until the outbox is drained (or 30 s); checks in the database that the subscriptions
#      equal the 200 responses, and measures per confirmation mail the delay from the POST
#      (outbox.created_at) to the relay (the sink's file time, or caught_messages.received_at).
#   4. Prints a summary with PASS/FAIL against the targets; stops the server (its whole process
#      group, also on failure and Ctrl-C) and deletes the working dir (LUPA_BENCH_KEEP=1 keeps it).
#
# Exit status: 0 when every target is met, 1 when one is missed, other values on errors.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-30}"
RUNS="${RUNS:-1}"
GET="${GET:-0}"
RELAY="${RELAY:-sink}"
DRAIN_WAIT=30

# Targets from the issue.
TARGET_RATE=2000     # accepted subscriptions a second, at least
TARGET_P99_MS=50     # request latency p99, under
TARGET_MAIL_MS=2000  # every confirmation mail in the relay within this of its POST

while [ $# -gt 0 ]; do
  case "$1" in
    -t) THREADS="$2"; shift 2 ;;
    -c) CONNECTIONS="$2"; shift 2 ;;
    -d) DURATION="$2"; shift 2 ;;
    -w) WARMUP="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --get) GET=1; shift ;;
    --relay) RELAY="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$RELAY" in sink|catcher) ;; *) echo "--relay must be sink or catcher, not: $RELAY" >&2; exit 2 ;; esac
export THREADS CONNECTIONS DURATION WARMUP GET RELAY

# ---- several runs: run this script once per run and take medians ---------------------------------
if [ "$RUNS" -gt 1 ]; then
  results="$(mktemp)"
  runlog="$(mktemp)"
  child=""
  trap 'rm -f "$results" "$runlog"' EXIT
  # A run stops its own server on INT/TERM; pass the signal on and wait for it to clean up.
  trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"; exit 130' INT TERM
  worst=0
  for i in $(seq 1 "$RUNS"); do
    echo "===================== run $i of $RUNS ====================="
    : >"$runlog"   # empty it here, before tail opens it, so no line of the previous run shows again
    RUNS=1 bash "$0" >>"$runlog" 2>&1 &
    child=$!
    tail -n +1 -f --pid="$child" "$runlog" &
    set +e
    wait "$child"   # not tail in the foreground: bash runs traps only between foreground commands
    rc=$?
    wait
    set -e
    child=""
    [ "$rc" -le 1 ] || { echo "run $i failed (exit $rc)" >&2; exit "$rc"; }
    [ "$rc" -gt "$worst" ] && worst=$rc
    sed -n "s/^RESULT /$i /p" "$runlog" >>"$results"
  done
  python3 - "$results" "$RUNS" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    n, kv = line.split(" ", 1)
    k, v = kv.strip().split("=", 1)
    runs[k][int(n)] = v
print()
print(f"=== public form POST: {sys.argv[2]} runs, median (each run) ===")
for k, per in runs.items():
    vals = [per[i] for i in sorted(per)]
    try:
        nums = [float(v) for v in vals]
        med = statistics.median(nums)
        med = f"{med:.0f}" if k.endswith(("_per_s", "count")) or float(med).is_integer() else f"{med:.2f}"
        print(f"  {k:<28} {med:>10}   ({', '.join(vals)})")
    except ValueError:
        print(f"  {k:<28} {'':>10}   ({', '.join(vals)})")
PY
  exit "$worst"
fi

# ---- one run --------------------------------------------------------------------------------------
. "$HERE/lib/lupa.sh"

# Sets CHILD_CPU to the user+system CPU seconds of this shell's finished children (wrk, once it
# has exited). `times` must run in this shell, not in a $(...) subshell, so it writes to a file.
children_cpu() {
  times >"$LUPA_WORK/times.txt"
  CHILD_CPU="$(tail -1 "$LUPA_WORK/times.txt" | awk '{n=0; for (i=1;i<=2;i++) {split($i,a,/[ms]/); n+=a[1]*60+a[2]} print n}')"
}
lupa_ensure_wrk
lupa_build
RELAY_ARGS=()
SINK_DIR=""
if [ "$RELAY" = sink ]; then
  SINK_DIR="$(mktemp -d /dev/shm/lupa-form-sink.XXXXXX)"
  LUPA_REMOVE_ON_EXIT="$SINK_DIR"   # lupa_cleanup deletes it
  LUPA_SINK_DIR="$SINK_DIR" lupa_sink_start
  RELAY_ARGS=(--Lupa:Smtp:Host=127.0.0.1 --Lupa:Smtp:Port="$SINK_PORT" --Lupa:Smtp:Tls=none)
fi
# shellcheck disable=SC2086 # word splitting of the extra arguments is wanted
lupa_start "${RELAY_ARGS[@]}" ${LUPA_SERVER_ARGS:-}
lupa_create_org bench
lupa_api POST /api/v1/lists '{"name":"News","slug":"news"}' >/dev/null || lupa_die "creating the list failed"
FORM="$LUPA_URL/s/bench/news"
code="$(curl -s -o /dev/null -w '%{http_code}' "$FORM")"
[ "$code" = 200 ] || lupa_die "GET $FORM answered $code"

lupa_log "warm-up: wrk -t$THREADS -c$CONNECTIONS -d${WARMUP}s (not measured)"
lupa_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$HERE/form-post.lua" "$FORM" -- w >/dev/null
# Let the outbox catch up with the warm-up's mail (at most 60 s), so the measured run starts from an
# empty queue; a queue the outbox could not drain is reported, and its mail delays the measured mail.
for _ in $(seq 1 300); do
  [ "$(lupa_sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")" = 0 ] && break
  sleep 0.2
done
BACKLOG_AT_START="$(lupa_sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")"
[ "$BACKLOG_AT_START" = 0 ] || lupa_log "the outbox did not drain the warm-up's mail in 60 s: $BACKLOG_AT_START still queued"

lupa_log "measured: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
srv0="$(lupa_proc_jiffies "$LUPA_PID")"
sink0=0; [ -n "$SINK_PID" ] && sink0="$(lupa_proc_jiffies "$SINK_PID")"
read -r busy0 total0 < <(lupa_cpu_jiffies)
children_cpu; wrk0="$CHILD_CPU"
WRK_OUT="$LUPA_WORK/wrk.txt"
lupa_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$HERE/form-post.lua" "$FORM" -- m >"$WRK_OUT"
grep -v '^BENCH ' "$WRK_OUT"
srv1="$(lupa_proc_jiffies "$LUPA_PID")"
sink1=0; [ -n "$SINK_PID" ] && sink1="$(lupa_proc_jiffies "$SINK_PID")"
read -r busy1 total1 < <(lupa_cpu_jiffies)
children_cpu; wrk1="$CHILD_CPU"

declare -A R
while IFS='=' read -r k v; do R["$k"]="$v"; done < <(sed -n 's/^BENCH //p' "$WRK_OUT")
[ -n "${R[ok200]:-}" ] || lupa_die "wrk printed no results"

# CPU during the measured run, in cores.
hz="$(getconf CLK_TCK)"
wall="${R[duration_s]}"
cpu_server="$(awk -v a="$srv0" -v b="$srv1" -v hz="$hz" -v w="$wall" 'BEGIN{printf "%.2f", (b-a)/hz/w}')"
cpu_machine="$(awk -v a="$busy0" -v b="$busy1" -v ta="$total0" -v tb="$total1" -v n="$(nproc)" 'BEGIN{printf "%.2f", (b-a)/(tb-ta)*n}')"
cpu_wrk="$(awk -v a="$wrk0" -v b="$wrk1" -v w="$wall" 'BEGIN{printf "%.2f", (b-a)/w}')"
cpu_ms_per_req="$(awk -v a="$srv0" -v b="$srv1" -v hz="$hz" -v n="${R[requests]}" 'BEGIN{printf "%.2f", (n > 0 ? (b-a)/hz*1000/n : 0)}')"
cpu_relay="$(awk -v a="$sink0" -v b="$sink1" -v hz="$hz" -v w="$wall" 'BEGIN{printf "%.2f", (b-a)/hz/w}')"
cpu_other="$(awk -v m="$cpu_machine" -v s="$cpu_server" -v w="$cpu_wrk" -v r="$cpu_relay" 'BEGIN{o=m-s-w-r; printf "%.2f", (o < 0 ? 0 : o)}')"

lupa_log "waiting for the outbox to drain (at most ${DRAIN_WAIT} s)"
while IFS='=' read -r k v; do R["$k"]="$v"; done < <(python3 "$HERE/form_post_db.py" "$LUPA_WORK/lupa.db" m "$DRAIN_WAIT" $SINK_DIR | sed -n 's/^BENCH //p')

if [ "$GET" = 1 ]; then
  lupa_log "comparison: wrk GET $FORM for ${DURATION}s"
  g0="$(lupa_proc_jiffies "$LUPA_PID")"
  lupa_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$FORM" >"$LUPA_WORK/get.txt"
  GET_OUT="$(cat "$LUPA_WORK/get.txt")"
  g1="$(lupa_proc_jiffies "$LUPA_PID")"
  printf '%s\n' "$GET_OUT"
  R[get_requests_per_s]="$(printf '%s\n' "$GET_OUT" | awk '/^Requests\/sec:/{print $2}')"
  R[get_p99]="$(printf '%s\n' "$GET_OUT" | awk '$1=="99%"{print $2}')"
  get_n="$(printf '%s\n' "$GET_OUT" | awk '/requests in/{print $1}')"
  R[get_cpu_ms]="$(awk -v a="$g0" -v b="$g1" -v hz="$hz" -v n="$get_n" 'BEGIN{printf "%.2f", (n > 0 ? (b-a)/hz*1000/n : 0)}')"
fi

server_errors="$(grep -c -E '^(fail|crit)|Exception' "$LUPA_WORK/server.log" || true)"
lupa_stop

# ---- verdict --------------------------------------------------------------------------------------
inflight=$(( R[generated] - R[requests] ))
subs="${R[subscriptions]}"
ok="${R[ok200]}"
if [ "$subs" -ge "$ok" ] && [ "$subs" -le $(( ok + inflight )) ]; then db_check=PASS; else db_check=FAIL; fi
pf() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
rate_ok="$(awk -v r="${R[ok200_per_s]}" -v t="$TARGET_RATE" 'BEGIN{print ((r >= t) ? 1 : 0)}')"
p99_ok="$(awk -v r="${R[p99_ms]}" -v t="$TARGET_P99_MS" 'BEGIN{print ((r < t) ? 1 : 0)}')"
mail_ok=0
if [ "${R[mail_over_2s]}" = 0 ] && [ "${R[caught]}" -ge "$subs" ] && [ "${R[outbox_still_waiting]}" = 0 ]; then mail_ok=1; fi
errors_ok=0
[ "${R[non2xx]}" = 0 ] && [ "${R[socket_errors]}" = 0 ] && errors_ok=1
all=FAIL
[ "$rate_ok$p99_ok$mail_ok$errors_ok" = 1111 ] && [ "$db_check" = PASS ] && all=PASS

build="$(git -C "$LUPA_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$LUPA_ROOT" status --porcelain -- src 2>/dev/null | wc -l || true)"
[ "$dirty" = 0 ] || build="$build + uncommitted changes in $dirty files under src/"
cat <<SUMMARY

=== public form POST: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (after ${WARMUP}s warm-up) on 127.0.0.1, SQLite, relay: $RELAY, $(nproc) cores ===
build                       $build
requests/s                  ${R[requests_per_s]}   (${R[requests]} requests in ${R[duration_s]} s)
accepted subscriptions/s    ${R[ok200_per_s]}   (${ok} x 200)          target >= $TARGET_RATE       $(pf "$rate_ok")
latency p50 / p90 / p99     ${R[p50_ms]} / ${R[p90_ms]} / ${R[p99_ms]} ms (max ${R[max_ms]})   target p99 < $TARGET_P99_MS ms  $(pf "$p99_ok")
non-2xx responses           ${R[non2xx]} (${R[non2xx_codes]}); socket errors ${R[socket_errors]}     $(pf "$errors_ok")
subscriptions in database   ${subs} (200 responses ${ok}; ${inflight} in flight when wrk stopped)   $(echo $db_check)
confirmation mail           caught ${R[caught]} of ${subs} subscriptions; outbox backlog at start ${BACKLOG_AT_START}, when wrk ended ${R[outbox_backlog_at_end]}, drained in ${R[outbox_drain_s]} s, still waiting ${R[outbox_still_waiting]}
mail delay median/p99/max   ${R[mail_delay_median_ms]:--} / ${R[mail_delay_p99_ms]:--} / ${R[mail_delay_max_ms]:--} ms (of the ${R[mail_measured]} caught); over 2 s or never caught: ${R[mail_over_2s]}   target every mail <= $TARGET_MAIL_MS ms  $(pf "$mail_ok")
relay throughput            ${R[relay_msgs_per_s]:--} messages/s while sending
CPU during measured run     server ${cpu_server} cores, wrk ${cpu_wrk}, relay ${cpu_relay}, other processes ${cpu_other} (machine busy ${cpu_machine} of $(nproc))
server CPU per request      ${cpu_ms_per_req} ms (CPU time of the server, outbox and catcher included, / requests)
server log errors           ${server_errors}
SUMMARY
if awk -v o="$cpu_other" 'BEGIN{exit !(o > 0.25)}'; then
  echo "WARNING                     other processes used ${cpu_other} cores during the measured run: the figures are disturbed"
fi
if [ "$GET" = 1 ]; then
  echo "GET of the same page        ${R[get_requests_per_s]} requests/s, p99 ${R[get_p99]}, server CPU ${R[get_cpu_ms]} ms per request"
fi
echo "VERDICT                     $all"

# Machine-readable lines for --runs.
for k in requests_per_s ok200_per_s p50_ms p90_ms p99_ms non2xx subscriptions caught mail_delay_median_ms mail_delay_p99_ms mail_delay_max_ms mail_over_2s outbox_backlog_at_end relay_msgs_per_s; do
  echo "RESULT $k=${R[$k]:-}"
done
echo "RESULT outbox_backlog_at_start=$BACKLOG_AT_START"
echo "RESULT cpu_server_cores=$cpu_server"
echo "RESULT cpu_wrk_cores=$cpu_wrk"
echo "RESULT cpu_relay_cores=$cpu_relay"
echo "RESULT cpu_other_cores=$cpu_other"
echo "RESULT cpu_ms_per_request=$cpu_ms_per_req"
if [ "$GET" = 1 ]; then
  echo "RESULT get_requests_per_s=${R[get_requests_per_s]}"
  echo "RESULT get_cpu_ms_per_request=${R[get_cpu_ms]}"
fi
echo "RESULT verdict=$all"
[ "$all" = PASS ]
