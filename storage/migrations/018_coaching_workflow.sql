-- The trainer's workflow (issue #17): a coaching assignment has a due date and moves through
-- assigned -> in progress -> done, or is cancelled (the trainer's undo). Status changes are
-- append-only events, like reviews, so the history says who changed what and when, and a
-- change journalled while the nightly flow held the file replays idempotently (storage.pending).

ALTER TABLE coaching_assignments ADD COLUMN due_on DATE;

CREATE TABLE coaching_assignment_events (
    event_id        VARCHAR PRIMARY KEY,
    assignment_id   VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,     -- assigned | in_progress | done | cancelled
    changed_by      VARCHAR NOT NULL,
    changed_at      TIMESTAMP NOT NULL
);

CREATE INDEX coaching_assignment_events_assignment ON coaching_assignment_events (assignment_id);
