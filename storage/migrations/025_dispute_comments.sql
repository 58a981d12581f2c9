-- Dispute comments under retention and erasure (issue #18): an operator's comment and a reviewer's answer are
-- free text about the call that may quote what was said, so they go with the transcript (retention's
-- transcripts term; the outcome and who and when stay until the verdicts' term), like reviewers' comments.
-- A resolution carries its call's id, so purging or erasing a call takes it with the dispute. DuckDB alters a
-- column only on a table without indexes: they are dropped and made again.

DROP INDEX disputes_call;
DROP INDEX disputes_operator;
ALTER TABLE disputes ALTER COLUMN comment DROP NOT NULL;
CREATE INDEX disputes_call ON disputes (call_id);
CREATE INDEX disputes_operator ON disputes (operator_id);

DROP INDEX dispute_resolutions_dispute;
ALTER TABLE dispute_resolutions ALTER COLUMN comment DROP NOT NULL;
ALTER TABLE dispute_resolutions ADD COLUMN call_id VARCHAR;
UPDATE dispute_resolutions r SET call_id = d.call_id FROM disputes d WHERE d.dispute_id = r.dispute_id;
CREATE INDEX dispute_resolutions_dispute ON dispute_resolutions (dispute_id);
CREATE INDEX dispute_resolutions_call ON dispute_resolutions (call_id);
