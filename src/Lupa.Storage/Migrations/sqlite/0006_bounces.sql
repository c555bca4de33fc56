-- Bounces and complaints. Every one is stored, linked to the campaign and the recipient, with the
-- report as it came for Lupa:Bounces:RawRetentionDays (then raw is set to NULL), and counted per
-- campaign and per organisation.

ALTER TABLE campaigns ADD COLUMN hard_bounces bigint NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN soft_bounces bigint NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN complaints bigint NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN hard_bounces bigint NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN soft_bounces bigint NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN complaints bigint NOT NULL DEFAULT 0;

-- kind: hard, soft or complaint. source: send (a 5xx answer during the send), listener or mailbox.
-- status: the enhanced status code of a bounce, the feedback type of a complaint.
-- One event per campaign, recipient and kind: a report that arrives twice (a retried delivery, two
-- nodes reading one mailbox) is stored and counted once. No foreign keys, as on the other
-- high-volume tables.
CREATE TABLE bounce_events (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    subscriber_id bigint NOT NULL,
    kind text NOT NULL,
    status text NULL,
    diagnostic text NULL,
    source text NOT NULL,
    raw blob NULL,
    received_at bigint NOT NULL,
    UNIQUE (campaign_id, subscriber_id, kind)
);
CREATE INDEX bounce_events_org ON bounce_events (org_id, id);
CREATE INDEX bounce_events_campaign ON bounce_events (campaign_id, id);
CREATE INDEX bounce_events_soft ON bounce_events (org_id, subscriber_id, received_at) WHERE kind = 'soft';
CREATE INDEX bounce_events_raw ON bounce_events (received_at) WHERE raw IS NOT NULL;
