-- A running import reads, before each batch, the suppression entries written since its last look: the people erased,
-- unsubscribed or suppressed meanwhile are skipped from then on.
CREATE INDEX suppressions_org_created ON suppressions (org_id, created_at);
