-- Answers to requests sent with an Idempotency-Key, per caller, so a repeated request
-- returns the first answer and appends nothing. request_hash is NULL while in progress.
CREATE SCHEMA IF NOT EXISTS write_api;

CREATE TABLE write_api.idempotency (
    caller        text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea,
    status        integer,
    headers       json,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_created ON write_api.idempotency (created_at);
