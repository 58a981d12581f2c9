-- The review and trainer app (issue #5): who reviewed in which role, coaching topics
-- assigned to operators (append-only, like reviews), and indexes for the queue's filters.

ALTER TABLE reviews ADD COLUMN reviewer_role VARCHAR;     -- reviewer | trainer | admin (NULL before #5)

CREATE TABLE coaching_assignments (
    assignment_id      VARCHAR PRIMARY KEY,
    operator_id        VARCHAR NOT NULL,
    criterion_id       VARCHAR NOT NULL,
    assigned_by        VARCHAR NOT NULL,
    assigned_at        TIMESTAMP NOT NULL,
    note               VARCHAR
);

CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX coaching_assignments_operator ON coaching_assignments (operator_id);
