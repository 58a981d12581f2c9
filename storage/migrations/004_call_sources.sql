-- Call metadata from the recorder (issue #6): direction, and the customer's number as a keyed
-- hash (never the number itself), so one customer's calls can be found and erased.

ALTER TABLE calls ADD COLUMN direction VARCHAR;          -- inbound | outbound (as the recorder says)
ALTER TABLE calls ADD COLUMN customer_hash VARCHAR;      -- pipeline.customer_id.customer_hash

CREATE INDEX calls_customer_hash ON calls (customer_hash);
