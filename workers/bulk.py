"""Set-based writes for replay: a run of row changes of one shape as one statement.

Replay applies hundreds of thousands of row changes; one statement per change spends most of
its time in the driver. Here a run of changes of one shape (kind, table, key and value
columns) becomes one statement over ``json_populate_recordset`` (the table's own row type
gives every column its type), with the rows as one JSON parameter. Runs keep the changes'
order, and a key that repeats starts a new run, because one statement may not change a row
twice."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from psycopg import sql

from projections.changes import Change, Delete, RecomputeLeaderboard, Update, Upsert

RowChange = Upsert | Update | Delete
Shape = tuple[type, str, tuple[str, ...], tuple[str, ...]]

_encoder = msgspec.json.Encoder()


def by_table(changes: Iterable[Change], order: Iterable[str]) -> list[RowChange]:
    """Row changes grouped by table (tables in ``order`` first), in their order within a
    table; standings recomputations are left out."""
    groups: dict[str, list[RowChange]] = {table: [] for table in order}
    for change in changes:
        if not isinstance(change, RecomputeLeaderboard):
            groups.setdefault(change.table, []).append(change)
    return [change for group in groups.values() for change in group]


class BulkWriter:
    """Statements composed once per shape, kept as bytes."""

    def __init__(self) -> None:
        self._statements: dict[Shape, bytes] = {}

    def statements(self, changes: list[RowChange]) -> list[tuple[bytes, bytes]]:
        """(statement, JSON rows) per run, in order."""
        # One loop without helper calls: it runs for every row change of a replay.
        runs: list[tuple[Shape, list[dict[str, Any]]]] = []
        rows: list[dict[str, Any]] = []
        keys: set[tuple[Any, ...]] = set()
        last: Shape | None = None
        for change in changes:
            key = change.key
            values = None if isinstance(change, Delete) else change.values
            shape = (
                type(change),
                change.table,
                tuple(key),
                () if values is None else tuple(values),
            )
            key_values = tuple(key.values())
            if shape != last or key_values in keys:
                rows, keys, last = [], set(), shape
                runs.append((shape, rows))
            rows.append(key if values is None else {**key, **values})
            keys.add(key_values)
        return [(self._statement(shape), _encoder.encode(rows)) for shape, rows in runs]

    def _statement(self, shape: Shape) -> bytes:
        statement = self._statements.get(shape)
        if statement is None:
            statement = _compose(*shape).as_string(None).encode()
            self._statements[shape] = statement
        return statement


def _compose(
    kind: type, table: str, keys: tuple[str, ...], columns: tuple[str, ...]
) -> sql.Composed:
    name = sql.Identifier(table)
    rows = sql.SQL("json_populate_recordset(NULL::{}, convert_from(%b, 'UTF8')::json)").format(name)
    match_keys = sql.SQL(" AND ").join(
        sql.SQL("{0}.{1} = j.{1}").format(name, sql.Identifier(k)) for k in keys
    )
    if kind is Delete:
        return sql.SQL("DELETE FROM {} USING {} j WHERE {}").format(name, rows, match_keys)
    sets = sql.SQL(", ").join(sql.SQL("{0} = j.{0}").format(sql.Identifier(c)) for c in columns)
    if kind is Update:
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
