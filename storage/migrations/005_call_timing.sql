-- Where and how long each call was analysed (issue #6): the analyzer's own time (stage_s), the
-- worker's time for the call including its analysis process and retries (worker_s), and which
-- worker (host:pid). Benchmarks and the run report compare them with the flow's wall time.

ALTER TABLE calls ADD COLUMN stage_s DOUBLE;
ALTER TABLE calls ADD COLUMN worker_s DOUBLE;
ALTER TABLE calls ADD COLUMN worker VARCHAR;
