-- Webhooks (issue #19): an outbox of events written by the code that makes them happen, in the same
-- transaction (a stored analysis, a finished run, a dispute raised or resolved), and their delivery to each
-- configured endpoint with a log of every attempt. Payloads hold ids, scores, flags and counts only: never
-- transcripts, evidence quotes, customer numbers or file paths.

CREATE TABLE webhook_events (
    event_id       VARCHAR PRIMARY KEY,
    event_type     VARCHAR NOT NULL,    -- call.processed | call.flagged | call.escalation | dispute.raised | ...
    dedupe_key     VARCHAR NOT NULL UNIQUE,  -- what makes it happen once: e.g. call.processed:CALL:SCORECARD:VERSION
    call_id        VARCHAR,             -- NULL for run events
    created_at     TIMESTAMP NOT NULL,  -- UTC
    payload        VARCHAR NOT NULL,    -- JSON: the event's "data"
    dispatched_at  TIMESTAMP            -- NULL: not yet given a delivery per configured endpoint
);

CREATE INDEX webhook_events_created ON webhook_events (created_at);
CREATE INDEX webhook_events_call ON webhook_events (call_id);

-- One row per event and endpoint: its state now (pending until delivered or given up). The call_id columns let
-- retention and erasure (storage.retention.per_call_tables) delete a call's events, deliveries and log with it.
CREATE TABLE webhook_deliveries (
    event_id         VARCHAR NOT NULL,
    call_id          VARCHAR,           -- the event's call (NULL for run events)
    endpoint         VARCHAR NOT NULL,  -- the URL POSTed to
    status           VARCHAR NOT NULL,  -- pending | delivered | failed
    attempts         INTEGER NOT NULL,  -- tries since it was (re)queued
    next_attempt_at  TIMESTAMP,         -- UTC; a deliverer's claim pushes it forward while it tries
    last_attempt_at  TIMESTAMP,
    last_status      INTEGER,           -- the endpoint's HTTP status of the last try (NULL: no answer)
    last_error       VARCHAR,
    delivered_at     TIMESTAMP,
    queued_at        TIMESTAMP NOT NULL,  -- first queued, or replayed
    PRIMARY KEY (event_id, endpoint)
);

-- No index on status/next_attempt_at: DuckDB turns an UPDATE of an indexed column into a delete and an insert,
-- which trips the primary key when a pass updates the same row twice in one transaction.

-- Every try, appended: the delivery log.
CREATE TABLE webhook_attempts (
    event_id     VARCHAR NOT NULL,
    call_id      VARCHAR,
    endpoint     VARCHAR NOT NULL,
    delivery_id  VARCHAR NOT NULL,      -- sent as X-Callqa-Delivery: one per try
    attempt      INTEGER NOT NULL,
    tried_at     TIMESTAMP NOT NULL,    -- UTC
    status_code  INTEGER,
    error        VARCHAR,
    duration_ms  DOUBLE
);

CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id);
