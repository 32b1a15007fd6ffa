"""Set-based writes for replay: a run of row changes of one shape as one statement.

Replay applies hundreds of thousands of row changes; one statement per change spends most of
its time in the driver. Here a run of changes of one shape (kind, table, key and value
columns) becomes one statement over ``json_populate_recordset`` (the table's own row type
gives every column its type), with the rows as one JSON parameter. Runs keep the changes'
order, and a key that repeats starts a new run, because one statement may not change a row
twice."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import sql

from projections.changes import Delete, Update, Upsert

RowChange = Upsert | Update | Delete
Shape = tuple[str, str, tuple[str, ...], tuple[str, ...]]

_encoder = msgspec.json.Encoder()


def _shape(change: RowChange) -> Shape:
    columns = () if isinstance(change, Delete) else tuple(change.values)
    return (type(change).__name__, change.table, tuple(change.key), columns)


def _row(change: RowChange) -> dict[str, Any]:
    return change.key if isinstance(change, Delete) else {**change.key, **change.values}


class BulkWriter:
    """Statements composed once per shape, kept as bytes."""

    def __init__(self) -> None:
        self._statements: dict[Shape, bytes] = {}

    def statements(self, changes: list[RowChange]) -> list[tuple[bytes, str]]:
        """(statement, JSON rows) per run, in order."""
        runs: list[tuple[Shape, list[dict[str, Any]]]] = []
        keys: set[tuple[Any, ...]] = set()
        for change in changes:
            shape, key = _shape(change), tuple(change.key.values())
            if not runs or runs[-1][0] != shape or key in keys:
                runs.append((shape, []))
                keys = set()
            runs[-1][1].append(_row(change))
            keys.add(key)
        return [(self._statement(shape), _encoder.encode(rows).decode()) for shape, rows in runs]

    def _statement(self, shape: Shape) -> bytes:
        statement = self._statements.get(shape)
        if statement is None:
            statement = _compose(*shape).as_string(None).encode()
            self._statements[shape] = statement
        return statement


def _compose(
    kind: str, table: str, keys: tuple[str, ...], columns: tuple[str, ...]
) -> sql.Composed:
    name = sql.Identifier(table)
    rows = sql.SQL("json_populate_recordset(NULL::{}, %s::json)").format(name)
    match_keys = sql.SQL(" AND ").join(
        sql.SQL("{0}.{1} = j.{1}").format(name, sql.Identifier(k)) for k in keys
    )
    if kind == "Delete":
        return sql.SQL("DELETE FROM {} USING {} j WHERE {}").format(name, rows, match_keys)
    sets = sql.SQL(", ").join(sql.SQL("{0} = j.{0}").format(sql.Identifier(c)) for c in columns)
    if kind == "Update":
        return sql.SQL("UPDATE {} SET {} FROM {} j WHERE {}").format(name, sets, rows, match_keys)
    names = sql.SQL(", ").join(map(sql.Identifier, (*keys, *columns)))
    conflict = sql.SQL(", ").join(map(sql.Identifier, keys))
    action: sql.Composable = sql.SQL("NOTHING")
    if columns:
        action = sql.SQL("UPDATE SET ") + sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns
        )
    return sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} j ON CONFLICT ({}) DO {}").format(
        name, names, names, rows, conflict, action
    )
