#!/usr/bin/env bash
# Runs the whole Lupa test suite the way CI does (.ci/run calls this script).
#
#   scripts/test.sh                    build once, then run every test project
#   scripts/test.sh --filter <expr>    pass --filter <expr> to every `dotnet test` run
#                                      (e.g. --filter 'FullyQualifiedName~Consent';
#                                      --filter=<expr> works too)
#   LUPA_TEST_SKIP_BROWSER=1 scripts/test.sh
#                                      skip tests/Lupa.Browser.Tests (both runs)
#   LUPA_TEST_CONSOLE_VERBOSITY=normal scripts/test.sh
#                                      also list passing tests (default: minimal,
#                                      which shows failures with messages/stack)
#
# What it does:
#   1. Installs missing system packages with apt-get (only when something is
#      missing): postgresql, chromium, python3-dkim (dkimverify), python3,
#      dovecot-imapd and dovecot-pop3d (the bounce mailbox tests run their
#      own Dovecot; the packages' service is not used).
#      Nothing else is downloaded except NuGet packages by `dotnet restore`.
#      No Playwright browser download is ever run; tests get /usr/bin/chromium.
#   2. Starts a throwaway PostgreSQL (initdb into a fresh /tmp dir, trust auth,
#      127.0.0.1 only, free port from 55432 up, fsync/synchronous_commit/
#      full_page_writes off). It is stopped and its directory deleted on exit,
#      on failure and on Ctrl-C.
#   3. Exports LUPA_TEST_POSTGRES (admin connection string; tests create their
#      own databases in it) and LUPA_CHROMIUM.
#   4. `dotnet build Lupa.slnx -c Release` once.
#   5. `dotnet test --no-build`: Lupa.Domain.Tests once; Lupa.Tests and
#      Lupa.Browser.Tests each with LUPA_TEST_DB=sqlite and LUPA_TEST_DB=postgres.
#      TRX files go to TestResults/lupa/ (gitignored).
#   6. Sums the TRX counters over all runs. A run that exits non-zero without
#      recording a failure (crash, no TRX) counts as 1 failed.
#      The last line printed is `N passed, N failed[, N skipped]`.
#      Exit status is 0 only if nothing failed and no run crashed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

FILTER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --filter)
      if [ $# -lt 2 ]; then echo "error: --filter needs an expression" >&2; exit 2; fi
      FILTER="$2"; shift 2 ;;
    --filter=*)
      FILTER="${1#--filter=}"; shift ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *)
      echo "error: unknown argument: $1 (usage: scripts/test.sh [--filter <expr>])" >&2; exit 2 ;;
  esac
done

log() { printf '==> %s\n' "$*"; }

