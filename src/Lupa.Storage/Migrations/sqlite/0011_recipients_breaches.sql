-- Article 19: the organisation's registered recipients (processors, integrations), told by signed webhook of every
-- rectification, erasure and restriction; and Articles 33 and 34: the breach register and the notices to the people
-- a breach affects.

-- secret is the signing secret protected with ASP.NET Core Data Protection (never stored in clear); secret_hint is
-- its first characters, so the organisation can tell which secret a receiver holds.
CREATE TABLE privacy_recipients (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    name text NOT NULL,
    kind text NOT NULL,
    url text NOT NULL,
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    secret_hint text NOT NULL,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    secret_rotated_at bigint NULL,
    removed_at bigint NULL
);
CREATE INDEX privacy_recipients_org ON privacy_recipients (org_id, id);

-- One event for one recipient: the body (fixed when queued, signed at each attempt), the retry schedule and the
-- outcome. subscriber_id and subject_hash (the suppression list's keyed hash of the address) let an erasure find
-- the person's earlier deliveries, whose bodies may name them.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    recipient_id bigint NOT NULL REFERENCES privacy_recipients(id),
    event_id text NOT NULL,
    event_type text NOT NULL,
    subscriber_id bigint NULL,
    subject_hash text NULL,
    payload text NOT NULL,
    created_at bigint NOT NULL,
    due_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    lease_until bigint NULL,
    delivered_at bigint NULL,
    failed_at bigint NULL,
    last_status integer NULL,
    last_error text NULL,
    UNIQUE (event_id, recipient_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_recipient ON webhook_deliveries (recipient_id, id);
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (org_id, subject_hash);
CREATE INDEX webhook_deliveries_subscriber ON webhook_deliveries (org_id, subscriber_id);

-- The delivery log: every attempt with the receiver's status code or the error (never the response body).
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    at bigint NOT NULL,
    status_code integer NULL,
    error text NULL,
    duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- The breach register (Article 33(5)): the facts, the effects and the remedial action, and the 72-hour clock to the
-- authority (authority_status pending, notified or not_required; authority_reason says why not required, or why late).
CREATE TABLE breaches (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    title text NOT NULL,
    discovered_at bigint NOT NULL,
    occurred_at bigint NULL,
    nature text NOT NULL,
    subject_categories text NOT NULL,
    subjects_approx bigint NULL,
    record_categories text NOT NULL,
    records_approx bigint NULL,
    consequences text NOT NULL,
    measures text NOT NULL,
    dpo_contact text NOT NULL,
    authority_status text NOT NULL DEFAULT 'pending',
    authority_notified_at bigint NULL,
    authority_reference text NULL,
    authority_reason text NULL,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX breaches_org ON breaches (org_id, id);

-- A notice to the people a breach affects (Article 34): who was chosen (audience_detail holds list ids or the
-- segment, never addresses), the texts, and the job's state (preparing while the mails are being queued, then
-- queued; delivery is read from the outbox).
CREATE TABLE breach_notices (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    breach_id bigint NOT NULL REFERENCES breaches(id),
    audience text NOT NULL,
    audience_detail text NOT NULL,
    default_language text NOT NULL,
    message_fi text NOT NULL,
    message_en text NOT NULL,
    status text NOT NULL,
    total bigint NOT NULL,
    skipped_erased bigint NOT NULL DEFAULT 0,
    lease_until bigint NULL,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    queued_at bigint NULL
);
CREATE INDEX breach_notices_breach ON breach_notices (org_id, breach_id, id);
CREATE INDEX breach_notices_preparing ON breach_notices (id) WHERE status = 'preparing';

-- Each person a notice goes to; message_id names their mail in the outbox once it is queued.
CREATE TABLE breach_notice_recipients (
    id INTEGER PRIMARY KEY,
    notice_id bigint NOT NULL REFERENCES breach_notices(id),
    org_id bigint NOT NULL,
    subscriber_id bigint NULL,
    email text NOT NULL,
    name text NOT NULL DEFAULT '',
    language text NOT NULL,
    message_id text NULL,
    UNIQUE (notice_id, email)
);
CREATE INDEX breach_notice_recipients_unqueued ON breach_notice_recipients (notice_id, id) WHERE message_id IS NULL;
CREATE INDEX breach_notice_recipients_email ON breach_notice_recipients (org_id, lower(email));
CREATE INDEX breach_notice_recipients_message ON breach_notice_recipients (message_id);
