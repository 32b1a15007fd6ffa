-- The conflicts judges declared with teams (permanent history): the evaluation_assignment
-- worker never assigns a judge to a team they declared a conflict with.
SET LOCAL search_path TO read;
-- tables --
CREATE TABLE IF NOT EXISTS judge_conflict (
    judge_id    uuid        NOT NULL,
    team_id     uuid        NOT NULL,
    reason      text        NOT NULL,
    declared_at timestamptz NOT NULL,
    PRIMARY KEY (judge_id, team_id)
);
CREATE INDEX IF NOT EXISTS judge_conflict_team ON judge_conflict (team_id);
