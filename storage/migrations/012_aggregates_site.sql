-- The daily aggregates by site too (issue #7, periodic reports per site): a call folded when its
-- verdicts are deleted still counts for the site that handled it. Site joins the key, so the tables
-- are rebuilt; folded rows from before this migration have no known site ('').

CREATE TABLE daily_aggregates_by_site (
    day                DATE NOT NULL,
    operator_id        VARCHAR NOT NULL,
    team               VARCHAR NOT NULL,
    queue              VARCHAR NOT NULL,
    site               VARCHAR NOT NULL,      -- '' when unknown
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    calls              BIGINT NOT NULL,
    scored_calls       BIGINT NOT NULL,
    score_sum          DECIMAL(38, 6) NOT NULL,
    flagged            BIGINT NOT NULL,
    escalated          BIGINT NOT NULL,
    audio_s            DECIMAL(38, 3) NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (day, operator_id, team, queue, site, scorecard_name, scorecard_version)
);
INSERT INTO daily_aggregates_by_site
SELECT day, operator_id, team, queue, '', scorecard_name, scorecard_version,
       calls, scored_calls, score_sum, flagged, escalated, audio_s, updated_at
FROM daily_aggregates;
DROP TABLE daily_aggregates;
ALTER TABLE daily_aggregates_by_site RENAME TO daily_aggregates;

CREATE TABLE daily_criterion_aggregates_by_site (
    day                DATE NOT NULL,
    operator_id        VARCHAR NOT NULL,
    team               VARCHAR NOT NULL,
    queue              VARCHAR NOT NULL,
    site               VARCHAR NOT NULL,
    scorecard_name     VARCHAR NOT NULL,
    scorecard_version  INTEGER NOT NULL,
    criterion_id       VARCHAR NOT NULL,
    passed             BIGINT NOT NULL,
    failed             BIGINT NOT NULL,
    unknown            BIGINT NOT NULL,
    na                 BIGINT NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (day, operator_id, team, queue, site, scorecard_name, scorecard_version, criterion_id)
);
INSERT INTO daily_criterion_aggregates_by_site
SELECT day, operator_id, team, queue, '', scorecard_name, scorecard_version, criterion_id,
       passed, failed, unknown, na, updated_at
FROM daily_criterion_aggregates;
DROP TABLE daily_criterion_aggregates;
ALTER TABLE daily_criterion_aggregates_by_site RENAME TO daily_criterion_aggregates;
