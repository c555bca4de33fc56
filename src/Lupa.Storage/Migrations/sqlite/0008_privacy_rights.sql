-- The data subject's rights as working features: objection to profiling, requests that keep no address after an
-- erasure, and the subscriber's campaign messages found by subscriber (erasure and the access report).

-- Set when the person objected to profiling (Article 21(2)): no individual tracking and no engagement scoring
-- may apply to them from then on.
ALTER TABLE subscribers ADD COLUMN objected_profiling_at bigint NULL;
-- A request whose subject was erased keeps only the keyed hash of the address (as the suppression list does).
ALTER TABLE privacy_requests ADD COLUMN subject_hash text NULL;
CREATE INDEX privacy_requests_subject ON privacy_requests (org_id, subject_email) WHERE subject_email IS NOT NULL;
CREATE INDEX campaign_recipients_subscriber ON campaign_recipients (subscriber_id);
CREATE INDEX outbox_rcpt ON outbox (lower(rcpt_to));
