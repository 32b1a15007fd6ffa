"""Applying row changes to the read tables: SQL built once per shape, personal data opened."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from events.users import UserErased
from eventstore.records import RecordedEvent
from eventstore.vault import Vault, open_with
from projections import tables
from projections.changes import Change, Delete, Fact, Sealed, Update, Upsert

UPSERT_VERSION = """
INSERT INTO stream_versions (projection, stream_id, version) VALUES (%s, %s, %s)
ON CONFLICT (projection, stream_id) DO UPDATE SET version = excluded.version
"""
READ_VERSION = "SELECT version FROM stream_versions WHERE projection = %s AND stream_id = %s"


def fact(recorded: RecordedEvent) -> Fact:
    return Fact(recorded.stream_id, recorded.recorded_at, recorded.event)


class TableWriter:
    """Writes what ``projections.tables.project`` decides, with a per-process key cache."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._keys: dict[UUID, bytes | None] = {}
        self._statements: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], sql.Composed] = {}

    async def _open(self, value: Any) -> Any:
        if not isinstance(value, Sealed):
            return value
        if value.user_id not in self._keys:
            self._keys[value.user_id] = await self._vault.key(value.user_id)
        return open_with(self._keys[value.user_id], value.user_id, value.token)

    def _statement(self, change: Change) -> tuple[sql.Composed, list[Any]]:
        keys = tuple(change.key)
        columns = () if isinstance(change, Delete) else tuple(change.values)
        shape = (type(change).__name__, change.table, keys, columns)
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._build(change, keys, columns)
            self._statements[shape] = statement
        values = [] if isinstance(change, Delete) else list(change.values.values())
        key_values = list(change.key.values())
        if isinstance(change, Upsert):
            return statement, key_values + values
        return statement, values + key_values

    @staticmethod
    def _build(change: Change, keys: tuple[str, ...], columns: tuple[str, ...]) -> sql.Composed:
        table = sql.Identifier(change.table)
        where = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in keys)
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns)
        match change:
            case Upsert():
                names = [*keys, *columns]
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns
                )
                return sql.SQL(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}"
                ).format(
                    table,
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ").join(sql.Placeholder() * len(names)),
                    sql.SQL(", ").join(map(sql.Identifier, keys)),
                    updates,
                )
            case Update():
                return sql.SQL("UPDATE {} SET {} WHERE {}").format(table, sets, where)
            case Delete():
                return sql.SQL("DELETE FROM {} WHERE {}").format(table, where)

    async def apply(self, conn: AsyncConnection, recorded: RecordedEvent) -> None:
        if isinstance(recorded.event, UserErased):
            self._keys.pop(UUID(recorded.stream_id.split("-", 1)[1]), None)
        for change in tables.project(fact(recorded)):
            if not isinstance(change, Delete):
                opened = {k: await self._open(v) for k, v in change.values.items()}
                change = type(change)(change.table, change.key, opened)
            statement, params = self._statement(change)
            await conn.execute(statement, params)

    async def applied_version(self, conn: AsyncConnection, projection: str, stream_id: str) -> int:
        row = await (await conn.execute(READ_VERSION, (projection, stream_id))).fetchone()
        return 0 if row is None else int(row[0])

    async def record_version(
        self, conn: AsyncConnection, projection: str, stream_id: str, version: int
    ) -> None:
        await conn.execute(UPSERT_VERSION, (projection, stream_id, version))
