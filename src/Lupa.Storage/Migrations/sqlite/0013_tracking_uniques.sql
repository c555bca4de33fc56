-- Unique opens and clicks without a person: every tracked message carries a random tag (the same in all its links,
-- in no other message, never stored next to anyone), and one recipient gets one message of a campaign, so the
-- number of distinct tags seen is the number of recipients who opened or clicked. A tag is kept once per campaign,
-- kind (1 open, 2 click), link (0 for opens), and human or machine (1 when made by a prefetch, a scanner and the
-- like): a message opened by an image proxy and then by its reader is in both. No time, no subscriber: nothing
-- here can be joined to a person or to their individual events. The key leads with the campaign, so a campaign's
-- tags are deleted in one range.
CREATE TABLE tracking_tags (
    campaign_id bigint NOT NULL,
    kind smallint NOT NULL,
    link_id integer NOT NULL,
    machine smallint NOT NULL,
    tag bigint NOT NULL,
    PRIMARY KEY (campaign_id, kind, link_id, machine, tag)
) WITHOUT ROWID;
-- The retention job deletes individual events by age (Lupa:Retention, tracking period).
CREATE INDEX tracking_events_at ON tracking_events (at);
