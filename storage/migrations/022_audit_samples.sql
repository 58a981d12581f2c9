-- The audit sample (issue #18): calls drawn at random each night (or on demand), flagged or not, for
-- reviewers to judge; their reviews are the unbiased ground truth of the accuracy sheet. One row per
-- call drawn; a draw repeated for the same sample (its period) adds no row (the primary key).

CREATE TABLE audit_samples (
    sample_id          VARCHAR NOT NULL,      -- 'night-2026-12-06', or the period drawn on demand
    call_id            VARCHAR NOT NULL,
    stratum            VARCHAR NOT NULL,      -- e.g. 'operator=op.ivanov; channels=stereo'
    drawn_at           TIMESTAMP NOT NULL,    -- UTC
    drawn_by           VARCHAR NOT NULL,      -- 'nightly', or the user who asked
    seed               VARCHAR NOT NULL,      -- settings.sampling.seed at the draw
    period_since       TIMESTAMP,             -- the calls' period the sample was drawn from: [since, until)
    period_until       TIMESTAMP,
    PRIMARY KEY (sample_id, call_id)
);

CREATE INDEX audit_samples_call ON audit_samples (call_id);
