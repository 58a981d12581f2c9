-- Every listed phrase heard in a call (issue #17): the forbidden phrases behind a no_forbidden_phrases
-- verdict and the customer's escalation phrases, each with its category, quote, times and the
-- transcript segment (and characters in its text) that the app highlights. criteria_results keeps one
-- verdict per criterion and detections one row per escalation category; these are their evidence.
-- Written with the verdicts (storage.calls), per scorecard version like them, replaced on a rerun.

CREATE TABLE phrase_hits (
    call_id            VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    criterion_id       VARCHAR NOT NULL,      -- no_forbidden_phrases | escalation
    idx                INTEGER NOT NULL,      -- order in the call
    category           VARCHAR NOT NULL,      -- dismissive, rudeness... | manager, complaint...
    phrase             VARCHAR NOT NULL,      -- the scorecard's phrase it matched
    method             VARCHAR NOT NULL,
    confidence         DOUBLE,
    evidence_text      VARCHAR,               -- the words said (NULL once the transcript is deleted)
    evidence_start     DOUBLE NOT NULL,
    evidence_end       DOUBLE NOT NULL,
    segment_idx        INTEGER,               -- segments.idx holding its first word
    char_start         INTEGER,               -- where the quote sits in that segment's text
    char_end           INTEGER,
    PRIMARY KEY (call_id, scorecard_name, scorecard_version, criterion_id, idx)
);
