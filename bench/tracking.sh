#!/usr/bin/env bash
# The click redirect and the open pixel under load: wrk on 127.0.0.1 against a real campaign message's links,
# then the events counted in the database compared with the requests wrk had answered.
#
#   bash bench/tracking.sh                 # SQLite, aggregate counting (the default), about a minute
#   bash bench/tracking.sh --individual    # with the organisation's individual tracking on (one row per event)
#
# Options (or the environment): -t THREADS (2), -c CONNECTIONS (32), -d DURATION seconds (10), -w WARMUP seconds
# (5), --individual (INDIVIDUAL=1). LUPA_SERVER_ARGS="--Lupa:Tracking:FlushMilliseconds=100 ..." passes serve
# arguments; LUPA_BENCH_KEEP=1 keeps the working dir.
#
# Steps: build Release; start Lupa (SQLite, the mail catcher as relay); create an organisation, its layout,
# sender domain, a list, one subscriber with consent and a campaign with one link, and send it; read the
# message's click and pixel URLs from the mail catcher; wait 2 s (so the hits count as a person's); then for
# each URL: wrk warm-up, wrk measured, wait for the writer, and count what tracking_counts (and tracking_events)
# gained. "recorded" must equal the requests wrk counted, plus at most the requests still in flight when wrk
# stopped (one a connection), which the server may have answered and recorded after wrk stopped listening.
# Targets: at least 10,000 requests a second and p99 under 20 ms, each. Exit 0 when met, 1 when not.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
INDIVIDUAL="${INDIVIDUAL:-0}"
TARGET_RATE=10000
TARGET_P99_MS=20

while [ $# -gt 0 ]; do
  case "$1" in
    -t) THREADS="$2"; shift 2 ;;
    -c) CONNECTIONS="$2"; shift 2 ;;
    -d) DURATION="$2"; shift 2 ;;
    -w) WARMUP="$2"; shift 2 ;;
    --individual) INDIVIDUAL=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done

. "$HERE/lib/lupa.sh"

lupa_ensure_wrk
lupa_build
# shellcheck disable=SC2086 # word splitting of the extra arguments is wanted
lupa_start ${LUPA_SERVER_ARGS:-}
lupa_create_org bench

lupa_log "setting up a campaign with one link and one recipient"
lupa_api PUT /api/v1/settings/layout '{"postalAddress":"Bench Oy\nKatu 1\n00100 Helsinki"}' >/dev/null
lupa_api POST /api/v1/sender-domains '{"domain":"news.bench.test"}' >/dev/null
lupa_api POST /api/v1/lists '{"name":"News","slug":"news"}' >/dev/null
lupa_api POST /api/v1/subscribers '{"email":"reader@bench.test","name":"Reader","lists":["news"],"consent":{"timestamp":"2025-03-01T10:00:00Z","method":"paper","source":"Fair"}}' >/dev/null
if [ "$INDIVIDUAL" = 1 ]; then
  lupa_api PUT /api/v1/settings/tracking '{"individualTracking":true}' >/dev/null
