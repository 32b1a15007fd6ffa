-- Group commit: the appends of several commands in one transaction, each still all or nothing.
--
-- eventstore.append_events wrote one command per transaction, so every command paid a round
-- trip, a commit flush and the function's set-up alone. append_batch takes the commands that
-- queued up in one process while its previous batch was being written (EventStore groups
-- them; a lone command goes out at once, never waiting for company) and writes them in one
-- transaction. The whole batch is first written set-based, in one subtransaction; if any
-- command fails (version conflict, unique key taken, anything else), that is rolled back
-- and each command is written again alone, in a subtransaction of its own, so that the
-- failing one is rolled back alone and reported in its result row while the others commit.
-- Both paths run the same code, eventstore.write_commands, over a range of commands. A
-- batch that releases unique keys goes one command at a time at once: set-based, a key
-- released by a later command could be claimed by an earlier one. ORDERING and CONCURRENCY are as described in 0001 for
-- append_events, with two additions:
--
-- * positions: (xid8 + xid_offset) << 16 | index-in-transaction, the index running on
--   across the commands of the batch, so one transaction still holds at most 65,536 events;
-- * deadlocks: the heads of every existing stream of the batch are locked first, in
--   stream_id order, so two batches never wait on each other's heads in opposite orders.
--
-- Commands are given as flat arrays in command order, cut by each command's cumulative
-- ends (p_stream_end, p_event_end, p_claim_end, p_release_end); p_recorded_at is per event. One row comes back per
-- stored event (error_state NULL) and one per failed command (event_id NULL), so a caller can
-- raise each command's own error. A batch is at most 32 commands, within the 64
-- subtransaction ids a backend caches (beyond them every snapshot in the cluster slows).
DROP FUNCTION eventstore.append_events(
    text[], text[], integer[], uuid[], integer[], text[], integer[], text[], text[], bytea[],
    timestamptz, text[], text[], text[], text[], text[], text[]);