# Prints the reason and the summary line CI looks for, then exits.
die() {
  printf 'error: %s\n' "$*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------
# 1. System packages
# ---------------------------------------------------------------------------
pg_bindir() {
  local initdb
  initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$initdb" ] && dirname "$initdb"
}

# Runs apt-get "$@", showing its output. DPkg::Lock::Timeout makes dpkg wait,
# but `apt-get update` (lists lock) and downloads (archives lock) fail at once
# when another apt process holds the lock, so retry those for up to ~10 minutes.
apt_run() {
  local tries=0 rc outf
  outf="$(mktemp /tmp/lupa-test-apt.XXXXXX)"
  while :; do
    "${APT[@]}" "$@" 2>&1 | tee "$outf"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then rm -f "$outf"; return 0; fi
    tries=$((tries + 1))
    if [ "$tries" -lt 60 ] && grep -qiE 'could not get lock|unable to lock|unable to acquire' "$outf"; then
      log "apt is locked by another process, retrying in 10s..."
      sleep 10
    else
      rm -f "$outf"; return "$rc"
    fi
  done
}

missing=()
{ [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/pg_ctl" ] && [ -x "$(pg_bindir)/psql" ]; } || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v dkimverify >/dev/null 2>&1 || missing+=(python3-dkim)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
{ [ -x /usr/sbin/dovecot ] && [ -e /usr/lib/dovecot/imap ] && [ -e /usr/lib/dovecot/pop3 ]; } || missing+=(dovecot-imapd dovecot-pop3d)

if [ ${#missing[@]} -gt 0 ]; then
  log "Installing missing packages with apt-get: ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=(sudo)
  fi
  APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
  apt_run update || die "apt-get update failed"
  apt_run install -y "${missing[@]}" || die "apt-get install ${missing[*]} failed"
fi

PGBIN="$(pg_bindir)"
[ -n "$PGBIN" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium not found"
command -v dkimverify >/dev/null 2>&1 || die "dkimverify not found"
command -v python3 >/dev/null 2>&1 || die "python3 not found"

# ---------------------------------------------------------------------------
# 2. Throwaway PostgreSQL
# ---------------------------------------------------------------------------
PGTMP=""
PGDATA_DIR=""
PG_STARTED=0
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (is the postgresql package installed correctly?)"
  AS_PG=(runuser -u postgres --)
fi

cleanup() {
  trap - EXIT INT TERM
  if [ "$PG_STARTED" = 1 ] && [ -n "$PGDATA_DIR" ]; then
    (cd "$PGTMP" && "${AS_PG[@]}" "$PGBIN/pg_ctl" stop -D "$PGDATA_DIR" -m immediate -w -t 30) >/dev/null 2>&1
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
      pid="$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null)"
      [ -n "$pid" ] && kill -9 "$pid" >/dev/null 2>&1
    fi
  fi
  [ -n "$PGTMP" ] && rm -rf "$PGTMP"
}
trap cleanup EXIT
trap 'echo; echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# PostgreSQL binds with SO_REUSEADDR, so TIME_WAIT leftovers do not block it.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

pg_t0="$(now)"
PGTMP="$(mktemp -d /tmp/lupa-test-pg.XXXXXX)" || die "mktemp failed"
PGDATA_DIR="$PGTMP/data"
mkdir -p "$PGDATA_DIR" "$PGTMP/sock"
chmod 700 "$PGDATA_DIR"
if [ ${#AS_PG[@]} -gt 0 ]; then
  chmod 755 "$PGTMP"
  chown -R postgres: "$PGTMP"
fi

LOCALE=C
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then LOCALE=C.UTF-8; fi

(cd "$PGTMP" && "${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
   --encoding=UTF8 --locale="$LOCALE" --no-sync) > "$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; die "initdb failed"; }

cat >> "$PGDATA_DIR/postgresql.conf" <<EOF

# --- scripts/test.sh: throwaway test server ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGTMP/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
logging_collector = off
EOF

PGPORT_USED=""
port=55432
for _ in $(seq 1 20); do
  while ! port_free "$port"; do port=$((port + 1)); done
  if (cd "$PGTMP" && "${AS_PG[@]}" "$PGBIN/pg_ctl" start -D "$PGDATA_DIR" -w -t 60 \
        -l "$PGTMP/postgres.log" -o "-p $port") > "$PGTMP/pg_ctl.log" 2>&1; then
    PG_STARTED=1; PGPORT_USED="$port"; break
  fi
  # Port taken between the check and the start? Try the next one.
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then PG_STARTED=1; break; fi
  port=$((port + 1))
done
if [ -z "$PGPORT_USED" ]; then
  cat "$PGTMP/pg_ctl.log" >&2; tail -n 30 "$PGTMP/postgres.log" >&2 2>/dev/null
  die "could not start PostgreSQL"
fi

export LUPA_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT_USED;Username=postgres;Password=postgres;Pooling=true"
export LUPA_CHROMIUM=/usr/bin/chromium

pg_version="$(PGPASSWORD=postgres PGCONNECT_TIMEOUT=10 "$PGBIN/psql" -X -A -t -q \
  -h 127.0.0.1 -p "$PGPORT_USED" -U postgres -d postgres -c 'show server_version' 2>&1)" \
  || { echo "$pg_version" >&2; tail -n 30 "$PGTMP/postgres.log" >&2; die "PostgreSQL started but psql cannot connect"; }
log "PostgreSQL $pg_version ready on 127.0.0.1:$PGPORT_USED in $(elapsed "$pg_t0")s (data in $PGTMP)"

# ---------------------------------------------------------------------------
# 3. Build once
# ---------------------------------------------------------------------------
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

log "dotnet build Lupa.slnx -c Release"
build_t0="$(now)"
dotnet build Lupa.slnx -c Release --nologo \
  || die "build failed: 'dotnet build Lupa.slnx -c Release' exited non-zero; no tests were run"
log "build finished in $(elapsed "$build_t0")s"

# ---------------------------------------------------------------------------
# 4. Test runs
# ---------------------------------------------------------------------------
RESULTS="$ROOT/TestResults/lupa"
mkdir -p "$RESULTS"

# name|project|LUPA_TEST_DB (empty = unset)
runs=(
  "Lupa.Domain.Tests|tests/Lupa.Domain.Tests/Lupa.Domain.Tests.csproj|"
  "Lupa.Tests.sqlite|tests/Lupa.Tests/Lupa.Tests.csproj|sqlite"
  "Lupa.Tests.postgres|tests/Lupa.Tests/Lupa.Tests.csproj|postgres"
)
if [[ "${LUPA_TEST_SKIP_BROWSER:-0}" =~ ^(1|true|yes)$ ]]; then
  log "LUPA_TEST_SKIP_BROWSER=1: skipping tests/Lupa.Browser.Tests"
else
  runs+=(
    "Lupa.Browser.Tests.sqlite|tests/Lupa.Browser.Tests/Lupa.Browser.Tests.csproj|sqlite"
    "Lupa.Browser.Tests.postgres|tests/Lupa.Browser.Tests/Lupa.Browser.Tests.csproj|postgres"
  )
fi

filter_args=()
[ -n "$FILTER" ] && filter_args=(--filter "$FILTER")

outcomes=()   # name|exit code|trx path
i=0
for run in "${runs[@]}"; do
  i=$((i + 1))
  IFS='|' read -r name project db <<< "$run"
  trx="$RESULTS/$name.trx"
  rm -f "$trx"
  log "[$i/${#runs[@]}] $name: dotnet test $project${db:+ (LUPA_TEST_DB=$db)}${FILTER:+ --filter $FILTER}"
  run_t0="$(now)"
  if [ -n "$db" ]; then envcmd=(env LUPA_TEST_DB="$db"); else envcmd=(env -u LUPA_TEST_DB); fi
  "${envcmd[@]}" dotnet test "$project" -c Release --no-build --nologo --verbosity quiet \
    --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=${LUPA_TEST_CONSOLE_VERBOSITY:-minimal}" \
    --results-directory "$RESULTS" \
    "${filter_args[@]}"
  rc=$?
  log "[$i/${#runs[@]}] $name: exit code $rc after $(elapsed "$run_t0")s"
  outcomes+=("$name|$rc|$trx")
done

# ---------------------------------------------------------------------------
# 5. Summary (the last line printed must be the counts line)
# ---------------------------------------------------------------------------
python3 - "${outcomes[@]}" <<'EOF'
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
tot_passed = tot_failed = tot_skipped = 0
crashed = False
lines = []
for arg in sys.argv[1:]:
    name, rc, path = arg.split("|", 2)
    rc = int(rc)
    try:
        counters = ET.parse(path).getroot().find(f"{NS}ResultSummary/{NS}Counters")
        if counters is None:
            raise ValueError("no <Counters> element")
        c = lambda k: int(counters.get(k, "0"))
        total, executed = c("total"), c("executed")
        passed = c("passed")
        failed = c("failed") + c("error") + c("timeout") + c("aborted")
        # xunit's skipped tests are in total but not executed; notExecuted stays 0.
        skipped = max(total - executed, c("notExecuted"))
        note = ""
        if rc != 0 and failed == 0:
            failed = 1
            crashed = True
            note = f"  <- exited with code {rc} but recorded no failure; counted as 1 failed"
        lines.append(f"  {name:<30} {passed:>5} passed, {failed:>4} failed, {skipped:>4} skipped{note}")
    except (OSError, ET.ParseError, ValueError) as e:
        passed, failed, skipped = 0, 1, 0
        crashed = True
        lines.append(f"  {name:<30} CRASHED: exit code {rc}, no usable TRX ({e}); counted as 1 failed")
    tot_passed += passed
    tot_failed += failed
    tot_skipped += skipped

print()
print("Test summary (TRX files in TestResults/lupa/):")
for line in lines:
    print(line)
summary = f"{tot_passed} passed, {tot_failed} failed"
if tot_skipped:
    summary += f", {tot_skipped} skipped"
print(summary, flush=True)
sys.exit(1 if tot_failed or crashed else 0)
EOF
status=$?
if [ "$status" -gt 1 ]; then
  # The summary step itself broke; still end with a counts line for CI.
  echo "error: could not summarise TRX results (exit $status)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
exit "$status"
