# Shared helpers for Lupa's end-to-end benchmarks. Source it from a bench/*.sh script:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/lupa.sh"
#   lupa_build                      # dotnet build src/Lupa -c Release, then snapshot the output
#   lupa_start [extra --Key=value]  # temp working dir, free ports, `Lupa.dll serve`, wait for /healthz
#   lupa_create_org bench           # `Lupa.dll orgs create ... --json`; sets LUPA_API_KEY
#   lupa_api POST /api/v1/lists '{"name":"News","slug":"news"}'
#   lupa_sql "SELECT count(*) FROM subscriptions"   # python3's sqlite3 on ./lupa.db (no sqlite3 CLI needed)
#   lupa_pg_start; lupa_pg_sql "SELECT 1"           # a throwaway PostgreSQL on 127.0.0.1; lupa_pg_stop
#   lupa_sink_start; lupa_sink_ceiling 50000        # Postfix's smtp-sink on 127.0.0.1; smtp-source's rate into it
#
# The server runs in its own session (setsid), so it never gets the terminal's Ctrl-C; an EXIT/INT/TERM
# trap installed by lupa_start kills its whole process group and deletes the working dir, on success,
# on failure and on Ctrl-C alike; it also stops the PostgreSQL server and the smtp-sink these helpers
# started. Set LUPA_BENCH_KEEP=1 to keep the working dir (lupa.db, server.log).

LUPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LUPA_WORK=""
LUPA_PID=""
LUPA_PGID=""
LUPA_PORT=""
LUPA_MAIL_PORT=""
LUPA_URL=""
LUPA_API_KEY=""
LUPA_APP=""
LUPA_ORG_ID=""
PG_DIR=""
PG_BIN=""
PG_PORT=""
SINK_PID=""
SINK_PORT=""
SINK_OUT=""

lupa_log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
lupa_die() { lupa_log "ERROR: $*"; exit 1; }

lupa_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Builds Release and copies the output into the working dir, so an engineer rebuilding src/ while the
# benchmark runs cannot swap the server's assemblies under it.
lupa_build() {
  command -v dotnet >/dev/null || lupa_die "dotnet is not installed"
  lupa_log "dotnet build src/Lupa -c Release"
  local out
  if ! out="$(cd "$LUPA_ROOT" && dotnet build src/Lupa -c Release -nologo -v quiet 2>&1)"; then
    printf '%s\n' "$out" | tail -30 >&2
    lupa_die "the Release build failed"
  fi
  [ -f "$LUPA_ROOT/src/Lupa/bin/Release/net10.0/Lupa.dll" ] || lupa_die "no src/Lupa/bin/Release/net10.0/Lupa.dll after the build"
  lupa_workdir
  mkdir -p "$LUPA_WORK/app"
  cp -a "$LUPA_ROOT/src/Lupa/bin/Release/net10.0/." "$LUPA_WORK/app/"
  LUPA_APP="$LUPA_WORK/app/Lupa.dll"
}

lupa_workdir() {
  if [ -z "$LUPA_WORK" ]; then
    LUPA_WORK="$(mktemp -d "${TMPDIR:-/tmp}/lupa-bench.XXXXXX")"
    trap lupa_cleanup EXIT
    trap 'lupa_log "interrupted"; exit 130' INT
    trap 'lupa_log "terminated"; exit 143' TERM
  fi
}

lupa_stop() {
  if [ -n "$LUPA_PGID" ] && kill -0 -- "-$LUPA_PGID" 2>/dev/null; then
    kill -TERM -- "-$LUPA_PGID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      kill -0 -- "-$LUPA_PGID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 -- "-$LUPA_PGID" 2>/dev/null; then
      lupa_log "the server did not stop in 10 s: SIGKILL"
      kill -KILL -- "-$LUPA_PGID" 2>/dev/null || true
    fi
  fi
  LUPA_PGID=""
  LUPA_PID=""
}

