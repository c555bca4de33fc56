#!/usr/bin/env python3
"""Database side of bench/form-post.sh: waits for the outbox to drain, then checks the subscriptions
and measures each confirmation mail's delay from its POST (outbox.created_at, stamped when the
request is handled) to the relay: caught_messages.received_at, stamped when the mail catcher stored
it, or, with SINK_DIR, the modification time of the file smtp-sink wrote for the message (its
X-Rcpt-Args line names the recipient; every address of the run is distinct). Uses python3's sqlite3
module on the server's ./lupa.db (WAL: reading beside the server is fine).

    form_post_db.py DB PREFIX WAIT_SECONDS [SINK_DIR]

Prints "BENCH key=value" lines.
"""
import os
import sqlite3
import sys
import time


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


def out(key, value):
    print(f"BENCH {key}={value}", flush=True)


def sink_arrivals(sink_dir, prefix):
    """recipient -> arrival times (unix ms) of the messages smtp-sink wrote for them."""
    arrivals = {}
    want = "<" + prefix + "-"
    for entry in os.scandir(sink_dir):
        with open(entry.path, "rb") as f:
            head = f.read(512).decode("ascii", "replace")
        for line in head.split("\n"):
            if line.startswith("X-Rcpt-Args: "):
                rcpt = line[len("X-Rcpt-Args: "):].strip()  # "<address>", maybe with parameters after it
                if rcpt.startswith(want):
                    address = rcpt[1:rcpt.index(">")]
                    arrivals.setdefault(address, []).append(entry.stat().st_mtime_ns // 1_000_000)
                break
    return arrivals


def main():
    db, prefix, wait_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    sink_dir = sys.argv[4] if len(sys.argv) > 4 else None
    like = prefix + "-%"
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)

    def one(sql, *args):
        return c.execute(sql, args).fetchone()[0]

    waiting_sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    # The relay may acknowledge a message before it is in caught_messages (the catcher stores in
    # batches), so also wait until every sent message of this run has arrived there.
    missing_sql = ("SELECT count(*) FROM outbox o WHERE o.rcpt_to LIKE ? AND o.sent_at IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM caught_messages m WHERE m.message_id = o.message_id)")
    backlog = one(waiting_sql)
    out("outbox_backlog_at_end", backlog)
    started = time.monotonic()
    # smtp-sink has written a message's file before it answers 250, so with it a message marked sent is there.
    while (backlog > 0 or (not sink_dir and one(missing_sql, like) > 0)) and time.monotonic() - started < wait_s:
        time.sleep(0.2)
        backlog = one(waiting_sql)
    out("outbox_drain_s", f"{time.monotonic() - started:.1f}")
    out("outbox_still_waiting", backlog)
    out("outbox_failed", one("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL"))
    out("outbox_retried", one("SELECT count(*) FROM outbox WHERE attempts > 1"))

    subs = one("SELECT count(*) FROM subscriptions s JOIN subscribers b ON b.id = s.subscriber_id WHERE b.email LIKE ?", like)
    out("subscriptions", subs)
    out("subscriptions_pending", one(
        "SELECT count(*) FROM subscriptions s JOIN subscribers b ON b.id = s.subscriber_id WHERE b.email LIKE ? AND s.status = 'pending'", like))
    out("subscriptions_all_runs", one("SELECT count(*) FROM subscriptions"))
    out("outbox_rows", one("SELECT count(*) FROM outbox WHERE rcpt_to LIKE ?", like))
    if sink_dir:
        arrivals = sink_arrivals(sink_dir, prefix)
        out("caught", sum(len(v) for v in arrivals.values()))
        out("caught_duplicates", sum(len(v) - 1 for v in arrivals.values()))
        # One delay per outbox message: its first arrival at the relay.
        rows = [(created, min(arrivals[rcpt]) if rcpt in arrivals else None, sent)
                for created, rcpt, sent in c.execute(
                    "SELECT created_at, rcpt_to, sent_at FROM outbox WHERE rcpt_to LIKE ?", (like,))]
        first_last = [min(v) for v in arrivals.values()]
    else:
        out("caught", one("SELECT count(*) FROM caught_messages WHERE rcpt_to LIKE ?", like))
        out("caught_duplicates", one(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM caught_messages WHERE rcpt_to LIKE ? GROUP BY message_id HAVING n > 1)", like))

        # One delay per outbox message: its first arrival at the relay (a retried message could arrive twice).
        rows = c.execute(
            """
            SELECT o.created_at, min(m.received_at), o.sent_at
            FROM outbox o LEFT JOIN caught_messages m ON m.message_id = o.message_id
            WHERE o.rcpt_to LIKE ?
            GROUP BY o.id
            """, (like,)).fetchall()
        first_last = [r[1] for r in rows if r[1] is not None]
    delays = sorted(r[1] - r[0] for r in rows if r[1] is not None)
    missing = sum(1 for r in rows if r[1] is None)
    out("mail_measured", len(delays))
    out("mail_not_caught", missing)
    if delays:
        out("mail_delay_median_ms", percentile(delays, 50))
        out("mail_delay_p90_ms", percentile(delays, 90))
        out("mail_delay_p99_ms", percentile(delays, 99))
        out("mail_delay_max_ms", delays[-1])
        out("mail_over_2s", sum(1 for d in delays if d > 2000) + missing)
        marked = sorted(r[2] - r[0] for r in rows if r[2] is not None)
        if marked:
            out("mail_marked_sent_median_ms", percentile(marked, 50))
        first, last = min(first_last), max(first_last)
        span = max(1, last - first) / 1000
        out("relay_msgs_per_s", f"{len(delays) / span:.0f}")
    else:
        out("mail_over_2s", missing)


if __name__ == "__main__":
    main()
