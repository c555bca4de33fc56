-- The acceptable use policy: the people each campaign's own link unsubscribed, the stop a campaign's
-- rates caused, and suspensions of an organisation's sending with the operator's review. Indexes for
-- the operator's dashboard (campaigns by start) and the organisation's weekly reports.

ALTER TABLE campaigns ADD COLUMN unsubscribes bigint NOT NULL DEFAULT 0;
-- Set once, when the campaign's rates went over a stop threshold: a campaign suspends its organisation
-- at most once, so after the operator lifts the suspension it may be resumed and finish.
ALTER TABLE campaigns ADD COLUMN policy_stopped_at bigint NULL;
CREATE INDEX campaigns_started ON campaigns (started_at, org_id) WHERE started_at IS NOT NULL;

-- One row per suspension; open while lifted_at is NULL, and at most one open per organisation.
-- measure: the policy measure that stopped it (hard_bounce_rate, complaint_rate, unsubscribe_rate);
-- campaign_id: the campaign whose rates did it, NULL when the organisation's window did.
-- reviewed_*: the operator's last look that kept it; lifted_*: the review that ended it.
CREATE TABLE suspensions (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organisations(id),
    campaign_id bigint NULL,
    measure text NOT NULL,
    reason text NOT NULL,
    suspended_at bigint NOT NULL,
    reviewed_at bigint NULL,
    reviewed_by text NULL,
    review_note text NULL,
    lifted_at bigint NULL,
    lifted_by text NULL
);
CREATE UNIQUE INDEX suspensions_open ON suspensions (org_id) WHERE lifted_at IS NULL;
CREATE INDEX suspensions_org ON suspensions (org_id, id);

CREATE INDEX consent_records_org_recorded ON consent_records (org_id, recorded_at);
CREATE INDEX bounce_events_org_received ON bounce_events (org_id, received_at);