lupa_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$LUPA_WRK_PID" ] || kill "$LUPA_WRK_PID" 2>/dev/null || true
  lupa_stop
  lupa_sink_stop
  lupa_pg_stop
  [ -z "${LUPA_REMOVE_ON_EXIT:-}" ] || rm -rf -- "$LUPA_REMOVE_ON_EXIT"
  if [ -n "$LUPA_WORK" ] && [ -d "$LUPA_WORK" ]; then
    if [ "${LUPA_BENCH_KEEP:-0}" = 1 ]; then
      lupa_log "kept $LUPA_WORK"
    else
      rm -rf -- "$LUPA_WORK"
    fi
  fi
  exit "$rc"
}

# lupa_start [--Key=value ...]: starts `Lupa.dll serve` in the working dir and waits for /healthz.
lupa_start() {
  [ -n "$LUPA_APP" ] || lupa_die "call lupa_build first"
  LUPA_PORT="$(lupa_free_port)"
  LUPA_MAIL_PORT="$(lupa_free_port)"
  while [ "$LUPA_MAIL_PORT" = "$LUPA_PORT" ]; do LUPA_MAIL_PORT="$(lupa_free_port)"; done
  LUPA_URL="http://127.0.0.1:$LUPA_PORT"
  lupa_log "starting Lupa on $LUPA_URL (mail catcher 127.0.0.1:$LUPA_MAIL_PORT) in $LUPA_WORK"
  (
    cd "$LUPA_WORK" || exit 1
    Logging__LogLevel__Default="${LUPA_LOG_LEVEL:-Warning}" exec setsid dotnet "$LUPA_APP" serve \
      --urls "$LUPA_URL" \
      --Lupa:PublicUrl="$LUPA_URL" \
      --Lupa:MailCatcher:Port="$LUPA_MAIL_PORT" \
      --Lupa:PublicForm:RateLimitPerMinute=100000000 \
      --Lupa:Operator:Password=x \
      "$@" >"$LUPA_WORK/server.log" 2>&1 </dev/null
  ) &
  LUPA_PID=$!
  # setsid made the server a session and process-group leader with its own pid; wait until it is.
  local i
  for i in $(seq 1 50); do
    LUPA_PGID="$(ps -o pgid= -p "$LUPA_PID" 2>/dev/null | tr -d ' ')"
    [ "$LUPA_PGID" = "$LUPA_PID" ] && break
    sleep 0.05
  done
  [ "$LUPA_PGID" = "$LUPA_PID" ] || { LUPA_PGID=""; lupa_die "could not start the server in its own process group"; }
  for i in $(seq 1 600); do
    if curl -fsS -o /dev/null --max-time 2 "$LUPA_URL/healthz" 2>/dev/null; then
      lupa_log "server up (pid $LUPA_PID)"
      return 0
    fi
    if ! kill -0 "$LUPA_PID" 2>/dev/null; then
      tail -30 "$LUPA_WORK/server.log" >&2
      lupa_die "the server exited during start-up"
    fi
    sleep 0.1
  done
  tail -30 "$LUPA_WORK/server.log" >&2
  lupa_die "no answer from $LUPA_URL/healthz within 60 s"
}

# lupa_cli ARGS...: runs a Lupa verb in the working dir (same ./lupa.db as the server).
lupa_cli() {
  (cd "$LUPA_WORK" && Logging__LogLevel__Default=Warning dotnet "$LUPA_APP" "$@")
}

# lupa_create_org SLUG: creates organisation SLUG and sets LUPA_API_KEY and LUPA_ORG_ID.
lupa_create_org() {
  local slug="$1" json
  json="$(lupa_cli orgs create --name "Bench" --slug "$slug" --owner-email "owner@$slug.test" --json)" || lupa_die "orgs create failed"
  LUPA_API_KEY="$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')" || lupa_die "orgs create printed no apiKey: $json"
  LUPA_ORG_ID="$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["orgId"])')" || lupa_die "orgs create printed no orgId: $json"
}

