-- Call detail records from the PBX or the CRM (issue #19): each call's way through a queue, for service level,
-- abandonment, speed of answer and handle time beside the QA figures. Keyed by pipeline.intake.cdr's key (the
-- PBX's id, with Asterisk's sequence or start time; else a digest of the record), so importing the same file
-- or an overlapping export again replaces rows instead of adding them. No caller number is kept.

CREATE TABLE cdr_records (
    record_key         VARCHAR PRIMARY KEY,
    call_ref           VARCHAR,               -- the PBX's or CRM's id of the call (Asterisk: uniqueid)
    linked_ref         VARCHAR,               -- Asterisk's linkedid: shared by the call's channels
    queue              VARCHAR,
    agent              VARCHAR,               -- the operator id as the PBX names the agent
    entered_at         TIMESTAMP NOT NULL,    -- entered the queue (local time, as the PBX writes it)
    answered_at        TIMESTAMP,             -- NULL: not answered
    ended_at           TIMESTAMP NOT NULL,
    outcome            VARCHAR NOT NULL,      -- answered | abandoned | failed
    team               VARCHAR,               -- from the file's own columns, when it has them
    site               VARCHAR,
    vendor             VARCHAR,
    source_file        VARCHAR NOT NULL,      -- the file's name it was (last) imported from
    imported_at        TIMESTAMP NOT NULL
);
-- No secondary indexes: DuckDB joins by hash and skips row groups by their min/max, and an ART index on each id
-- made importing 120,000 records again several times slower (benchmarks/cdr_kpis.py).
