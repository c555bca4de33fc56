#!/usr/bin/env bash
# Import benchmark (issue "import with proof of consent"): a generated CSV of N rows, every row with
# consent evidence, imported with `lupa import` into an empty list, on SQLite and on PostgreSQL.
#
#   bash bench/import.sh [--rows N] [--db sqlite|postgres|both]
#
#   --rows N   rows in the generated file (default 1000000; env ROWS)
#   --db X     which database (default both; env DB). PostgreSQL is a throwaway server this script
#              starts on 127.0.0.1 (Debian's postgresql package; installed with apt-get if missing).
#
# Prints, per database: rows, wall seconds of the whole `lupa import` process (start-up, the
# purchased-list check over the file, and the import itself), rows a second over the whole process
# and over the import phase alone (from the import's own log), peak RSS (/usr/bin/time -v), the CPU
# seconds of the lupa process (user + system), and the load average when the run ended (the machine
# may be shared: a load above the core count means the rates are low).
# On PostgreSQL it then prints the server's own floor for the same rows (see pg_floor below): the rows a
# second PostgreSQL reaches writing them with no client at all, on one backend and on two.
# Targets: at least 100,000 rows/s on PostgreSQL and 50,000 on SQLite, peak RSS under 300 MB.
# Exit status: 0 when every target is met, 1 when one is missed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib/lupa.sh"
ROWS="${ROWS:-1000000}"
DB="${DB:-both}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --db) DB="$2"; shift 2 ;;
    *) lupa_die "unknown option $1" ;;
  esac
done
[ -x /usr/bin/time ] || lupa_apt_install time

lupa_build
CSV="$LUPA_WORK/people.csv"
lupa_log "generating $ROWS rows"
python3 - "$CSV" "$ROWS" <<'PY'
import sys, random
path, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
with open(path, "w") as f:
    f.write("email,name,city,consent_at,consent_method,consent_source,consent_ip\n")
    for i in range(n):
        day = 1 + i % 28; month = 1 + (i // 28) % 9; hour = i % 24; minute = (i // 24) % 60; second = (i // 1440) % 60
        f.write(f"reader{i}@example{i % 1009}.fi,Reader {i},City{i % 300},2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z,double_opt_in,https://bench.test/join,192.0.2.{i % 250 + 1}\n")
PY

declare -a RESULTS=()
status=0
# PostgreSQL's own floor on this machine: the server copies the rows the import just wrote (subscribers,
# subscriptions, consent records) into empty tables with the same columns and indexes, with no client, no
# CSV and no network: once on one backend, once split over two backends in parallel. What the server needs
# for that is the least any import can take on this machine, whatever the client does.
pg_floor() {
  local tables="subscribers subscriptions consent_records" t one two start
  for t in $tables; do lupa_pg_sql "CREATE TABLE floor_$t (LIKE $t INCLUDING ALL)"; done
  lupa_pg_sql "CHECKPOINT"
  start="$(date +%s.%N)"
  lupa_pg_sql "BEGIN; $(for t in $tables; do printf 'INSERT INTO floor_%s SELECT * FROM %s; ' "$t" "$t"; done) COMMIT" >/dev/null
  one="$(python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.2f}")' "$start")"
  lupa_pg_sql "TRUNCATE $(for t in $tables; do printf 'floor_%s,' "$t"; done | sed 's/,$//'); CHECKPOINT"
  start="$(date +%s.%N)"
  local k pids=()
  for k in 0 1; do
    lupa_pg_sql "BEGIN; $(for t in $tables; do printf 'INSERT INTO floor_%s SELECT * FROM %s WHERE id %% 2 = %s; ' "$t" "$t" "$k"; done) COMMIT" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  two="$(python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.2f}")' "$start")"
  for t in $tables; do lupa_pg_sql "DROP TABLE floor_$t"; done
  RESULTS+=("$(python3 -c 'import sys; r,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f"postgres  floor: the server alone writes the same {r:,} people (3 rows each, the same indexes) in {a:.1f}s on one backend = {r/a:,.0f} rows/s, {b:.1f}s on two = {r/b:,.0f} rows/s")' "$ROWS" "$one" "$two")")
}

run_one() {
  local db="$1"
  rm -f "$LUPA_WORK"/lupa.db* ; rm -rf "$LUPA_WORK/lupa-data"
  if [ "$db" = postgres ]; then
    lupa_pg_start
    export Lupa__Database__Provider=postgres ConnectionStrings__Lupa="$LUPA_PG_CONNECTION"
  else
    unset Lupa__Database__Provider ConnectionStrings__Lupa
  fi
  lupa_start --Lupa:Imports:WorkerEnabled=false --Lupa:Outbox:Enabled=false
  lupa_create_org bench
  lupa_api POST /api/v1/lists '{"name":"News","slug":"news"}' >/dev/null
  lupa_stop
  lupa_log "$db: lupa import $ROWS rows"
  local out="$LUPA_WORK/import-$db.txt"
  (cd "$LUPA_WORK" && /usr/bin/time -v dotnet "$LUPA_APP" import "$CSV" --org bench --list news --attest --Logging:LogLevel:Lupa=Information) >"$out" 2>&1 || true
  local wall rss applied checked total_rows cpu
  cpu="$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s+=$2} END {printf "%.1f", s}' "$out")"
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); s=0; for(i=1;i<=length(a);i++) s=s*60+a[i]; print s}' "$out")"
  rss="$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$out")"
  applied="$(sed -n 's/.*applied in \([0-9]*\) ms.*/\1/p' "$out" | tail -1)"
  checked="$(sed -n 's/.*checked in \([0-9]*\) ms.*/\1/p' "$out" | tail -1)"
  total_rows="$(grep -o 'confirmed  *│ [0-9,]*' "$out" | head -1 | grep -o '[0-9,]*$' | tr -d ,)"
  [ "$total_rows" = "$ROWS" ] || { tail -40 "$out" >&2; lupa_die "$db: expected $ROWS confirmed rows, the summary says '${total_rows:-none}'"; }
  local target=50000; [ "$db" = postgres ] && target=100000
  python3 - "$db" "$ROWS" "$wall" "$checked" "$applied" "$rss" "$target" "$cpu" "$(cut -d' ' -f1-3 /proc/loadavg)" > "$LUPA_WORK/result-$db.txt" <<'PY'
import sys
db, rows, wall, checked, applied, rss, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
cpu, load = float(sys.argv[8]), sys.argv[9]
whole = rows / wall
phase = rows / ((checked + applied) / 1000)
ok = phase >= target and rss < 300
print(f"{db:9s} rows={rows} wall={wall:.1f}s check={checked/1000:.1f}s import={applied/1000:.1f}s "
      f"rows/s(whole process)={whole:,.0f} rows/s(check+import)={phase:,.0f} peak_rss={rss}MB cpu(lupa)={cpu:.1f}s load={load} target>={target:,}/s,<300MB {'PASS' if ok else 'FAIL'}")
PY
  RESULTS+=("$(cat "$LUPA_WORK/result-$db.txt")")
  grep -q PASS "$LUPA_WORK/result-$db.txt" || status=1
  if [ "$db" = postgres ]; then
    pg_floor
    lupa_pg_stop
  fi
  return 0
}

case "$DB" in
  sqlite) run_one sqlite ;;
  postgres) run_one postgres ;;
  both) run_one sqlite; run_one postgres ;;
  *) lupa_die "--db takes sqlite, postgres or both" ;;
esac
echo
echo "== import benchmark ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
for r in "${RESULTS[@]}"; do echo "$r"; done
exit "$status"
