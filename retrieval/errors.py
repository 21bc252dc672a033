"""Named failures; only the console (`cli.py`) and the bot (`cogs/`) turn them into messages."""

import sqlite3


class RetrievalError(Exception):
    """Base class: every message is one line, safe to show to a user."""


class BadSetting(RetrievalError):
    """An environment variable or setting with a value that cannot work (named in the message)."""


class BadQuestion(RetrievalError):
    """The question cannot be searched (empty, too long, nothing to search for)."""


class BadDocument(RetrievalError):
    """A file cannot be ingested (missing, empty, binary, undecodable, too big, unsupported)."""


class UnknownDocument(RetrievalError):
    """A document or passage id that is not in the store."""


class CorpusBusy(RetrievalError):
    """Another change to the corpus is running."""


class QuotaExceeded(BadDocument):
    """A server's documents would go over its share (documents, passages or text), set by the operator."""


class NotAllowed(RetrievalError):
    """The caller may not do this here (e.g. remove a document that belongs to the bundled corpus)."""


class DatabaseFailure(RetrievalError, sqlite3.OperationalError):
    """The SQLite database cannot be used as asked: read-only, full, locked, not a database, unreadable.

    Raised by `store.py` in place of sqlite3's own errors (and still an `sqlite3.OperationalError`, for
    callers that catch that). `str()` is the one line for the operator, naming the file; `public` is
    the line for a Discord user, without paths.
    """

    public = "The bot's database cannot be used right now; the bot's operator has been told. Please try again later."

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class DatabaseReadOnly(DatabaseFailure):
    """A change (or a database that still needs its tables) on a file or folder that cannot be written."""

    public = ("The bot's database is read-only right now: questions are answered, but nothing can be changed "
              "or recorded.")


class DatabaseFull(DatabaseFailure):
    """The disk (or the database's size limit) is full; the change was rolled back."""

    public = "The bot's disk is full, so nothing was changed; the bot's operator has to make room."


class DatabaseLocked(DatabaseFailure):
    """Another program holds the database's write lock for longer than the busy timeout."""

    public = "The database is busy with another change; try again in a moment."


class NotADatabase(DatabaseFailure):
    """The file is not an SQLite database, or is damaged."""

    public = "The bot's database file is damaged; the bot's operator has to restore it."
