-- Campaigns: the organisation's identity in every mail, its sender domains with their DKIM keys,
-- campaigns, and the recipients fixed at start with a state each.

ALTER TABLE organisations ADD COLUMN postal_address text NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN brand_colour text NULL;
ALTER TABLE organisations ADD COLUMN custom_layout text NULL;
-- Set when the address is suppressed for every list (hard bounce, complaint, objection), so fixing a
-- campaign's recipients can leave the person out without computing keyed hashes in SQL.
ALTER TABLE subscribers ADD COLUMN suppressed_at bigint NULL;
-- Transactional mail is logged with the legal basis it was sent under.
ALTER TABLE outbox ADD COLUMN legal_basis text NULL;

CREATE TABLE sender_domains (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    domain text NOT NULL,
    selector text NOT NULL,
    algorithm text NOT NULL,
    private_key text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (org_id, domain)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    name text NOT NULL,
    list_ids text NOT NULL,
    segment text NOT NULL,
    from_name text NOT NULL,
    from_address text NOT NULL,
    reply_to text NULL,
    subject text NOT NULL,
    preheader text NOT NULL,
    body text NOT NULL,
    body_format text NOT NULL,
    status text NOT NULL,
    status_reason text NULL,
    auto_paused integer NOT NULL DEFAULT 0,
    scheduled_at bigint NULL,
    time_zone text NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    started_at bigint NULL,
    finished_at bigint NULL,
    total bigint NOT NULL DEFAULT 0,
    sent bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_org ON campaigns (org_id, id);
CREATE INDEX campaigns_active ON campaigns (status) WHERE status IN ('scheduled', 'sending');

-- state: 0 queued, 1 sent, 2 failed, 3 skipped (no longer wanted when its turn came).
-- No foreign keys, as on the other high-volume tables: a campaign fixes a million rows at once.
CREATE TABLE campaign_recipients (
    campaign_id bigint NOT NULL,
    subscriber_id bigint NOT NULL,
    state smallint NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    due_at bigint NOT NULL DEFAULT 0,
    lease_until bigint NULL,
    sent_at bigint NULL,
    last_error text NULL,
    PRIMARY KEY (campaign_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX campaign_recipients_queued ON campaign_recipients (campaign_id, subscriber_id) WHERE state = 0;

-- What each flush of results added, for the send rate, the ETA and the campaign's timeline.
CREATE TABLE campaign_progress (
    campaign_id bigint NOT NULL,
    at bigint NOT NULL,
    sent integer NOT NULL,
    failed integer NOT NULL
);
CREATE INDEX campaign_progress_campaign ON campaign_progress (campaign_id, at);
