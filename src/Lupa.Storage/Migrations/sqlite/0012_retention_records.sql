-- Accountability (GDPR Articles 5(2), 30): retention policies and the log of what they removed, the audit trail's
-- head (so removing its last entries is noticed), and fulfilment after approval.

-- Per organisation; no row means the defaults (RetentionPolicy.Default).
CREATE TABLE retention_policies (
    org_id bigint PRIMARY KEY REFERENCES organisations(id),
    pending_days integer NOT NULL,
    tracking_months integer NOT NULL,
    unsubscribed_months integer NOT NULL,
    closed_request_years integer NOT NULL,
    updated_at bigint NOT NULL,
    updated_by text NOT NULL
);

-- One row per run of the retention job for one organisation; counts is a JSON object of what each step removed.
-- scheduled_day (yyyy-MM-dd) is set for the daily run, so two nodes never run the same organisation's day twice.
CREATE TABLE retention_runs (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    started_at bigint NOT NULL,
    finished_at bigint NULL,
    actor text NOT NULL,
    status text NOT NULL,
    counts text NOT NULL DEFAULT '{}',
    error text NULL,
    scheduled_day text NULL
);
CREATE INDEX retention_runs_org ON retention_runs (org_id, id);
CREATE UNIQUE INDEX retention_runs_day ON retention_runs (org_id, scheduled_day) WHERE scheduled_day IS NOT NULL;

-- Fulfilment after approval: verified self-service requests wait for the privacy officer.
ALTER TABLE organisations ADD COLUMN fulfilment_approval integer NOT NULL DEFAULT 0;
ALTER TABLE privacy_requests ADD COLUMN awaiting_approval_since bigint NULL;
ALTER TABLE privacy_requests ADD COLUMN approved_by text NULL;
ALTER TABLE privacy_requests ADD COLUMN approved_at bigint NULL;
CREATE INDEX privacy_requests_closed ON privacy_requests (org_id, closed_at) WHERE closed_at IS NOT NULL;

-- The audit trail: entries are never changed or removed, and its head (how many entries, the last one and its hash,
-- with a keyed MAC when Lupa:Secrets:AuditKey is set) only moves forward, so a removed tail is noticed by verify.
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE TABLE audit_head (
    id integer PRIMARY KEY CHECK (id = 1),
    entries bigint NOT NULL,
    last_id bigint NOT NULL,
    last_hash text NOT NULL,
    mac text NOT NULL
);
INSERT INTO audit_head (id, entries, last_id, last_hash, mac)
SELECT 1, count(*), coalesce(max(id), 0), coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), ''), '' FROM audit_log;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head is never removed');
END;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.entries < OLD.entries OR NEW.last_id < OLD.last_id
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward');
END;

-- Indexes the retention steps read by (bounce events by age use bounce_events_org_received of 0010), and the
-- erasure of one person's bounce events.
CREATE INDEX bounce_events_subscriber ON bounce_events (subscriber_id);
CREATE INDEX subscriptions_pending ON subscriptions (org_id, request_at) WHERE status = 'pending';
CREATE INDEX outbox_finished ON outbox (org_id, coalesce(sent_at, failed_at)) WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL;
