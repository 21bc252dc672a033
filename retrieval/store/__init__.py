"""The database: one SQLite file (connection.py), its schema as migrations (schema.py), its data
(store.py), and sqlite3's errors as named one-line failures (failures.py)."""

from pathlib import Path

from ..config import is_postgres_url
from .connection import BUSY_TIMEOUT_SECONDS, utc_now
from .failures import database_failure
from .store import Store


def open_store(target: "Path | str") -> Store:
    """The store at `target`: a PostgreSQL address (postgresql://...; psycopg is imported only then) or an
    SQLite file."""
    if is_postgres_url(target):
        from .postgres import PostgresStore

        return PostgresStore(target)  # type: ignore[return-value]
    return Store(target)


__all__ = ["BUSY_TIMEOUT_SECONDS", "Store", "database_failure", "open_store", "utc_now"]
