-- Operators answer their own evaluations (issue #18): they acknowledge an evaluation, or dispute one
-- verdict with a comment; a reviewer resolves a dispute (upheld: the verdict stands; overturned: a
-- reviewer's override changes it, written to `reviews` like every verdict). All three tables are
-- append-only: a dispute is open while it has no resolution row, so who did what and when is kept.

CREATE TABLE evaluation_acknowledgements (
    call_id          VARCHAR NOT NULL,
    operator_id      VARCHAR NOT NULL,
    acknowledged_by  VARCHAR NOT NULL,     -- the user name (or OIDC e-mail) who pressed "acknowledge"
    acknowledged_at  TIMESTAMP NOT NULL    -- UTC
);

CREATE INDEX evaluation_acknowledgements_call ON evaluation_acknowledgements (call_id);

CREATE TABLE disputes (
    dispute_id        VARCHAR PRIMARY KEY,
    call_id           VARCHAR NOT NULL,
    criterion_id      VARCHAR NOT NULL,
    operator_id       VARCHAR NOT NULL,
    raised_by         VARCHAR NOT NULL,
    raised_at         TIMESTAMP NOT NULL,  -- UTC
    comment           VARCHAR NOT NULL,    -- why the operator disagrees (required)
    disputed_verdict  VARCHAR NOT NULL     -- the verdict that stood when it was raised: pass | fail | na | unknown
);

CREATE INDEX disputes_call ON disputes (call_id);
CREATE INDEX disputes_operator ON disputes (operator_id);

CREATE TABLE dispute_resolutions (
    dispute_id   VARCHAR NOT NULL,
    outcome      VARCHAR NOT NULL,         -- upheld | overturned
    resolved_by  VARCHAR NOT NULL,
    resolved_at  TIMESTAMP NOT NULL,       -- UTC
    comment      VARCHAR NOT NULL,
    new_verdict  VARCHAR                   -- overturned: the reviewer's verdict written to `reviews`
);

CREATE INDEX dispute_resolutions_dispute ON dispute_resolutions (dispute_id);
