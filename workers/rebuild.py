"""The fresh schema a replay fills: the tables first, what only speeds up reads after the load.

A bulk load into a table with its secondary indexes and foreign keys in place pays for them
row by row (a foreign key costs a query per row); building an index once over the loaded
rows, and checking a foreign key once over all of them, costs a fraction of that. So the
fresh tables are created from the migrations as they are, their secondary indexes and foreign
keys are read back from the catalog and dropped, and after the load they are created again
from those very definitions: the tables swapped in are identical to migrated ones. Primary
keys stay: the load's upserts and updates find rows by them.

The one foreign key (team_member -> team, ON DELETE CASCADE) never acts during a load: no
policy deletes a team row. A load that broke it would fail when it is added back, before the
swap, like one that broke the unique email index.
"""

from __future__ import annotations

from importlib import resources

from psycopg import AsyncConnection, sql

# Indexes that back no constraint (the primary keys stay), and foreign keys.
SECONDARY_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = %s::regnamespace
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                               AND k.contype IN ('p', 'u', 'x'))
ORDER BY c.relname
"""
FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = %s::regnamespace AND contype = 'f'
ORDER BY conname
"""
# Every stream's last version among the events loaded, in one pass over the log (one upsert
# per event during the load cost more). Sorted, so the primary key is filled in its order.
STREAM_VERSIONS = """
INSERT INTO stream_versions (projection, stream_id, version)
SELECT %s, stream_id, max(version) FROM eventstore.events
WHERE global_position <= %s
GROUP BY stream_id ORDER BY stream_id
"""


def table_ddl() -> str:
    """Every projection migration's part after its marker, in order: the read tables."""
    folder = resources.files("projections").joinpath("migrations")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return "\n".join(f.read_text().split("-- tables --", 1)[1] for f in files)


async def create_tables(conn: AsyncConnection, schema: str) -> list[bytes]:
    """Create the read tables in ``schema`` (made afresh) without their secondary indexes and
    foreign keys; the statements that add those back after the load."""
    name = sql.Identifier(schema)
    await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
    await conn.execute(sql.SQL("CREATE SCHEMA {}").format(name))
    indexes: list[bytes] = []
    foreign_keys: list[bytes] = []
    async with conn.transaction():
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(name))
        await conn.execute(table_ddl().encode())
        for table, constraint, definition in await _rows(conn, FOREIGN_KEYS, schema):
            table_name, constraint_name = sql.SQL(table), sql.Identifier(constraint)
            await conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table_name, constraint_name)
            )
            add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(table_name, constraint_name)
            foreign_keys.append(add.as_string(conn).encode() + definition.encode())
        for index, definition in await _rows(conn, SECONDARY_INDEXES, schema):
            await conn.execute(sql.SQL("DROP INDEX {}.{}").format(name, sql.Identifier(index)))
            indexes.append(definition.encode())
    return indexes + foreign_keys  # indexes first: a foreign key's check may use one


async def finish_tables(
    conn: AsyncConnection, schema: str, later: list[bytes], projection: str, position: int
) -> None:
    """After the load up to ``position``: stream versions, indexes, foreign keys, statistics."""
    async with conn.transaction():
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        await conn.execute(STREAM_VERSIONS, (projection, position))
        for statement in later:
            await conn.execute(statement)
    await conn.execute(
        sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(await _tables(conn, schema)))
    )


async def _tables(conn: AsyncConnection, schema: str) -> list[sql.Composable]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename"
    rows = await _rows(conn, query, schema)
    return [sql.Identifier(schema, row[0]) for row in rows]


async def _rows(conn: AsyncConnection, query: str, schema: str) -> list[tuple[str, ...]]:
    return list(await (await conn.execute(query, (schema,))).fetchall())
