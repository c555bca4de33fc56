#!/usr/bin/env bash
# Campaign send benchmark (issue "campaigns"): N confirmed subscribers get a personalised campaign
# of about 10 KB of HTML, sent to Postfix's smtp-sink on 127.0.0.1, on SQLite and on PostgreSQL,
# with and without DKIM signing; the sink's own ceiling is measured in the same run.
#
#   bash bench/campaign.sh [--recipients N] [--db sqlite|postgres|both] [--dkim on|off|both] [--runs R]
#
#   --recipients N  confirmed subscribers, each with a consent record (default 100000; env RECIPIENTS)
#   --db X          sqlite, postgres or both (default both; env DB). PostgreSQL is a throwaway server
#                   on 127.0.0.1 (Debian's postgresql package, installed with apt-get if missing).
#   --dkim X        on (rsa-sha256, 2048-bit key), off or both (default both; env DKIM)
#   --runs R        runs of each (database, DKIM) pair, each on a fresh server, database and sink;
#                   the verdict is on the medians (default 1; env RUNS)
#   env CEILING_MESSAGES=50000   messages smtp-source sends to measure the sink's ceiling
#   env LUPA_BENCH_KEEP=1        keep the working dir (lupa.db, server-*.log)
#
# What one run does:
#   1. A fresh database (and PostgreSQL server); smtp-sink on 127.0.0.1:<free port> (postfix is
#      installed for it with apt-get if missing, with "No configuration": no mail system is started).
#   2. The ceiling: `smtp-source -d -s 8 -l 10000 -m 50000 127.0.0.1:<port>` timed (8 sessions, each
#      reusing its connection, 10 KB messages) -> messages a second.
#   3. Starts `Lupa.dll serve` with the mail catcher off and the sink as the campaign relay (16
#      connections), `--Lupa:Campaigns:DkimSigning=true|false`; creates an organisation (CLI), a list,
#      the layout's postal address and the sender domain news.bench.test (API, which makes its DKIM key).
#   4. Seeds N subscribers straight in SQL (python3's sqlite3 / psql): subscribers with a city in
#      attributes, a confirmed subscription and a consent grant each; ANALYZE on PostgreSQL only (as
#      autovacuum would; Lupa does not run ANALYZE on SQLite).
#   5. POST /api/v1/campaigns (bodyFormat html, ~10 KB, {{ subscriber.name }} and
#      {{ subscriber.attributes.city }} in subject and body), then POST /api/v1/campaigns/{id}/start,
#      timed ("start s": the compliance check and fixing the recipients).
#   6. Polls GET /api/v1/campaigns/{id} every 0.5 s until "sent". messages a second =
#      sent / (finishedAt - startedAt), both from the campaign (startedAt is stamped before the
#      recipients are fixed, so this includes the start); "send/s" is the same from the moment the
#      start call answered. Peak RSS is the server's VmHWM at the end (and, as "RSS@start", when the
#      start call answered); CPU is the server's (utime+stime), the PostgreSQL processes', the sink's
#      and the machine's over the send, in % of one core, and as CPU milliseconds per message, which
#      move far less than messages a second when other processes take the cores.
#      The sink's own counter must equal the campaign's sent count.
#
# Targets (2-core machine, sender and sink on the same cores):
#   without DKIM  messages a second >= 60 % of the smtp-source ceiling, on SQLite and on PostgreSQL
#   with DKIM     messages a second >= 1,500
#   always        peak RSS < 300 MB (the issue: for 1,000,000 recipients as for 100,000), start < 10 s
#                 (the issue's figure is for 1,000,000 recipients; checked at every size)
# Exit status: 0 when every target is met, 1 when one is missed, other values on errors.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib/lupa.sh"

RECIPIENTS="${RECIPIENTS:-100000}"
DB="${DB:-both}"
DKIM="${DKIM:-both}"
RUNS="${RUNS:-1}"
CEILING_MESSAGES="${CEILING_MESSAGES:-50000}"
while [ $# -gt 0 ]; do
  case "$1" in
    --recipients) RECIPIENTS="$2"; shift 2 ;;
    --db) DB="$2"; shift 2 ;;
    --dkim) DKIM="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$DB" in sqlite) DBS=(sqlite) ;; postgres) DBS=(postgres) ;; both) DBS=(sqlite postgres) ;; *) lupa_die "--db takes sqlite, postgres or both" ;; esac
