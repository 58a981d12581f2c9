-- A user's own choices in the app (issue #17), by user name: the interface language for now.
-- Users live in the users file, not here, so a removed user's rows are harmless and a new
-- user with the same name inherits them.

CREATE TABLE user_preferences (
    user_name   VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_name, name)
);
