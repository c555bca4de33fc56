-- Tracking, private by default: opens and clicks are counted per campaign, link, hour and human/machine with no
-- person in the row. Individual events (with the subscriber) are kept only when the organisation turned individual
-- tracking on, and only for people who have not objected to profiling.

-- 1: the organisation keeps individual opens and clicks of people who have not objected to profiling.
ALTER TABLE organisations ADD COLUMN individual_tracking integer NOT NULL DEFAULT 0;

-- The links a campaign's messages carry through /t/c/, for the report. link_id is a hash of the URL (the same URL
-- always has the same id, whatever the layout does to the order); position is where it first appears.
CREATE TABLE campaign_links (
    campaign_id bigint NOT NULL,
    link_id integer NOT NULL,
    position integer NOT NULL,
    url text NOT NULL,
    PRIMARY KEY (campaign_id, link_id)
) WITHOUT ROWID;

-- Aggregate counts. kind: 1 open, 2 click, 3 unsubscribe (through the campaign's link); link_id 0 for all but clicks;
-- machine: 1 for a mailbox provider's prefetch, a link scanner and the like; hour: the Unix millisecond the hour starts.
CREATE TABLE tracking_counts (
    campaign_id bigint NOT NULL,
    kind smallint NOT NULL,
    link_id integer NOT NULL,
    machine smallint NOT NULL,
    hour bigint NOT NULL,
    total bigint NOT NULL,
    PRIMARY KEY (campaign_id, kind, link_id, machine, hour)
) WITHOUT ROWID;

-- Individual events: only with organisations.individual_tracking = 1, never for a person who objected to profiling.
-- No foreign keys, as on the other high-volume tables; erasure and objection delete a person's rows.
CREATE TABLE tracking_events (
    id INTEGER PRIMARY KEY,
    org_id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    subscriber_id bigint NOT NULL,
    kind smallint NOT NULL,
    link_id integer NOT NULL,
    machine smallint NOT NULL,
    at bigint NOT NULL
);
CREATE INDEX tracking_events_campaign ON tracking_events (campaign_id, kind, subscriber_id);
CREATE INDEX tracking_events_subscriber ON tracking_events (subscriber_id);
