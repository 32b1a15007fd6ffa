-- Each competitive event's standings, kept by the `tables` projector with the winner rule of
-- commands/ranking.py: among teams with an APPROVED, non-deleted, scored submission, higher
-- mean first, then higher median, then more evaluations, then the earlier submission; a
-- team with several qualifying submissions keeps its best.
SET LOCAL search_path TO read;
-- tables --
CREATE TABLE IF NOT EXISTS leaderboard (
    event_id      uuid             NOT NULL,
    team_id       uuid             NOT NULL,
    submission_id uuid             NOT NULL,
    submitted_at  timestamptz      NOT NULL,
    evaluations   integer          NOT NULL,
    mean_score    double precision NOT NULL,
    median_score  double precision NOT NULL,
    rank          integer          NOT NULL,
    PRIMARY KEY (event_id, team_id)
);
CREATE INDEX IF NOT EXISTS leaderboard_rank ON leaderboard (event_id, rank);
