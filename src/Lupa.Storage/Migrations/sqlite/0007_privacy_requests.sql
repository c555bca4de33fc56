-- The register of data-subject requests (GDPR Articles 12, 15-21): what was asked, by whom, through which
-- channel, and the deadline. due_at and extended_until are the last millisecond of the due date in the
-- organisation's time zone; extension_months counts the further months granted so far (at most 2).
-- subject_email is null once a request no longer needs the address (after an erasure).
CREATE TABLE privacy_requests (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    type text NOT NULL,
    objection_scope text NULL,
    subject_email text NULL,
    subscriber_id bigint NULL,
    language text NOT NULL,
    channel text NOT NULL,
    received_at bigint NOT NULL,
    verified_at bigint NULL,
    due_at bigint NOT NULL,
    extended_until bigint NULL,
    extension_months integer NOT NULL DEFAULT 0,
    extension_reason text NULL,
    status text NOT NULL,
    handler text NULL,
    outcome text NULL,
    details text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    closed_at bigint NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX privacy_requests_org ON privacy_requests (org_id, id);
CREATE INDEX privacy_requests_open ON privacy_requests (org_id, due_at) WHERE status IN ('verified', 'in_progress', 'extended');