case "$DKIM" in on) DKIMS=(on) ;; off) DKIMS=(off) ;; both) DKIMS=(off on) ;; *) lupa_die "--dkim takes on, off or both" ;; esac
[[ "$RECIPIENTS" =~ ^[1-9][0-9]*$ ]] || lupa_die "--recipients takes a positive number"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || lupa_die "--runs takes a positive number"

lupa_ensure_smtp_sink
command -v psql >/dev/null || [ "$DB" = sqlite ] || lupa_apt_install postgresql
lupa_build
RESULTS="$LUPA_WORK/results.txt"
: >"$RESULTS"
HZ="$(getconf CLK_TCK)"

# The campaign: about 10 KB of HTML, personalised in the subject, the greeting and every section.
python3 - "$LUPA_WORK/campaign.json" <<'PY'
import json, sys
parts = ["<h1>Autumn news for {{ subscriber.name }}</h1>",
         "<p>Hello {{ subscriber.name }}, here is what is happening in and around "
         "<strong>{{ subscriber.attributes.city }}</strong> this month.</p>"]
topics = ["Library opening hours", "The harbour market", "Cycling routes", "Concerts in the park",
          "New tram line", "Sauna evenings", "Winter swimming club", "Museum night", "Repair café",
          "Local elections", "School holidays", "Recycling days", "Flea market"]
for n, t in enumerate(topics, 1):
    parts.append(
        f"<h2>{n}. {t} in {{{{ subscriber.attributes.city }}}}</h2>"
        f"<p>Dear {{{{ subscriber.name }}}}, {t.lower()} change this season. We collected the dates, the places and "
        "the people to ask, so that you do not have to look for them. Read the whole story on our site, "
        "and tell us what you would like to read about next time: we answer every message.</p>"
        "<p style=\"color:#555555;font-size:14px\">Opening times, prices and the map are in the story. If you cannot come, "
        "a friend can bring this letter instead; the volunteers at the door will know what to do with it.</p>"
        f"<table role=\"presentation\" width=\"100%\"><tr><td style=\"padding:8px;background:#f4f4f4\">"
        f"<a href=\"https://news.bench.test/stories/{n}?utm_source=newsletter\">Read more about {t.lower()}</a>"
        "</td></tr></table>")
parts.append("<p>Thank you for reading, {{ subscriber.name }}. See you next month! You get this letter because you "
             "subscribed to our news on our site; the link at the bottom takes you off the list at once.</p>")
body = "\n".join(parts)
assert 9000 <= len(body.encode()) <= 11500, len(body.encode())
json.dump({"name": "Autumn news", "listIds": [0], "fromName": "Bench News", "fromAddress": "hello@news.bench.test",
           "replyTo": "support@news.bench.test", "subject": "News for {{ subscriber.name }} in {{ subscriber.attributes.city }}",
           "preheader": "What happens this month", "body": body, "bodyFormat": "html"}, open(sys.argv[1], "w"))
print(len(body.encode()), file=sys.stderr)
PY

# seed DB ORG LIST N: N subscribers, each with a confirmed subscription and a consent grant.
seed() {
  local db="$1" org="$2" list="$3" n="$4" now
  now="$(date +%s%3N)"
  if [ "$db" = postgres ]; then
    # One psql -c string is one transaction.
    lupa_pg_sql "
      INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at)
        SELECT $org, 'reader' || i || '@example' || (i % 1000) || '.test', 'Reader ' || i, 'en',
          '{\"city\":\"' || (ARRAY['Helsinki','Turku','Tampere','Oulu','Espoo'])[1 + i % 5] || '\"}', $now, $now
        FROM generate_series(1, $n) AS i;
      INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at)
        SELECT $org, id, $list, 'confirmed', $now, $now FROM subscribers WHERE org_id = $org;
      INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, source, recorded_at)
        SELECT $org, id, $list, 'grant', 'form', $now, 'https://news.bench.test/join', $now FROM subscribers WHERE org_id = $org;" >/dev/null
    lupa_pg_sql "VACUUM ANALYZE subscribers, subscriptions, consent_records" >/dev/null
  else
    python3 - "$LUPA_WORK/lupa.db" "$org" "$list" "$n" "$now" <<'PY'
