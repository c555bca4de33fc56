#!/usr/bin/env bash
# Privacy-rights benchmark (issue "the data subject's rights"): with N subscribers, each confirmed on a list with a
# consent record and a sent campaign message, the median over 100 people of the access report's reads and of an
# erasure, on SQLite and on PostgreSQL. Seeded with SQL like tests/Lupa.Tests/CampaignSupport.cs SeedAsync.
#
#   bash bench/privacy.sh [--subscribers N] [--db sqlite|postgres|both]
#
# Target: both medians under 200 ms with 1,000,000 subscribers. The erasure figure is the erasure transaction (every
# row of the person deleted, import reports scrubbed, the suppression hash written); the file-level scrub (SQLite WAL
# truncation, PostgreSQL VACUUM FULL of the personal tables) runs once afterwards in the background and is printed
# separately as scrub_ms.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib/lupa.sh"
N="${SUBSCRIBERS:-1000000}"
DB="${DB:-both}"
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) N="$2"; shift 2 ;;
    --db) DB="$2"; shift 2 ;;
    *) lupa_die "unknown option $1" ;;
  esac
done
LUPA_WORK="$(mktemp -d /tmp/lupa-privacy-bench.XXXXXX)"
(cd "$LUPA_ROOT" && dotnet build bench/PrivacyBench -c Release -nologo -v quiet >/dev/null) || lupa_die "build failed"
BENCH="$LUPA_ROOT/bench/PrivacyBench/bin/Release/net10.0/PrivacyBench.dll"

PG_DIR=""
pg_stop() { [ -n "$PG_DIR" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1; rm -rf "$PG_DIR"; PG_DIR=""; }
trap 'pg_stop; rm -rf "$LUPA_WORK"' EXIT

if [ "$DB" = sqlite ] || [ "$DB" = both ]; then
  lupa_log "SQLite, $N subscribers"
  dotnet "$BENCH" sqlite "$LUPA_WORK/lupa.db" "$N"
fi
if [ "$DB" = postgres ] || [ "$DB" = both ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$PG_BIN" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  PG_DIR="$(mktemp -d /tmp/lupa-bench-pg.XXXXXX)"; chown postgres "$PG_DIR"
  PG_PORT="$(lupa_free_port)"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
  lupa_log "PostgreSQL, $N subscribers"
  dotnet "$BENCH" postgres "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres" "$N"
fi
