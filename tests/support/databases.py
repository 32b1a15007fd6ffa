"""Test databases are made anew for every test session, from the migrations on disk."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from eventstore.migrate import migrate
from workers.apps import MIGRATED_PACKAGES


def fresh_database(url: str) -> str:
    """Drop the database (ending its sessions) and migrate a new one; test databases only."""
    name = str(conninfo_to_dict(url).get("dbname") or "")
    assert "test" in name or "e2e" in name, f"refusing to drop {name!r}: not a test database"
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    migrate(url, MIGRATED_PACKAGES)
    return url
