-- Insights for managers (issue #7): where a call was handled (site, vendor), why the customer
-- called and how the call ended, the predicted satisfaction, and real survey scores (CSAT)
-- imported for some calls. Computed after a call is stored, from its stored transcript and
-- analytics, so a rescore or a new taxonomy recomputes them without the audio.

ALTER TABLE calls ADD COLUMN site VARCHAR;      -- the contact-centre site that handled the call (metadata)
ALTER TABLE calls ADD COLUMN vendor VARCHAR;    -- the outsourcing company running that site; NULL: in-house

-- Why the customer called (taxonomy reason) and how the call ended (outcome), one row per call.
CREATE TABLE call_insights (
    call_id                VARCHAR PRIMARY KEY,
    insights_version       VARCHAR NOT NULL,      -- taxonomy digest + method version: stale rows are recomputed
    problem_statement      VARCHAR,               -- the customer's words the reason was judged on (a transcript quote)
    problem_start          DOUBLE,
    problem_end            DOUBLE,
    problem_embedding      FLOAT[512],            -- its sentence vector, for discovering reasons not in the taxonomy
    reason_id              VARCHAR,               -- taxonomy id; NULL: no taxonomy reason matched
    reason_score           DOUBLE,                -- similarity of the best match (0..1)
    reason_method          VARCHAR,
    outcome                VARCHAR NOT NULL,      -- resolved | follow_up | order_placed | transferred | unresolved
    outcome_confidence     DOUBLE,
    outcome_method         VARCHAR,
    outcome_evidence_text  VARCHAR,               -- the operator's (or customer's) words that decided it
    outcome_evidence_start DOUBLE,
    outcome_evidence_end   DOUBLE,
    computed_at            TIMESTAMP NOT NULL
);

-- Predicted customer satisfaction (1..5) with the factors it came from.
CREATE TABLE call_satisfaction (
    call_id                VARCHAR PRIMARY KEY,
    model_version          VARCHAR NOT NULL,
    predicted              DOUBLE NOT NULL,       -- 1..5
    factors                JSON NOT NULL,         -- {"sentiment_end": ..., "outcome": ..., ...} and their contributions
    computed_at            TIMESTAMP NOT NULL
);

-- Survey scores imported from CSV (callqa import-csat); the latest import of a call wins.
CREATE TABLE csat (
    call_id                VARCHAR PRIMARY KEY,
    score                  INTEGER NOT NULL,      -- 1..5
    source                 VARCHAR,               -- the imported file's name
    imported_at            TIMESTAMP NOT NULL
);

CREATE INDEX calls_site ON calls (site);
CREATE INDEX calls_vendor ON calls (vendor);