# lupa_api METHOD PATH [JSON]: calls the REST API with the organisation's key; prints the body, fails on non-2xx.
lupa_api() {
  local method="$1" path="$2" body="${3:-}"
  if [ -n "$body" ]; then
    curl -fsS -X "$method" -H "Authorization: Bearer $LUPA_API_KEY" -H 'Content-Type: application/json' --data "$body" "$LUPA_URL$path"
  else
    curl -fsS -X "$method" -H "Authorization: Bearer $LUPA_API_KEY" "$LUPA_URL$path"
  fi
}

# lupa_sql SQL: one query on ./lupa.db through python3's sqlite3; prints rows tab-separated.
lupa_sql() {
  python3 - "$LUPA_WORK/lupa.db" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2]):
    print("\t".join("" if v is None else str(v) for v in row))
PY
}

# lupa_apt_install PACKAGE...: installs Debian packages with apt-get (through sudo when not root).
# Refuses when apt-get would remove a package to make room (e.g. another mail server for postfix).
lupa_apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  lupa_log "apt-get install $*"
  $sudo apt-get update -qq || lupa_die "apt-get update failed"
  local removes
  removes="$($sudo apt-get -s install -y "$@" 2>/dev/null | sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ')"
  [ -z "$removes" ] || lupa_die "installing $* would remove: $removes; install it yourself if that is what you want"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || lupa_die "could not install $*"
}

# lupa_wrk ARGS...: runs wrk in the background and waits for it, so Ctrl-C or TERM reach the traps at once (bash
# defers traps while a foreground command runs); lupa_cleanup stops it with the server.
LUPA_WRK_PID=""
lupa_wrk() {
  wrk "$@" &
  LUPA_WRK_PID=$!
  wait "$LUPA_WRK_PID"
  local rc=$?
  LUPA_WRK_PID=""
  return "$rc"
}

# lupa_ensure_wrk: wrk from Debian's package when it is missing.
lupa_ensure_wrk() {
  command -v wrk >/dev/null && return 0
  lupa_apt_install wrk
}

# ---- a throwaway PostgreSQL ----------------------------------------------------------------------
# lupa_pg_start: initdb in a temp dir and a server on 127.0.0.1 on a free port (Debian's postgresql
# package, installed when missing; run as the postgres user). Sets PG_DIR, PG_PORT, PG_BIN and
# LUPA_PG_CONNECTION (the ConnectionStrings:Lupa value). Needs root (runuser).
lupa_pg_start() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$bin" ]; then
    lupa_apt_install postgresql
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  PG_DIR="$(mktemp -d /tmp/lupa-bench-pg.XXXXXX)"
  chown postgres "$PG_DIR"
  PG_PORT="$(lupa_free_port)"
  PG_BIN="$bin"
  runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB -c synchronous_commit=off" start >/dev/null \
    || { tail -20 "$PG_DIR/log" >&2; lupa_die "PostgreSQL did not start"; }
  LUPA_PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
}

