-- Logins that survive a reload or a new tab (issue #17): one row per login. The browser holds a
-- random token in a signed cookie; only the token's SHA-256 is kept here, so a copy of the database
-- logs nobody in. Expiry, idle time and revocation are decided here, on the server, never by the cookie.

CREATE TABLE login_sessions (
    token_hash     VARCHAR PRIMARY KEY,  -- hex SHA-256 of the cookie's token; never the token itself
    user_name      VARCHAR NOT NULL,
    credential     VARCHAR NOT NULL,     -- fingerprint of the user's password hash at login: a new password ends it
    address        VARCHAR NOT NULL,     -- client address at login ('' when local or unknown)
    created_at     TIMESTAMP NOT NULL,   -- UTC
    last_seen_at   TIMESTAMP NOT NULL,   -- UTC; updated at most once a minute while a tab is used
    expires_at     TIMESTAMP NOT NULL,   -- UTC; the session ends then whatever the cookie says
    revoked_at     TIMESTAMP,            -- set by a logout (any tab), a password change, a removal, an admin
    revoked_reason VARCHAR
);
CREATE INDEX login_sessions_user ON login_sessions (user_name);
