-- Imports with proof of consent, the suppression list, and the first audit trail entries (exports).

ALTER TABLE organisations ADD COLUMN no_evidence_policy text NOT NULL DEFAULT 'refuse';
ALTER TABLE organisations ADD COLUMN own_domains text NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN restricted_at bigint NULL;

-- Only a keyed hash of the address: list_id 0 means every list of the organisation.
CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    address_hash text NOT NULL,
    list_id bigint NOT NULL,
    reason text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (org_id, address_hash, list_id)
);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    list_ids text NOT NULL,
    file_name text NOT NULL,
    file_path text NOT NULL,
    file_bytes bigint NOT NULL,
    file_sha256 text NOT NULL,
    mapping text NOT NULL,
    update_mode text NOT NULL,
    no_evidence_policy text NOT NULL,
    attestation text NOT NULL,
    attested_by text NOT NULL,
    attested_at bigint NOT NULL,
    status text NOT NULL,
    encoding text NULL,
    total_rows bigint NOT NULL DEFAULT 0,
    processed_rows bigint NOT NULL DEFAULT 0,
    report_bytes bigint NOT NULL DEFAULT 0,
    counts text NOT NULL DEFAULT '{}',
    risk text NULL,
    held_reasons text NULL,
    review_note text NULL,
    reviewed_by text NULL,
    reviewed_at bigint NULL,
    error text NULL,
    created_at bigint NOT NULL,
    started_at bigint NULL,
    finished_at bigint NULL,
    lease_until bigint NULL
);
CREATE INDEX imports_org ON imports (org_id, id);
CREATE INDEX imports_status ON imports (status);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    org_id bigint NULL,
    at bigint NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    details text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);

ALTER TABLE consent_records ADD COLUMN evidence_method text NULL;
ALTER TABLE consent_records ADD COLUMN legal_basis text NULL;
ALTER TABLE consent_records ADD COLUMN import_id bigint NULL;
CREATE INDEX consent_records_import ON consent_records (import_id) WHERE import_id IS NOT NULL;

-- The import's report, written in the same transaction as the rows it describes.
CREATE TABLE import_report_chunks (
    import_id bigint NOT NULL REFERENCES imports(id),
    seq integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (import_id, seq)
);