lupa_pg_stop() {
  [ -n "$PG_DIR" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

# lupa_pg_sql SQL: runs SQL with psql on the throwaway server; prints rows tab-separated.
lupa_pg_sql() {
  PGOPTIONS="-c statement_timeout=0" psql -X -q -v ON_ERROR_STOP=1 -At -F $'\t' -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "$1"
}

# The postmaster and its backends: jiffies they used, those of ended backends included.
lupa_pg_jiffies() {
  local pm
  pm="$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)" || { echo 0; return; }
  { awk '{print $14+$15+$16+$17}' "/proc/$pm/stat" 2>/dev/null
    # a backend may end between pgrep and the read: its jiffies then move to the postmaster (cutime)
    for c in $(pgrep -P "$pm"); do awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || true; done; } | awk '{n+=$1} END{print n+0}'
}

# ---- Postfix's smtp-sink as the relay ------------------------------------------------------------
lupa_ensure_smtp_sink() {
  [ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ] && return 0
  # The package only for its two test programs: no mail system is configured or started.
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  lupa_apt_install postfix
  [ -x /usr/sbin/smtp-sink ] || lupa_die "no /usr/sbin/smtp-sink after installing postfix"
}

# lupa_sink_start: smtp-sink on 127.0.0.1 on a free port, in its own session, counting what it takes
# (-c, to SINK_OUT). Sets SINK_PID and SINK_PORT. With LUPA_SINK_DUMP=FILE it also appends every
# message it takes to FILE (-D; slow, for looking at what was sent, not for measuring). With
# LUPA_SINK_DIR=DIR it writes each message to its own file in DIR (-d); the file's modification time
# is when the message arrived, and its X-Rcpt-Args line names the recipient.
lupa_sink_start() {
  lupa_ensure_smtp_sink
  lupa_workdir
  SINK_PORT="$(lupa_free_port)"
  SINK_OUT="$LUPA_WORK/sink-$SINK_PORT.txt"
  local user=() dump=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)   # smtp-sink refuses to run as root without -u
  if [ -n "${LUPA_SINK_DUMP:-}" ]; then
    touch "$LUPA_SINK_DUMP"
    [ "$(id -u)" = 0 ] && chown nobody "$LUPA_SINK_DUMP"
    dump=(-D "$LUPA_SINK_DUMP")
  elif [ -n "${LUPA_SINK_DIR:-}" ]; then
    mkdir -p "$LUPA_SINK_DIR"
    [ "$(id -u)" = 0 ] && chown nobody "$LUPA_SINK_DIR"
    dump=(-d "$LUPA_SINK_DIR/%H%M%S.")
  fi
  ( exec setsid /usr/sbin/smtp-sink -c "${user[@]}" "${dump[@]}" "127.0.0.1:$SINK_PORT" 1024 >"$SINK_OUT" 2>&1 </dev/null ) &
  SINK_PID=$!
  local i
  for i in $(seq 1 50); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$SINK_PORT" 2>/dev/null && return 0
    kill -0 "$SINK_PID" 2>/dev/null || { cat "$SINK_OUT" >&2; lupa_die "smtp-sink exited"; }
    sleep 0.1
  done
  lupa_die "smtp-sink does not answer on 127.0.0.1:$SINK_PORT"
}

lupa_sink_stop() {
  [ -n "$SINK_PID" ] || return 0
  kill -TERM "$SINK_PID" 2>/dev/null || true
  wait "$SINK_PID" 2>/dev/null || true
  SINK_PID=""
}

# lupa_sink_count: messages the running sink has taken so far (its -c counter).
lupa_sink_count() {
  tr '\r' '\n' <"$SINK_OUT" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1 | awk '{print $1+0}'
}

# lupa_sink_ceiling COUNT [BYTES]: the sink's own ceiling, `smtp-source -d -s 8 -l 10000 -m COUNT` (8
# sessions, each reusing its connection, 10 KB messages, or BYTES) timed; prints messages a second.
lupa_sink_ceiling() {
  local count="$1" size="${2:-10000}" t0 t1
  t0="$(date +%s.%N)"
  /usr/sbin/smtp-source -d -s 8 -l "$size" -m "$count" "127.0.0.1:$SINK_PORT" || lupa_die "smtp-source failed"
  t1="$(date +%s.%N)"
  awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f\n", n/(b-a)}'
}

# lupa_sink_bytes: bytes the running sink has read from its sockets so far.
lupa_sink_bytes() { awk '/^rchar:/{print $2}' "/proc/$SINK_PID/io" 2>/dev/null || echo 0; }

# lupa_rss_peak PID: the process's peak resident set (VmHWM) in MB.
lupa_rss_peak() { awk '/^VmHWM:/{printf "%.0f\n", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# lupa_loadavg: the 1, 5 and 15 minute load averages.
lupa_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Jiffies used by one process (utime+stime) and by the whole machine (busy, total), for CPU shares.
lupa_proc_jiffies() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
lupa_cpu_jiffies() { awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; print busy, busy+$5+$6}' /proc/stat; }
