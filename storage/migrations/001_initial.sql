-- Calls, their transcripts, verdicts with evidence, scores, reviews, and runs.
-- Per-call tables are keyed by call_id (a prefix of the audio's sha256), so
-- processing a recording again replaces its rows instead of adding new ones,
-- and reviews (keyed by their own id) are never touched by reprocessing.

CREATE TABLE calls (
    call_id            VARCHAR PRIMARY KEY,
    content_sha256     VARCHAR NOT NULL,
    source_path        VARCHAR NOT NULL,
    file_name          VARCHAR NOT NULL,
    file_size          BIGINT,
    status             VARCHAR NOT NULL,      -- processed | quarantined | failed
    error              VARCHAR,
    duration_s         DOUBLE,
    channels           INTEGER,
    sample_rate        INTEGER,
    language           VARCHAR,
    asr_model          VARCHAR,
    speaker_method     VARCHAR,
    asr_confidence     DOUBLE,
    scorecard_name     VARCHAR,               -- the scorecard whose verdicts are current
    scorecard_version  INTEGER,
    pipeline_version   VARCHAR,
    attempts           INTEGER NOT NULL DEFAULT 0,
    first_seen_at      TIMESTAMP NOT NULL,
    processed_at       TIMESTAMP,
    run_id             VARCHAR
);

CREATE TABLE segments (
    call_id            VARCHAR NOT NULL,
    idx                INTEGER NOT NULL,
    speaker            VARCHAR NOT NULL,      -- operator | customer | unknown
    channel            INTEGER,
    start_s            DOUBLE NOT NULL,
    end_s              DOUBLE NOT NULL,
    text               VARCHAR NOT NULL,
    asr_confidence     DOUBLE,
    speaker_confidence DOUBLE,
    PRIMARY KEY (call_id, idx)
);

CREATE TABLE criteria_results (
    call_id            VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    criterion_id       VARCHAR NOT NULL,
    result             VARCHAR NOT NULL,      -- pass | fail | unknown | na
    method             VARCHAR NOT NULL,
    confidence         DOUBLE,
    weight             DOUBLE,
    critical           BOOLEAN,
    reason             VARCHAR,
    evidence_text      VARCHAR,
    evidence_start     DOUBLE,
    evidence_end       DOUBLE,
    evidence_speaker   VARCHAR,
    scored_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, scorecard_name, scorecard_version, criterion_id)
);

CREATE TABLE scores (
    call_id            VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    score              DOUBLE,
    flags              VARCHAR[] NOT NULL,
    scored_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, scorecard_name, scorecard_version)
);

-- Append-only: the current verdict on a criterion is its latest review.
CREATE TABLE reviews (
    review_id          VARCHAR PRIMARY KEY,
    call_id            VARCHAR NOT NULL,
    criterion_id       VARCHAR,               -- NULL: a review of the whole call
    action             VARCHAR NOT NULL,      -- confirm | override | comment | reviewed
    verdict            VARCHAR,               -- pass | fail | na (for override/confirm)
    comment            VARCHAR,
    reviewer           VARCHAR NOT NULL,
    created_at         TIMESTAMP NOT NULL
);

CREATE TABLE runs (
    run_id             VARCHAR PRIMARY KEY,
    flow               VARCHAR NOT NULL,
    inbox              VARCHAR,
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    status             VARCHAR NOT NULL,      -- running | completed | failed
    discovered         INTEGER DEFAULT 0,
    new_calls          INTEGER DEFAULT 0,
    processed          INTEGER DEFAULT 0,
    quarantined        INTEGER DEFAULT 0,
    failed             INTEGER DEFAULT 0,
    skipped            INTEGER DEFAULT 0,
    audio_s            DOUBLE DEFAULT 0,
    wall_s             DOUBLE
);

CREATE INDEX calls_status ON calls (status);
CREATE INDEX reviews_call ON reviews (call_id);
