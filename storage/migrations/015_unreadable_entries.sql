-- Inbox entries a run could not read (issue #15: a symlink loop stopped the whole night). They have
-- no content, so no call id: kept per run with the reason, beside the run's quarantined and failed calls.

CREATE TABLE unreadable_entries (
    run_id   VARCHAR NOT NULL,
    path     VARCHAR NOT NULL,
    reason   VARCHAR NOT NULL,
    seen_at  TIMESTAMP NOT NULL
);
ALTER TABLE runs ADD COLUMN unreadable INTEGER DEFAULT 0;