fi
LIST_ID="$(lupa_api GET /api/v1/lists | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
CAMPAIGN_ID="$(lupa_api POST /api/v1/campaigns "{\"name\":\"Bench\",\"listIds\":[$LIST_ID],\"fromName\":\"Bench\",\"fromAddress\":\"hello@news.bench.test\",\"subject\":\"Hello\",\"body\":\"# Hello\\n\\n[Read more](https://bench.test/read?from=mail)\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
lupa_api POST "/api/v1/campaigns/$CAMPAIGN_ID/start" >/dev/null
for _ in $(seq 1 300); do
  [ "$(lupa_sql "SELECT count(*) FROM caught_messages WHERE rcpt_to = 'reader@bench.test'")" = 1 ] && break
  sleep 0.1
done
read -r CLICK_URL PIXEL_URL < <(python3 - "$LUPA_WORK/lupa.db" <<'PY'
import email, html, re, sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT mime FROM caught_messages WHERE rcpt_to = 'reader@bench.test'").fetchone()
if row is None:
    sys.exit("the campaign message did not arrive")
msg = email.message_from_bytes(row[0])
body = next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/html")
click = re.search(r'href="([^"]*/t/c/[^"]*)"', body).group(1)
pixel = re.search(r'<img src="([^"]*/t/o/[^"]*)"', body).group(1)
print(html.unescape(click), html.unescape(pixel))
PY
)
[ -n "$PIXEL_URL" ] || lupa_die "no tracking links in the campaign message"
sleep 2   # hits sooner than 2 s after the send count as a machine's; still recorded, but not what a person does

recorded() { # KIND: what tracking_counts (or, with individual tracking, tracking_events) holds for the campaign
  if [ "$INDIVIDUAL" = 1 ]; then
    lupa_sql "SELECT count(*) FROM tracking_events WHERE campaign_id = $CAMPAIGN_ID AND kind = $1"
  else
    lupa_sql "SELECT coalesce(sum(total), 0) FROM tracking_counts WHERE campaign_id = $CAMPAIGN_ID AND kind = $1"
  fi
}

# The writer is done when the count stops growing for a while (clicks wait 2 s for the burst rule).
settled() {
  local last=-1 now same=0
  for _ in $(seq 1 300); do
    now="$(recorded "$1")"
    if [ "$now" = "$last" ]; then same=$((same + 1)); [ "$same" -ge 10 ] && break; else same=0; fi
    last="$now"
    sleep 0.3
  done
  echo "$last"
}

declare -A OUT
STATUS=0
measure() { # NAME KIND URL
  local name="$1" kind="$2" url="$3"
  lupa_log "$name: warm-up wrk -t$THREADS -c$CONNECTIONS -d${WARMUP}s"
  lupa_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/tracking.lua" "$url" >/dev/null
  local before; before="$(settled "$kind")"
  lupa_log "$name: measured wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
  local srv0 srv1; srv0="$(lupa_proc_jiffies "$LUPA_PID")"
  lupa_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$HERE/tracking.lua" "$url" >"$LUPA_WORK/wrk-$name.txt"
  srv1="$(lupa_proc_jiffies "$LUPA_PID")"
  declare -A R
  while IFS='=' read -r k v; do R["$k"]="$v"; done < <(sed -n 's/^BENCH //p' "$LUPA_WORK/wrk-$name.txt")
  [ -n "${R[requests]:-}" ] || lupa_die "wrk printed no results"
  local after; after="$(settled "$kind")"
  local got=$((after - before)) missing extra
  missing=$((R[requests] - got)); [ "$missing" -lt 0 ] && missing=0
  extra=$((got - R[requests])); [ "$extra" -lt 0 ] && extra=0
  local cpu; cpu="$(awk -v a="$srv0" -v b="$srv1" -v hz="$(getconf CLK_TCK)" -v w="${R[duration_s]}" 'BEGIN{printf "%.2f", (b-a)/hz/w}')"
  OUT["$name"]="$(printf '%-6s %8s req/s   p50 %6s ms   p99 %6s ms   max %7s ms   requests %8s   recorded %8s   missing %s   beyond (in flight at the end) %s   bad status %s   socket errors %s   server CPU %s cores' \
    "$name" "${R[requests_per_s]}" "${R[p50_ms]}" "${R[p99_ms]}" "${R[max_ms]}" "${R[requests]}" "$got" "$missing" "$extra" "${R[bad_status]}" "${R[socket_errors]}" "$cpu")"
  echo "RESULT ${name}_requests_per_s=${R[requests_per_s]}"
  echo "RESULT ${name}_p99_ms=${R[p99_ms]}"
  echo "RESULT ${name}_requests=${R[requests]}"
  echo "RESULT ${name}_recorded=$got"
  if awk -v r="${R[requests_per_s]}" -v p="${R[p99_ms]}" -v tr="$TARGET_RATE" -v tp="$TARGET_P99_MS" 'BEGIN{exit !(r >= tr && p < tp)}' \
    && [ "$missing" = 0 ] && [ "$extra" -le "$CONNECTIONS" ] && [ "${R[bad_status]}" = 0 ]; then
    :
  else
    STATUS=1
  fi
}

measure click 2 "$CLICK_URL"
measure open 1 "$PIXEL_URL"

server_errors="$(grep -c -E '^(fail|crit)|Exception' "$LUPA_WORK/server.log" || true)"
echo
echo "=== tracking: SQLite, $([ "$INDIVIDUAL" = 1 ] && echo "individual events" || echo "aggregate counts"), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores, load $(lupa_loadavg) ==="
echo "${OUT[click]}"
echo "${OUT[open]}"
echo "server log errors: $server_errors"
echo "targets: >= $TARGET_RATE req/s and p99 < $TARGET_P99_MS ms each, nothing missing: $([ "$STATUS" = 0 ] && echo PASS || echo FAIL)"
exit "$STATUS"
