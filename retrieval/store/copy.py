"""Copy an SQLite database into PostgreSQL (issue 14): the move from the embedded default to the shared store,
every table in one transaction, keys and generation kept, so the copy answers exactly as the original did."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import BadSetting
from .postgres import PostgresStore
from .postgres_sql import SCHEMA
from .store import Store

BATCH = 2_000


def copy_database(source: Store, target: PostgresStore, progress: Callable[[str, int], None] | None = None
                  ) -> dict[str, int]:
    """Rows copied per table. Refuses a target that already holds documents (one line); all or nothing."""
    if target.counts()["documents"]:
        raise BadSetting(f"{target.path} already holds documents; copy into an empty database")
    copied: dict[str, int] = {}
    with target._writing():
        for table, (_, keys) in SCHEMA.items():
            if table not in source.tables or table == "jobs":
                continue
            columns = [c for c in source._read[table].columns_dict if c in _columns(table)]
            if table == "meta":
                target.db.conn.execute("delete from meta")
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(f"[{c}]" for c in columns)
            # in insertion order (rowid), so identity columns (replies' and passages' seq) keep SQLite's order
            cursor = source._read.conn.execute(f"select {names} from {table} order by rowid")
            n = 0
            while rows := cursor.fetchmany(BATCH):
                target.db.conn.executemany(f"insert into {table} ({names}) values ({marks})", rows)
                n += len(rows)
                progress and progress(table, n)
            copied[table] = n
            if SCHEMA[table][0].startswith("id bigint generated"):  # the next id after the copied ones
                target.db.conn.execute(f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"coalesce((select max(id) from {table}), 0) + 1, false)")
    return copied


def _columns(table: str) -> set[str]:
    """The column names of a PostgreSQL table as SCHEMA declares it."""
    names = set()
    for part in SCHEMA[table][0].split(","):
        word = part.strip().split(" ")[0].strip('"')
        if word and word != "primary":
            names.add(word)
    return names
