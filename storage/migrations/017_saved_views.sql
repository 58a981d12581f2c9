-- A reviewer's named queue filters (issue #17): "Team A, not reviewed, critical first", picked
-- again later. By user name, as user_preferences: users live in the users file, not here.
-- params: the queue's link parameters as JSON ({"team": ["A"], "reviewed": "no"}), checked again
-- when the view is opened (an operator may have gone since).

CREATE TABLE saved_views (
    user_name   VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    params      VARCHAR NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_name, name)
);
