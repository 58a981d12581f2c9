-- Retention and erasure (issue #7): what was deleted, when and why; the anonymous daily
-- aggregates that keep dashboards' history once a call's details are gone; and on each
-- call, which of its data kinds are gone. A call whose verdicts are gone stays as a
-- tombstone (status 'purged'): its content hash keeps the flows from analysing it again.

ALTER TABLE calls ADD COLUMN audio_deleted_at TIMESTAMP;       -- recording (and its sidecar) deleted or found gone
ALTER TABLE calls ADD COLUMN transcript_deleted_at TIMESTAMP;  -- segments, PII spans, evidence quotes deleted
ALTER TABLE calls ADD COLUMN purged_at TIMESTAMP;              -- everything but the tombstone deleted
ALTER TABLE calls ADD COLUMN purge_reason VARCHAR;             -- retention | erasure

-- Per day (of the call) and group, the calls folded in when their verdicts were deleted.
-- Live calls are counted from the details; storage.aggregates adds the two.
CREATE TABLE daily_aggregates (
    day                DATE NOT NULL,
    operator_id        VARCHAR NOT NULL,      -- '' when unknown
    team               VARCHAR NOT NULL,
    queue              VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    calls              BIGINT NOT NULL,
    scored_calls       BIGINT NOT NULL,
    score_sum          DECIMAL(38, 6) NOT NULL,  -- exact: folding in parts gives the same sum
    flagged            BIGINT NOT NULL,
    escalated          BIGINT NOT NULL,
    audio_s            DECIMAL(38, 3) NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (day, operator_id, team, queue, scorecard_name, scorecard_version)
);

-- Current verdicts (a reviewer's latest, else the automatic one) per criterion, likewise.
CREATE TABLE daily_criterion_aggregates (
    day                DATE NOT NULL,
    operator_id        VARCHAR NOT NULL,
    team               VARCHAR NOT NULL,
    queue              VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    criterion_id       VARCHAR NOT NULL,
    passed             BIGINT NOT NULL,
    failed             BIGINT NOT NULL,
    unknown            BIGINT NOT NULL,
    na                 BIGINT NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (day, operator_id, team, queue, scorecard_name, scorecard_version, criterion_id)
);

-- The audit log: one row per kind a retention pass deleted something of, one per erasure request.
CREATE TABLE deletions (
    deletion_id        VARCHAR PRIMARY KEY,
    deleted_at         TIMESTAMP NOT NULL,
    kind               VARCHAR NOT NULL,      -- audio | transcripts | verdicts | aggregates | erasure
    reason             VARCHAR NOT NULL,      -- retention | erasure
    detail             VARCHAR,               -- the term applied, or the erasure request's reason
    requested_by       VARCHAR NOT NULL,
    run_id             VARCHAR,               -- the nightly run that applied the policy
    customer_hash      VARCHAR,               -- erasure: the hashed number, never the number
    cutoff             TIMESTAMP,             -- retention: data of calls before this went
    calls              INTEGER NOT NULL,
    call_ids           VARCHAR[] NOT NULL,
    row_counts         JSON NOT NULL,         -- {"segments": 120, ...}
    files_deleted      INTEGER NOT NULL,
    files              VARCHAR[] NOT NULL,    -- paths deleted (erasure: none, a name may hold the number)
    files_left         VARCHAR[] NOT NULL     -- "path: why" for files found but not deleted
);