import sqlite3, sys
path, org, lst, n, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = sqlite3.connect(path, timeout=60, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at)
  SELECT ?, 'reader' || i || '@example' || (i % 1000) || '.test', 'Reader ' || i, 'en',
    '{"city":"' || CASE i % 5 WHEN 0 THEN 'Helsinki' WHEN 1 THEN 'Turku' WHEN 2 THEN 'Tampere' WHEN 3 THEN 'Oulu' ELSE 'Espoo' END || '"}', ?, ?
  FROM n""", (n, org, now, now))
c.execute("""INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at)
  SELECT ?, id, ?, 'confirmed', ?, ? FROM subscribers WHERE org_id = ?""", (org, lst, now, now, org))
c.execute("""INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, source, recorded_at)
  SELECT ?, id, ?, 'grant', 'form', ?, 'https://news.bench.test/join', ? FROM subscribers WHERE org_id = ?""", (org, lst, now, now, org))
c.execute("COMMIT")
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
PY
  fi
}

# CPU jiffies of the server, the PostgreSQL processes, the sink and the machine, on one line.
jiffies() {
  local pg=0
  [ -n "$PG_DIR" ] && pg="$(lupa_pg_jiffies)"
  echo "$(lupa_proc_jiffies "$LUPA_PID") $pg $(lupa_proc_jiffies "$SINK_PID") $(lupa_cpu_jiffies)"
}

run_one() {
  local db="$1" dkim="$2" run="$3"
  local tag="$db/dkim-$dkim/run-$run"
  lupa_log "==== $tag: $RECIPIENTS recipients; load average $(lupa_loadavg)"
  rm -f "$LUPA_WORK"/lupa.db*; rm -rf "$LUPA_WORK/lupa-data"
  if [ "$db" = postgres ]; then
    lupa_pg_start
    export Lupa__Database__Provider=postgres ConnectionStrings__Lupa="$LUPA_PG_CONNECTION"
  else
    unset Lupa__Database__Provider ConnectionStrings__Lupa
  fi
  local load0
  load0="$(lupa_loadavg)"
  lupa_sink_start
  lupa_log "$tag: the sink's ceiling: smtp-source -d -s 8 -l 10000 -m $CEILING_MESSAGES 127.0.0.1:$SINK_PORT"
  local ceiling
  ceiling="$(lupa_sink_ceiling "$CEILING_MESSAGES")"
  lupa_log "$tag: ceiling $ceiling messages/s"

  local signing=false
  [ "$dkim" = on ] && signing=true
  lupa_start --Lupa:MailCatcher:Enabled=false \
    --Lupa:Relays:0:Host=127.0.0.1 --Lupa:Relays:0:Port="$SINK_PORT" --Lupa:Relays:0:MaxConnections=16 \
    --Lupa:Campaigns:DkimSigning="$signing"
  lupa_create_org bench
  local list
  list="$(lupa_api POST /api/v1/lists '{"name":"News","slug":"news","language":"en"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  lupa_api PUT /api/v1/settings/layout '{"postalAddress":"Bench Oy\nBenchikatu 1\n00100 Helsinki"}' >/dev/null
  lupa_api POST /api/v1/sender-domains '{"domain":"news.bench.test"}' >/dev/null

  lupa_log "$tag: seeding $RECIPIENTS subscribers in SQL"
  local s0 s1
  s0="$(date +%s.%N)"
  seed "$db" "$LUPA_ORG_ID" "$list" "$RECIPIENTS"
  s1="$(date +%s.%N)"
  lupa_log "$tag: seeded in $(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.1f", b-a}') s"

  local body id
  body="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["listIds"]=[int(sys.argv[2])]; print(json.dumps(d))' "$LUPA_WORK/campaign.json" "$list")"
  id="$(lupa_api POST /api/v1/campaigns "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" || lupa_die "creating the campaign failed"

  local sink0 j0 t0 t1 code bytes0
  sink0="$(lupa_sink_count)"
  bytes0="$(lupa_sink_bytes)"
  j0="$(jiffies)"
  lupa_log "$tag: POST /api/v1/campaigns/$id/start"
  t0="$(date +%s%3N)"
  code="$(curl -sS -o "$LUPA_WORK/start.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $LUPA_API_KEY" "$LUPA_URL/api/v1/campaigns/$id/start")"
  t1="$(date +%s%3N)"
  local rss_start
  rss_start="$(lupa_rss_peak "$LUPA_PID")"
  [ "$code" = 200 ] || { cat "$LUPA_WORK/start.json" >&2; echo >&2; lupa_die "$tag: start answered $code"; }
  lupa_log "$tag: started in $(( t1 - t0 )) ms; waiting for the campaign to be sent"

  # Polls with curl and sed (not python3), so the poller itself costs next to no CPU.
  local limit=$(( 600 + RECIPIENTS / 100 )) status json last=0 now
  while :; do
    json="$(lupa_api GET "/api/v1/campaigns/$id")" || lupa_die "$tag: GET the campaign failed"
    status="$(printf '%s' "$json" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')"
    [ "$status" = sending ] || break
    now="$(date +%s%3N)"
    if [ $(( now - last )) -ge 10000 ]; then
      lupa_log "$tag: $(printf '%s' "$json" | grep -o '"sent":[0-9]*' | head -1) of $RECIPIENTS"
      last="$now"
    fi
    [ $(( (now - t1) / 1000 )) -lt "$limit" ] || lupa_die "$tag: not sent after $limit s"
    sleep 0.5
  done
  local t2 j1
  t2="$(date +%s%3N)"
  j1="$(jiffies)"
  [ "$status" = sent ] || { printf '%s\n' "$json" >&2; tail -20 "$LUPA_WORK/server.log" >&2; lupa_die "$tag: the campaign ended $status"; }
  local rss errors sink1 load1
  rss="$(lupa_rss_peak "$LUPA_PID")"
  sleep 0.2
  sink1="$(lupa_sink_count)"
  load1="$(lupa_loadavg)"
  # What one message of this campaign is on the wire (SMTP commands included), and the sink's ceiling
  # for messages of that size, measured the same way as the reference ceiling once Lupa has stopped.
  local msg_bytes=0 ceiling_same=0
  [ $(( sink1 - sink0 )) -gt 0 ] && msg_bytes=$(( ($(lupa_sink_bytes) - bytes0) / (sink1 - sink0) ))
  errors="$(grep -c -E '^(fail|crit)|Exception' "$LUPA_WORK/server.log" || true)"
  [ "${LUPA_BENCH_KEEP:-0}" = 1 ] && cp "$LUPA_WORK/server.log" "$LUPA_WORK/server-$db-$dkim-$run.log"
  lupa_stop
  if [ "$msg_bytes" -gt 0 ]; then
    ceiling_same="$(lupa_sink_ceiling "$CEILING_MESSAGES" "$msg_bytes")"
    lupa_log "$tag: $msg_bytes bytes a message on the wire; the sink's ceiling for that size: $ceiling_same messages/s"
  fi
  lupa_sink_stop
  if [ "$db" = postgres ]; then lupa_pg_stop; fi

  printf '%s' "$json" >"$LUPA_WORK/campaign-sent.json"
  python3 - "$LUPA_WORK/campaign-sent.json" "$db" "$dkim" "$run" "$RECIPIENTS" "$ceiling" "$t0" "$t1" "$t2" "$j0" "$j1" "$HZ" "$(nproc)" \
    "$rss" "$(( sink1 - sink0 ))" "$errors" "$load0" "$load1" "$rss_start" "$msg_bytes" "$ceiling_same" >>"$RESULTS" <<'PY'
import json, sys
from datetime import datetime
a = sys.argv[2:]
msg_bytes, ceiling_same = int(a[18]), float(a[19])
db, dkim, run, n, ceiling = a[0], a[1], int(a[2]), int(a[3]), float(a[4])
t0, t1, t2 = int(a[5]), int(a[6]), int(a[7])
j0, j1 = [list(map(float, x.split())) for x in (a[8], a[9])]
hz, cores, rss, sink, errors, load0, load1, rss_start = float(a[10]), int(a[11]), int(a[12]), int(a[13]), int(a[14]), a[15], a[16], int(a[17])
c = json.load(open(sys.argv[1]))
ms = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000
started, finished = ms(c["startedAt"]), ms(c["finishedAt"])
p = c["progress"]
sent = p["sent"]
wall = (t2 - t1) / 1000
d = [y - x for x, y in zip(j0, j1)]
pct = lambda j: 100 * j / hz / wall
machine = 100 * cores * d[3] / d[4] if d[4] else 0
server, pg, sinkcpu = pct(d[0]), pct(d[1]), pct(d[2])
r = dict(db=db, dkim=dkim, run=run, recipients=n, total=p["total"], sent=sent, failed=p["failed"], skipped=p["skipped"],
         sink_got=sink, ceiling=round(ceiling), start_s=round((t1 - t0) / 1000, 2),
         rate=round(sent / ((finished - started) / 1000)), send_rate=round(sent / ((finished - t1) / 1000)),
         wall_s=round(wall, 1), rss_start_mb=rss_start, rss_mb=rss, cpu_server=round(server), cpu_db=round(pg), cpu_sink=round(sinkcpu),
         cpu_machine=round(machine), cpu_other=round(max(0, machine - server - pg - sinkcpu)),
         # CPU time per message: moves far less with other processes' load than messages a second do.
         ms_server=round(10 * server * wall / sent, 3), ms_all=round(10 * (server + pg + sinkcpu) * wall / sent, 3),
         errors=errors, load_before=load0.replace(" ", "/"), load_after=load1.replace(" ", "/"),
         msg_kb=round(msg_bytes / 1000, 1), ceiling_same=round(ceiling_same))
print(" ".join(f"{k}={v}" for k, v in r.items()))
PY
  lupa_log "$tag: $(tail -1 "$RESULTS")"
}

for db in "${DBS[@]}"; do
  for dkim in "${DKIMS[@]}"; do
    for run in $(seq 1 "$RUNS"); do
      run_one "$db" "$dkim" "$run"
    done
  done
done

build="$(git -C "$LUPA_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$LUPA_ROOT" status --porcelain -- src 2>/dev/null | wc -l || true)"
[ "$dirty" = 0 ] || build="$build + uncommitted changes in $dirty files under src/"
echo
echo "== campaign benchmark, build $build, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
python3 - "$RESULTS" "$(nproc)" <<'PY'
import collections, statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
cols = [("db", "db"), ("dkim", "dkim"), ("run", "run"), ("recipients", "recipients"), ("load_before", "load before"),
        ("ceiling", "ceiling/s"), ("start_s", "start s"), ("rate", "msgs/s"), ("pct", "% ceil"),
        ("msg_kb", "msg KB"), ("ceiling_same", "ceiling@size/s"), ("pct_same", "% ceil@size"), ("send_rate", "send/s"),
        ("wall_s", "wall s"), ("rss_start_mb", "RSS@start MB"), ("rss_mb", "peak RSS MB"), ("cpu_server", "server %"), ("cpu_db", "pg %"), ("cpu_sink", "sink %"),
        ("cpu_machine", "machine %"), ("cpu_other", "other %"), ("ms_server", "server ms/msg"), ("ms_all", "all ms/msg"),
        ("bound", "CPU bound/s"), ("sink_got", "sink got"), ("errors", "log errors")]
cores = int(sys.argv[2])
for r in rows:
    r["pct"] = f"{100 * float(r['rate']) / float(r['ceiling']):.0f}"
    r["pct_same"] = f"{100 * float(r['rate']) / float(r['ceiling_same']):.0f}" if float(r["ceiling_same"]) > 0 else "-"
    r["bound"] = f"{cores * 1000 / float(r['ms_all']):.0f}"
groups = collections.OrderedDict()
for r in rows:
    groups.setdefault((r["db"], r["dkim"]), []).append(r)
table = list(rows)
for (db, dkim), rs in groups.items():
    if len(rs) > 1:
        med = {"db": db, "dkim": dkim, "run": "median", "recipients": rs[0]["recipients"], "load_before": "-", "sink_got": "-", "errors": "-"}
        for k in ("ceiling", "start_s", "rate", "pct", "msg_kb", "ceiling_same", "pct_same", "send_rate", "wall_s", "rss_start_mb", "rss_mb", "cpu_server", "cpu_db", "cpu_sink", "cpu_machine", "cpu_other",
                  "ms_server", "ms_all", "bound"):
            values = [float(r[k]) for r in rs if r[k] != "-"]
            if not values:
                med[k] = "-"
                continue
            v = statistics.median(values)
            med[k] = f"{v:.2f}" if k == "start_s" else f"{v:.1f}" if k == "msg_kb" else f"{v:.3f}" if k.startswith("ms_") else f"{v:.0f}"
        table.append(med)
        groups[(db, dkim)] = rs + [med]
w = [max(len(h), *(len(str(r[k])) for r in table)) for k, h in cols]
print("  ".join(h.rjust(x) for (k, h), x in zip(cols, w)))
for r in table:
    print("  ".join(str(r[k]).rjust(x) for (k, _), x in zip(cols, w)))
print("CPU in % of one core over the send (machine: all cores, 200 % = both busy); msgs/s = sent / (finishedAt - startedAt);")
print("send/s counts from the start call's answer; load = 1/5/15-minute load average before the run;")
print("RSS@start = the server's peak RSS when the start call answered (before the send), peak RSS = at the end;")
print("ms/msg = CPU time per message of the server (all: server + PostgreSQL + sink); CPU bound/s = cores / all ms/msg,")
print("the rate these processes could reach with every core to themselves (an estimate, not a measurement).")
print("msg KB = bytes the sink read per message (SMTP commands included); ceiling@size = smtp-source with messages of that size,")
print("measured right after the send: the reference ceiling uses 10 KB messages, this campaign's are larger.")
print()
status = 0
def verdict(ok):
    global status
    status |= 0 if ok else 1
    return "PASS" if ok else "FAIL"
for (db, dkim), rs in groups.items():
    r = rs[-1]  # the median when there are several runs
    bad = [x for x in rs if x["run"] != "median" and (int(x["sent"]) != int(x["recipients"]) or int(x["sink_got"]) != int(x["sent"]))]
    rate, ceiling = float(r["rate"]), float(r["ceiling"])
    label = f"{db:8s} dkim {dkim:3s}"
    if dkim == "off":
        print(f"{label}  msgs/s >= 60% of the ceiling   {rate:,.0f}/s = {100 * rate / ceiling:.0f}% of {ceiling:,.0f}/s   {verdict(rate >= 0.6 * ceiling)}")
    else:
        print(f"{label}  msgs/s >= 1,500 with DKIM      {rate:,.0f}/s   {verdict(rate >= 1500)}")
    print(f"{label}  peak RSS < 300 MB              {float(r['rss_mb']):.0f} MB   {verdict(float(r['rss_mb']) < 300)}")
    note = "" if int(r["recipients"]) >= 1_000_000 else f" (target is for 1,000,000; here {int(r['recipients']):,})"
    print(f"{label}  start < 10 s{note}   {float(r['start_s']):.2f} s   {verdict(float(r['start_s']) < 10)}")
    for x in bad:
        print(f"{label}  run {x['run']}: sent {x['sent']} of {x['recipients']}, the sink took {x['sink_got']}   {verdict(False)}")
print()
print("VERDICT", "PASS" if status == 0 else "FAIL")
sys.exit(status)
PY
