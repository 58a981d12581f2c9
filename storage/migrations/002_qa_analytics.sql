-- QA analytics (issue #4): word timings for rescoring, call metadata (operator, team),
-- conversation metrics and sentiment, redacted PII spans, escalation detections, and
-- the scorecards themselves, so every stored verdict can be traced to its exact rules.

ALTER TABLE calls ADD COLUMN operator_id VARCHAR;
ALTER TABLE calls ADD COLUMN team VARCHAR;
ALTER TABLE calls ADD COLUMN queue VARCHAR;
ALTER TABLE calls ADD COLUMN started_at TIMESTAMP;       -- when the call took place (metadata), else file time
ALTER TABLE calls ADD COLUMN dropped_segments INTEGER;
ALTER TABLE calls ADD COLUMN speech_regions JSON;        -- VAD regions per channel, for metrics on rescoring

-- Words with their times and recognition probability (redacted like the text).
ALTER TABLE segments ADD COLUMN words STRUCT(s DOUBLE, e DOUBLE, w VARCHAR, p DOUBLE)[];
ALTER TABLE segments ADD COLUMN sentiment DOUBLE;       -- [-1, 1]

CREATE TABLE call_analytics (
    call_id            VARCHAR PRIMARY KEY,
    metrics            JSON,                  -- ConversationMetrics.to_json()
    sentiment          JSON,                  -- {customer_start, customer_end, operator_mean}
    customer_end_sentiment DOUBLE,
    talk_listen_ratio  DOUBLE,
    dead_air_s         DOUBLE,
    overtalk_s         DOUBLE,
    handle_time_s      DOUBLE
);

-- Where personal data was masked in the stored transcript: the app mutes these moments.
CREATE TABLE pii_spans (
    call_id            VARCHAR NOT NULL,
    idx                INTEGER NOT NULL,
    kind               VARCHAR NOT NULL,      -- phone | card | passport | email
    segment_idx        INTEGER,
    start_s            DOUBLE NOT NULL,
    end_s              DOUBLE NOT NULL,
    PRIMARY KEY (call_id, idx)
);

-- Things noticed but not scored (escalations), per scorecard version like verdicts.
CREATE TABLE detections (
    call_id            VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    kind               VARCHAR NOT NULL,      -- escalation
    category           VARCHAR NOT NULL,      -- manager | complaint | regulator | legal | cancellation
    method             VARCHAR NOT NULL,
    confidence         DOUBLE,
    evidence_text      VARCHAR,
    evidence_start     DOUBLE,
    evidence_end       DOUBLE,
    PRIMARY KEY (call_id, scorecard_name, scorecard_version, kind, category)
);

-- The exact text of each scorecard version ever used: name@version always means the same rules.
CREATE TABLE scorecards (
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    digest             VARCHAR NOT NULL,
    yaml               VARCHAR NOT NULL,
    registered_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (scorecard_name, scorecard_version)
);

CREATE INDEX calls_operator ON calls (operator_id);
CREATE INDEX criteria_results_criterion ON criteria_results (scorecard_name, scorecard_version, criterion_id);
