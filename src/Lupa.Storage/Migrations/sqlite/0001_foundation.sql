-- Organisations, people, keys, lists, subscribers, consent and the system-mail outbox.
-- Times are Unix milliseconds (UTC) in bigint columns, the same on SQLite and PostgreSQL.

CREATE TABLE settings (
    name text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at bigint NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    org_id bigint NULL REFERENCES organisations(id),
    email text NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    password_hash text NOT NULL,
    created_at bigint NOT NULL,
    disabled_at bigint NULL
);
CREATE UNIQUE INDEX people_email ON people (lower(email));

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    revoked_at bigint NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE privacy_notices (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    version integer NOT NULL,
    content text NOT NULL,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    UNIQUE (org_id, version)
);

CREATE TABLE lists (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    slug text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    language text NOT NULL,
    opt_in_mode text NOT NULL,
    purpose text NOT NULL,
    legal_basis text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE consent_wordings (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    list_id bigint NOT NULL REFERENCES lists(id),
    version integer NOT NULL,
    text text NOT NULL,
    hash text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (list_id, version)
);

-- The three high-volume tables carry no foreign keys: the stores write their references in the same
-- transaction as the rows they point to, and with the keys' triggers a bulk import was three times slower.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    language text NOT NULL,
    attributes text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    subscriber_id bigint NOT NULL,
    list_id bigint NOT NULL,
    status text NOT NULL,
    created_at bigint NOT NULL,
    confirmed_at bigint NULL,
    unsubscribed_at bigint NULL,
    confirmation_sent_at bigint NULL,
    -- The request awaiting confirmation: what the form showed and who sent it.
    request_at bigint NULL,
    request_ip text NULL,
    request_user_agent text NULL,
    request_source text NULL,
    request_wording_version integer NULL,
    request_notice_version integer NULL,
    UNIQUE (subscriber_id, list_id)
);
CREATE INDEX subscriptions_list ON subscriptions (list_id, status);

CREATE TABLE consent_records (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    subscriber_id bigint NOT NULL,
    list_id bigint NOT NULL,
    kind text NOT NULL,
    method text NOT NULL,
    occurred_at bigint NOT NULL,
    ip text NULL,
    user_agent text NULL,
    source text NULL,
    wording_version integer NULL,
    wording_text text NULL,
    wording_hash text NULL,
    privacy_notice_version integer NULL,
    form_submitted_at bigint NULL,
    form_ip text NULL,
    form_user_agent text NULL,
    actor text NULL,
    recorded_at bigint NOT NULL
);
CREATE INDEX consent_records_subscriber ON consent_records (subscriber_id, id);

-- Consent is a record, not a flag: a row once written is never changed.
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent_records is append-only');
END;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    purpose text NOT NULL,
    message_id text NOT NULL UNIQUE,
    mail_from text NOT NULL,
    rcpt_to text NOT NULL,
    mime blob NOT NULL,
    created_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    due_at bigint NOT NULL,
    lease_until bigint NULL,
    sent_at bigint NULL,
    failed_at bigint NULL,
    last_error text NULL
);
CREATE INDEX outbox_due ON outbox (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE caught_messages (
    id INTEGER PRIMARY KEY,
    received_at bigint NOT NULL,
    mail_from text NOT NULL,
    rcpt_to text NOT NULL,
    subject text NOT NULL,
    message_id text NULL,
    mime blob NOT NULL
);
CREATE INDEX caught_messages_message_id ON caught_messages (message_id);
