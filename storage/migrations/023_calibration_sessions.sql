-- Reviewer calibration sessions (issue #18): a lead picks calls and reviewers; each reviewer scores every
-- call blind, one verdict per criterion. The answers live here, never in `reviews`, so a session never
-- changes a call's verdicts. A session is open (answers may change) until its lead closes it.

CREATE TABLE calibration_sessions (
    session_id      VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    created_by      VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    closed_by       VARCHAR,              -- NULL while open
    closed_at       TIMESTAMP
);

-- The calls, in the order reviewers see them, with the scorecard version their criteria come from (pinned
-- when the session is made, so a later re-scoring does not change what was asked).
CREATE TABLE calibration_session_calls (
    session_id         VARCHAR NOT NULL,
    call_id            VARCHAR NOT NULL,
    position           INTEGER NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    PRIMARY KEY (session_id, call_id)
);

CREATE TABLE calibration_session_reviewers (
    session_id      VARCHAR NOT NULL,
    reviewer        VARCHAR NOT NULL,
    PRIMARY KEY (session_id, reviewer)
);

-- One reviewer's verdict on one criterion of one call; answering again (while open) replaces it.
CREATE TABLE calibration_session_answers (
    session_id      VARCHAR NOT NULL,
    call_id         VARCHAR NOT NULL,
    criterion_id    VARCHAR NOT NULL,
    reviewer        VARCHAR NOT NULL,
    verdict         VARCHAR NOT NULL,     -- pass | fail | na
    answered_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, call_id, criterion_id, reviewer)
);
