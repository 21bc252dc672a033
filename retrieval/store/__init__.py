"""The database: one SQLite file (connection.py), its schema as migrations (schema.py), its data
(store.py), and sqlite3's errors as named one-line failures (failures.py)."""

from .connection import BUSY_TIMEOUT_SECONDS, utc_now
from .failures import database_failure
from .store import Store

__all__ = ["BUSY_TIMEOUT_SECONDS", "Store", "database_failure", "utc_now"]
