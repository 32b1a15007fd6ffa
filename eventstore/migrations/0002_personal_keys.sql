-- Per-user data keys for personal data inside events (email, name), kept outside the event
-- rows. Erasing a person destroys the key (data_key becomes NULL): the ciphertexts in the
-- history, covered by the hash chain, stay as they are but can no longer be read.
CREATE TABLE eventstore.personal_keys (
    user_id      uuid        PRIMARY KEY,
    data_key     bytea       CHECK (data_key IS NULL OR length(data_key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((data_key IS NULL) = (destroyed_at IS NOT NULL))
);
