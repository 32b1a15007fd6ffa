-- How far each reader of the global log (the relay) got; advanced only after the work for
-- every event up to `position` is done (for the relay: confirmed by the broker).
CREATE TABLE eventstore.subscriptions (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