-- Write commands p_first .. p_last of a batch, all or nothing (it raises on any failure).
-- Their events take the positions p_base + p_first_index, p_base + p_first_index + 1, ...
CREATE FUNCTION eventstore.write_commands(
    p_first           integer,
    p_last            integer,
    p_first_index     integer,
    p_base            bigint,
    p_stream_end      integer[],
    p_event_end       integer[],
    p_claim_end       integer[],
    p_release_end     integer[],
    p_recorded_at     timestamptz[],
    p_stream_ids      text[],
    p_stream_types    text[],
    p_expected        integer[],
    p_event_ids       uuid[],
    p_event_streams   integer[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[],
    p_canonical       bytea[],
    p_claim_scopes    text[],
    p_claim_keys      text[],
    p_claim_streams   text[],
    p_release_scopes  text[],
    p_release_keys    text[],
    p_release_streams text[]
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    genesis constant bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    s0 constant integer := coalesce(p_stream_end[p_first - 1], 0) + 1;
    s1 constant integer := p_stream_end[p_last];
    e0 constant integer := coalesce(p_event_end[p_first - 1], 0) + 1;
    e1 constant integer := p_event_end[p_last];
    c0 constant integer := coalesce(p_claim_end[p_first - 1], 0) + 1;
    c1 constant integer := p_claim_end[p_last];
    r0 constant integer := coalesce(p_release_end[p_first - 1], 0) + 1;
    r1 constant integer := p_release_end[p_last];
    heads       bytea[];
    versions    integer[];
    ev_versions integer[];
    prevs       bytea[];
    hashes      bytea[];
    n_new       integer := 0;
    written     integer;
    cur_version integer;
    cur_hash    bytea;
    s integer;
    i integer;
BEGIN
    IF s1 < s0 OR e1 < e0 THEN
        RAISE EXCEPTION USING ERRCODE = 'KR422', MESSAGE = 'a command without streams or events';
    END IF;

    -- Check the versions of the existing streams (their heads are locked by append_batch).
    -- Row by row through the primary key: a plan that cannot go wrong whatever the sizes.
    heads := array_fill(genesis, ARRAY[s1 - s0 + 1], ARRAY[s0]);
    versions := array_fill(0, ARRAY[s1 - s0 + 1], ARRAY[s0]);
    FOR s IN s0 .. s1 LOOP
        IF p_expected[s] = 0 THEN
            n_new := n_new + 1;
            CONTINUE;
        END IF;
        SELECT t.version, t.head_hash INTO cur_version, cur_hash
            FROM eventstore.streams t WHERE t.stream_id = p_stream_ids[s];
        IF cur_version IS DISTINCT FROM p_expected[s] THEN
            RAISE EXCEPTION USING ERRCODE = 'KR409',
                MESSAGE = format('stream %s is at version %s, not %s',
                                 p_stream_ids[s], coalesce(cur_version, 0), p_expected[s]),
                DETAIL = json_build_object('stream_id', p_stream_ids[s], 'expected', p_expected[s],
                                           'actual', coalesce(cur_version, 0))::text;
        END IF;
        heads[s] := cur_hash;
        versions[s] := cur_version;
    END LOOP;

    -- Chain the new events: computed here, written below in one statement per table.
    FOR i IN e0 .. e1 LOOP
        s := p_event_streams[i];
        IF s < s0 OR s > s1 THEN
            RAISE EXCEPTION USING ERRCODE = 'KR422', MESSAGE = 'an event names another command''s stream';
        END IF;
        versions[s] := versions[s] + 1;
        ev_versions[i] := versions[s];
        prevs[i] := heads[s];
        heads[s] := sha256(heads[s] || p_canonical[i]);
        hashes[i] := heads[s];
    END LOOP;

    -- New streams: one that exists already is a conflict, never a no-op. A row that was
    -- not written is found by its head hash, which only this command's events give.
    INSERT INTO eventstore.streams (stream_id, stream_type, version, head_hash)
    SELECT p_stream_ids[k], p_stream_types[k], versions[k], heads[k]
    FROM generate_series(s0, s1) k WHERE p_expected[k] = 0
    ON CONFLICT (stream_id) DO NOTHING;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written < n_new THEN
        FOR s IN s0 .. s1 LOOP
            CONTINUE WHEN p_expected[s] > 0;
            SELECT t.version, t.head_hash INTO cur_version, cur_hash
                FROM eventstore.streams t WHERE t.stream_id = p_stream_ids[s];
            CONTINUE WHEN cur_hash = heads[s];
            RAISE EXCEPTION USING ERRCODE = 'KR409',
                MESSAGE = format('stream %s is at version %s, not 0', p_stream_ids[s], cur_version),
                DETAIL = json_build_object('stream_id', p_stream_ids[s], 'expected', 0,
                                           'actual', cur_version)::text;
        END LOOP;
    END IF;

    FOR s IN s0 .. s1 LOOP
        CONTINUE WHEN p_expected[s] = 0;
        UPDATE eventstore.streams t SET version = versions[s], head_hash = heads[s]
            WHERE t.stream_id = p_stream_ids[s];
    END LOOP;

    FOR i IN r0 .. r1 LOOP
        DELETE FROM eventstore.unique_claims u
            WHERE u.scope = p_release_scopes[i] AND u.claim_key = p_release_keys[i]
              AND u.stream_id = p_release_streams[i];
    END LOOP;

    -- A claim held by the same stream is kept; one held by another stream is refused.
    -- The rows written are counted after the upsert, so a lost claim never passes silently.
    IF c1 >= c0 THEN
        INSERT INTO eventstore.unique_claims AS u (scope, claim_key, stream_id)
        SELECT p_claim_scopes[k], p_claim_keys[k], p_claim_streams[k]
        FROM generate_series(c0, c1) k
        ON CONFLICT (scope, claim_key) DO UPDATE SET claimed_at = u.claimed_at
            WHERE u.stream_id = excluded.stream_id;
        GET DIAGNOSTICS written = ROW_COUNT;
        IF written < c1 - c0 + 1 THEN
            SELECT k INTO i FROM generate_series(c0, c1) k
                JOIN eventstore.unique_claims u
                  ON u.scope = p_claim_scopes[k] AND u.claim_key = p_claim_keys[k]
                WHERE u.stream_id <> p_claim_streams[k]
                ORDER BY k LIMIT 1;
            RAISE EXCEPTION USING ERRCODE = 'KR410',
                MESSAGE = format('%s is taken already', p_claim_scopes[i]),
                DETAIL = json_build_object('scope', p_claim_scopes[i], 'key', p_claim_keys[i])::text;
        END IF;
    END IF;

    INSERT INTO eventstore.events (global_position, event_id, stream_id, stream_type, version,
                                   event_type, schema_version, data, metadata, recorded_at,
                                   prev_hash, hash)
    SELECT p_base + p_first_index + n.i - e0, p_event_ids[n.i],
           p_stream_ids[p_event_streams[n.i]], p_stream_types[p_event_streams[n.i]],
           ev_versions[n.i], p_event_types[n.i], p_schema_versions[n.i],
           p_data[n.i]::json, p_metadata[n.i]::json, p_recorded_at[n.i], prevs[n.i], hashes[n.i]
    FROM generate_series(e0, e1) AS n(i);
END
$$;

CREATE FUNCTION eventstore.append_batch(
    p_stream_end      integer[],
    p_event_end       integer[],
    p_claim_end       integer[],
    p_release_end     integer[],
    p_recorded_at     timestamptz[],
    p_stream_ids      text[],
    p_stream_types    text[],
    p_expected        integer[],
    p_event_ids       uuid[],
    p_event_streams   integer[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[],
    p_canonical       bytea[],
    p_claim_scopes    text[],
    p_claim_keys      text[],
    p_claim_streams   text[],
    p_release_scopes  text[],
    p_release_keys    text[],
    p_release_streams text[]
) RETURNS TABLE (command integer, event_id uuid, global_position bigint,
                 error_state text, error_message text, error_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    n_commands constant integer := coalesce(cardinality(p_event_end), 0);
    n_events   constant integer := coalesce(cardinality(p_event_ids), 0);
    base       bigint;
    next_index integer := 0;
    c integer;
    f_state text; f_message text; f_detail text;
BEGIN
    IF n_commands = 0 OR n_commands > 32 OR n_events > 65536 THEN
        RAISE EXCEPTION USING ERRCODE = 'KR422',
            MESSAGE = format('a batch holds 1 to 32 commands and at most 65536 events, not %s and %s',
                             n_commands, n_events);
    END IF;

    IF 0 < ANY (p_expected) THEN  -- new streams have no head to lock yet
        PERFORM 1 FROM eventstore.streams t
            WHERE t.stream_id = ANY (SELECT p_stream_ids[k] FROM generate_subscripts(p_expected, 1) k
                                     WHERE p_expected[k] > 0)
            ORDER BY t.stream_id FOR UPDATE;
    END IF;

    SELECT (pg_current_xact_id()::text::bigint + b.xid_offset) << 16 INTO base
        FROM eventstore.position_base b;

    -- The whole batch at once, set-based. Alone, a command needs no subtransaction: its
    -- failure is the statement's. Several are tried in one and, if any fails, written one by
    -- one below.
    IF n_commands = 1 THEN
        PERFORM eventstore.write_commands(
            1, 1, 0, base, p_stream_end, p_event_end, p_claim_end, p_release_end,
            p_recorded_at, p_stream_ids, p_stream_types, p_expected, p_event_ids,
            p_event_streams, p_event_types, p_schema_versions, p_data, p_metadata, p_canonical,
            p_claim_scopes, p_claim_keys, p_claim_streams, p_release_scopes, p_release_keys,
            p_release_streams);
        RETURN QUERY SELECT 1, p_event_ids[i], base + i - 1, NULL::text, NULL::text, NULL::text
            FROM generate_series(1, n_events) i;
        RETURN;
    ELSIF coalesce(cardinality(p_release_keys), 0) = 0 THEN
        BEGIN
            PERFORM eventstore.write_commands(
                1, n_commands, 0, base, p_stream_end, p_event_end, p_claim_end, p_release_end,
                p_recorded_at, p_stream_ids, p_stream_types, p_expected, p_event_ids,
                p_event_streams, p_event_types, p_schema_versions, p_data, p_metadata,
                p_canonical, p_claim_scopes, p_claim_keys, p_claim_streams, p_release_scopes,
                p_release_keys, p_release_streams);
            RETURN QUERY
                SELECT k, p_event_ids[i], base + i - 1, NULL::text, NULL::text, NULL::text
                FROM generate_series(1, n_commands) k,
                     generate_series(coalesce(p_event_end[k - 1], 0) + 1, p_event_end[k]) i;
            RETURN;
        EXCEPTION WHEN OTHERS THEN
            NULL;  -- some command failed and all of it was rolled back
        END;
    END IF;

    FOR c IN 1 .. n_commands LOOP
        BEGIN
            PERFORM eventstore.write_commands(
                c, c, next_index, base, p_stream_end, p_event_end, p_claim_end, p_release_end,
                p_recorded_at, p_stream_ids, p_stream_types, p_expected, p_event_ids,
                p_event_streams, p_event_types, p_schema_versions, p_data, p_metadata,
                p_canonical, p_claim_scopes, p_claim_keys, p_claim_streams, p_release_scopes,
                p_release_keys, p_release_streams);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS f_state = RETURNED_SQLSTATE, f_message = MESSAGE_TEXT,
                                    f_detail = PG_EXCEPTION_DETAIL;
            command := c; event_id := NULL; global_position := NULL;
            error_state := f_state; error_message := f_message; error_detail := f_detail;
            RETURN NEXT;
            CONTINUE;
        END;
        -- Only a command whose subtransaction committed reaches here.
        RETURN QUERY
            SELECT c, p_event_ids[i], base + next_index + i - coalesce(p_event_end[c - 1], 0) - 1,
                   NULL::text, NULL::text, NULL::text
            FROM generate_series(coalesce(p_event_end[c - 1], 0) + 1, p_event_end[c]) i;
        next_index := next_index + p_event_end[c] - coalesce(p_event_end[c - 1], 0);
    END LOOP;
END
$$;
