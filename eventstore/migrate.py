"""Versioned schema migrations: an ordered set of SQL files and a schema-version table.

Why not a migration tool: the schema is hand-written SQL (functions, partial indexes) that an
ORM-based tool such as alembic would only wrap, and its only dependency would be SQLAlchemy.
Files named ``NNNN_name.sql`` in ``eventstore/migrations`` (and in any other package passed
in) run in order, each in its own transaction together with its row in
``public.kazrockets_schema_version``; an advisory lock lets several processes run
``migrate`` at once safely, and running it twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x6B617A726F636B  # arbitrary advisory lock id: "kazrock"

CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS public.kazrockets_schema_version (
    package    text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (package, version)
)
"""

# After a restore into a new cluster, transaction ids start again from a low number; raise
# the offset so that new positions (built from transaction ids) stay above every stored one.
REBASE_POSITIONS = """
UPDATE eventstore.position_base
SET xid_offset = GREATEST(
    xid_offset,
    (SELECT coalesce(max(global_position), 0) >> 16 FROM eventstore.events) + 1
        - pg_current_xact_id()::text::bigint)
"""


@dataclass(frozen=True)
class Migration:
    package: str
    version: int
    name: str
    sql: str


def discover(package: str) -> list[Migration]:
    found = []
    for entry in resources.files(package).joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append(Migration(package, int(number), name, entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def ensure_database(database_url: str) -> None:
    """Create the database named in the URL when it does not exist yet."""
    params = conninfo_to_dict(database_url)
    name = str(params.get("dbname") or "postgres")
    admin_url = make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log.info("database created", extra={"database": name})
            except psycopg.errors.DuplicateDatabase:
                pass  # created by a concurrent migrate


def migrate(database_url: str, packages: tuple[str, ...] = ("eventstore",)) -> list[Migration]:
    """Apply every pending migration of ``packages``; return the ones applied."""
    ensure_database(database_url)
    applied: list[Migration] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(CREATE_VERSION_TABLE)
            for package in packages:
                done = {
                    row[0]
                    for row in conn.execute(
                        "SELECT version FROM public.kazrockets_schema_version WHERE package = %s",
                        (package,),
                    )
                }
                for migration in discover(package):
                    if migration.version in done:
                        continue
                    with conn.transaction():
                        conn.execute(migration.sql.encode())
                        conn.execute(
                            "INSERT INTO public.kazrockets_schema_version (package, version, name)"
                            " VALUES (%s, %s, %s)",
                            (package, migration.version, migration.name),
                        )
                    log.info(
                        "migration applied",
                        extra={"package": package, "version": migration.version},
                    )
                    applied.append(migration)
            with conn.transaction():
                conn.execute(REBASE_POSITIONS)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied
