-- The REST API's tokens and its audit (issue #19). A token is 32 random bytes shown once; only its
-- SHA-256 is kept, so a copy of the database lets nobody in. Role and scopes say what it may do
-- (usecases.api_tokens); expiry and revocation are decided here, on the server.

CREATE TABLE api_tokens (
    name         VARCHAR PRIMARY KEY,   -- the integration it belongs to ("crm", "pbx-upload")
    token_hash   VARCHAR NOT NULL UNIQUE, -- hex SHA-256 of the token; never the token itself
    role         VARCHAR NOT NULL,      -- reviewer | trainer | admin | operator (usecases.users.Role)
    operator_id  VARCHAR,               -- an operator token's: the only calls it sees
    scopes       VARCHAR[] NOT NULL,    -- usecases.api_tokens.SCOPES
    created_at   TIMESTAMP NOT NULL,    -- UTC
    expires_at   TIMESTAMP,             -- UTC; NULL: no expiry
    revoked_at   TIMESTAMP,             -- UTC; set by `callqa tokens revoke`
    created_by   VARCHAR
);

-- One row per request the API answered: who (the token's name, never the token), what (method, path
-- without its query), how it went (status), from where, on which call, and when.
CREATE TABLE api_audit (
    request_id   VARCHAR PRIMARY KEY,
    requested_at TIMESTAMP NOT NULL,    -- UTC
    token_name   VARCHAR,               -- NULL: no token, or an unknown one
    method       VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,
    status       INTEGER NOT NULL,
    address      VARCHAR NOT NULL,
    call_id      VARCHAR,
    duration_ms  DOUBLE
);
CREATE INDEX api_audit_requested_at ON api_audit (requested_at);

-- Recordings submitted through the API and not necessarily processed yet: a call id before the nightly run
-- (or `callqa watch`) has a calls row for it says "queued", and whose it is (an operator token sees its own).
CREATE TABLE api_submissions (
    call_id      VARCHAR PRIMARY KEY,   -- pipeline.intake.identity.call_id_from_sha256 of the content
    path         VARCHAR NOT NULL,      -- where the recording waits in the inbox
    submitted_at TIMESTAMP NOT NULL,    -- UTC
    token_name   VARCHAR,
    operator_id  VARCHAR,
    external_id  VARCHAR                -- the CRM's own id, as given
);
