-- Standings carry the team's name (the leaderboard answer shows it), and each event's
-- standings a revision: it grows by one with every recomputation, under the lock that
-- serialises them, so the Redis copy of the standings is only ever replaced by a newer one.
-- `position` is the highest global position of an event those standings reflect.
SET LOCAL search_path TO read;
-- tables --
ALTER TABLE leaderboard ADD COLUMN IF NOT EXISTS team_name text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS leaderboard_revision (
    event_id uuid   PRIMARY KEY,
    revision bigint NOT NULL,
    position bigint NOT NULL
);
