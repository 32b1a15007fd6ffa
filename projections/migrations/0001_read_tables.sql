-- The read tables: a function of the event store, written only by the `tables` projector
-- and rebuilt by `kazrockets replay` (which runs the part after the marker below in a fresh
-- schema and swaps it in). Names are unqualified: the schema comes from the search_path.
--
-- Foreign keys: only team_member -> team. A team's members come from the team's own stream
-- (TeamCreated, TeamMemberJoined), which is always projected in order, so the team row exists
-- first. Every other reference crosses streams (an evaluation names a submission, a submission
-- a team), and streams are projected by different partitions in no fixed order between them,
-- so those rules are enforced by the write side and not repeated here.
CREATE SCHEMA IF NOT EXISTS read;
SET LOCAL search_path TO read;
-- tables --
CREATE TABLE app_user (
    user_id    uuid        PRIMARY KEY,
    email      text        NOT NULL,
    email_hash text        NOT NULL,
    name       text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('PARTICIPANT', 'ORGANIZER', 'JUDGE', 'AUDITOR')),
    language   text        NOT NULL DEFAULT 'en',
    team_id    uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    erased_at  timestamptz
);
CREATE UNIQUE INDEX app_user_live_email ON app_user (email_hash) WHERE deleted_at IS NULL;
CREATE INDEX app_user_email ON app_user (email);
CREATE INDEX app_user_team ON app_user (team_id);

CREATE TABLE team (
    team_id    uuid        PRIMARY KEY,
    name       text        NOT NULL,
    captain_id uuid        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX team_captain ON team (captain_id);

CREATE TABLE team_member (
    team_id   uuid        NOT NULL REFERENCES team (team_id) ON DELETE CASCADE,
    user_id   uuid        NOT NULL,
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_member_user ON team_member (user_id);

CREATE TABLE competitive_event (
    event_id       uuid        PRIMARY KEY,
    title          text        NOT NULL,
    start_date     timestamptz NOT NULL,
    end_date       timestamptz NOT NULL,
    winner_team_id uuid,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deleted_at     timestamptz,
    CHECK (end_date > start_date)
);
CREATE INDEX competitive_event_dates ON competitive_event (start_date, end_date);

CREATE TABLE submission (
    submission_id    uuid        PRIMARY KEY,
    team_id          uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    file_url         text        NOT NULL,
    file_size        bigint      NOT NULL,
    sha256           text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
    rejection_reason text,
    submitted_at     timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz
);
CREATE INDEX submission_team ON submission (team_id);
CREATE INDEX submission_event ON submission (event_id);

CREATE TABLE evaluation (
    evaluation_id uuid        PRIMARY KEY,
    submission_id uuid        NOT NULL,
    judge_id      uuid        NOT NULL,
    score         integer     NOT NULL CHECK (score BETWEEN 0 AND 100),
    comments      text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
CREATE INDEX evaluation_submission ON evaluation (submission_id);
CREATE INDEX evaluation_judge ON evaluation (judge_id);

CREATE TABLE judge_assignment (
    submission_id uuid        NOT NULL,
    judge_id      uuid        NOT NULL,
    assigned_at   timestamptz NOT NULL,
    PRIMARY KEY (submission_id, judge_id)
);
CREATE INDEX judge_assignment_judge ON judge_assignment (judge_id);

-- Exactly-once effect: the last version of each stream a projection applied, written in the
-- same transaction as the rows it changed.
CREATE TABLE stream_versions (
    projection text    NOT NULL,
    stream_id  text    NOT NULL,
    version    integer NOT NULL,
    PRIMARY KEY (projection, stream_id)
);

-- Per partition, the position up to which every event of that partition is applied.
-- The minimum over a projection's partitions is its watermark (read-your-writes, lag).
CREATE TABLE partition_positions (
    projection text        NOT NULL,
    partition  integer     NOT NULL,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, partition)
);
