-- Login attempts and their audit trail (issue #15): every login success, failure, refusal, lockout,
-- logout and admin unlock is a row. The login throttle is computed from these rows, so it holds across
-- browser sessions, tabs and app restarts. Never a password, not even a wrong one.

CREATE TABLE auth_events (
    event_id   VARCHAR PRIMARY KEY,   -- random; lets the pending journal replay a row idempotently
    occurred_at TIMESTAMP NOT NULL,   -- UTC
    user_name  VARCHAR NOT NULL,      -- as typed (trimmed, cut at 128 characters); '' for an address unlock
    address    VARCHAR NOT NULL,      -- client address as the app saw it; '' when unknown or local
    outcome    VARCHAR NOT NULL,      -- success | failure | throttled | locked | lockout | unavailable | logout | unlock
    scope      VARCHAR,               -- lockout/unlock: user | address; throttled/locked: the scope that refused
    detail     VARCHAR                -- a short note for people (wait seconds, who unlocked); never a password
);
CREATE INDEX auth_events_user ON auth_events (user_name, occurred_at);
CREATE INDEX auth_events_address ON auth_events (address, occurred_at);
