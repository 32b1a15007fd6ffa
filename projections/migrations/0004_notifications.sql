-- In-app notifications, the read model of the notifications the task worker records as events
-- (newest first per user). Empty until that worker runs.
SET LOCAL search_path TO read;
-- tables --
CREATE TABLE IF NOT EXISTS notification (
    notification_id uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL,
    kind            text        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    read_at         timestamptz
);
CREATE INDEX IF NOT EXISTS notification_user ON notification (user_id, created_at DESC, notification_id);
