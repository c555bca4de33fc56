# Shared helpers for Lupa's end-to-end benchmarks. Source it from a bench/*.sh script:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/lupa.sh"
#   lupa_build                      # dotnet build src/Lupa -c Release, then snapshot the output
#   lupa_start [extra --Key=value]  # temp working dir, free ports, `Lupa.dll serve`, wait for /healthz
#   lupa_create_org bench           # `Lupa.dll orgs create ... --json`; sets LUPA_API_KEY
#   lupa_api POST /api/v1/lists '{"name":"News","slug":"news"}'
#   lupa_sql "SELECT count(*) FROM subscriptions"   # python3's sqlite3 on ./lupa.db (no sqlite3 CLI needed)
#
# The server runs in its own session (setsid), so it never gets the terminal's Ctrl-C; an EXIT/INT/TERM
# trap installed by lupa_start kills its whole process group and deletes the working dir, on success,
# on failure and on Ctrl-C alike. Set LUPA_BENCH_KEEP=1 to keep the working dir (lupa.db, server.log).

LUPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LUPA_WORK=""
LUPA_PID=""
LUPA_PGID=""
LUPA_PORT=""
LUPA_MAIL_PORT=""
LUPA_URL=""
LUPA_API_KEY=""
LUPA_APP=""

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
  lupa_stop
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

# lupa_create_org SLUG: creates organisation SLUG and sets LUPA_API_KEY.
lupa_create_org() {
  local slug="$1" json
  json="$(lupa_cli orgs create --name "Bench" --slug "$slug" --owner-email "owner@$slug.test" --json)" || lupa_die "orgs create failed"
  LUPA_API_KEY="$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')" || lupa_die "orgs create printed no apiKey: $json"
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

# lupa_ensure_wrk: wrk from Debian's package when it is missing.
lupa_ensure_wrk() {
  command -v wrk >/dev/null && return 0
  lupa_log "wrk is missing: apt-get install wrk"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null || lupa_die "could not install wrk"
}

# Jiffies used by one process (utime+stime) and by the whole machine (busy, total), for CPU shares.
lupa_proc_jiffies() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
lupa_cpu_jiffies() { awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; print busy, busy+$5+$6}' /proc/stat; }
