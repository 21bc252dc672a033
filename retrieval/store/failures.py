"""sqlite3's errors -> the named, one-line `DatabaseFailure`s of errors.py (read-only, full, locked, not a
database), naming the file; `translating` wraps every public method of the store with it."""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import DatabaseFailure, DatabaseFull, DatabaseLocked, DatabaseReadOnly, NotADatabase

# SQLite's primary result codes (the low byte of an extended code).
_PERM, _BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 11, 13, 14, 26


def database_failure(exc: sqlite3.Error, path: Path | str) -> DatabaseFailure:
    """sqlite3's error -> the named one-line failure, naming the file."""
    if isinstance(exc, DatabaseFailure):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    where = str(path)
    if primary in (_READONLY, _PERM) or "readonly database" in text:
        return DatabaseReadOnly(f"{where}: the database is read-only (check the permissions of the file and its "
                                "folder); questions are answered, changes cannot be made", where)
    if primary == _FULL or "disk is full" in text:
        return DatabaseFull(f"{where}: the disk is full (or the database reached its size limit); nothing was "
                            "changed", where)
    if primary in (_BUSY, _LOCKED) or "database is locked" in text:
        return DatabaseLocked(f"{where}: the database is locked by another program (a change running "
                              "elsewhere?); try again when it is done", where)
    if primary in (_NOTADB, _CORRUPT) or "not a database" in text or "malformed" in text:
        return NotADatabase(f"{where}: not a corpus database (not an SQLite file, or damaged)", where)
    if primary == _CANTOPEN or "unable to open" in text:
        return DatabaseFailure(f"{where}: cannot open the database (check that it and its folder exist and can "
                               "be read)", where)
    return DatabaseFailure(f"{where}: the database failed ({text})", where)


def _is_driver_error(exc: BaseException) -> bool:
    """An error of the PostgreSQL driver (psycopg), told apart without importing it."""
    return type(exc).__module__.split(".")[0] == "psycopg"


def _connection_lost(exc: BaseException) -> bool:
    return any(c.__name__ in ("OperationalError", "InterfaceError") for c in type(exc).__mro__)


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only (a driver's messages run over several)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def driver_failure(exc: BaseException, where: Any) -> DatabaseFailure:
    """A PostgreSQL failure as one line: a lost connection or a server that refuses, named by its address."""
    text = first_line(exc)
    kind = type(exc).__name__
    if kind in ("OperationalError", "InterfaceError"):
        return DatabaseFailure(f"{where}: PostgreSQL cannot be reached or refused ({text})", str(where))
    if kind == "ReadOnlySqlTransaction":
        return DatabaseReadOnly(f"{where}: the PostgreSQL server is read-only (a standby?); {text}", str(where))
    return DatabaseFailure(f"{where}: the database failed ({text})", str(where))


_F = TypeVar("_F", bound=Callable[..., Any])


def translating(method: _F) -> _F:
    """A Store method (or generator method) whose sqlite3 errors become `DatabaseFailure`s, counted as a call in
    flight (`SQLiteFile.in_flight`): closing the store waits for those, as closing a connection another thread
    is reading on crashes the process."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                with self.in_flight():
                    return (yield from method(self, *args, **kwargs))
            except DatabaseFailure:
                raise
            except sqlite3.Error as exc:
                raise database_failure(exc, self.path) from exc
            except Exception as exc:
                if _is_driver_error(exc):
                    raise driver_failure(exc, self.path) from exc
                raise

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            try:
                with self.in_flight():
                    return method(self, *args, **kwargs)
            except DatabaseFailure:
                raise
            except sqlite3.Error as exc:
                raise database_failure(exc, self.path) from exc
            except Exception as exc:
                if not _is_driver_error(exc):
                    raise
                if attempt == 1 and _connection_lost(exc) and not self.calls_on_this_thread():
                    continue  # the server dropped the connection (a restart, a failover): once more, reconnected
                raise driver_failure(exc, self.path) from exc
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
