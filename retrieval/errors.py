"""Named failures; only the console (`cli.py`) and the bot (`cogs/`) turn them into messages."""


class RetrievalError(Exception):
    """Base class: every message is one line, safe to show to a user."""


class BadQuestion(RetrievalError):
    """The question cannot be searched (empty, too long, nothing to search for)."""


class BadDocument(RetrievalError):
    """A file cannot be ingested (missing, empty, binary, undecodable, too big, unsupported)."""


class UnknownDocument(RetrievalError):
    """A document or passage id that is not in the store."""


class CorpusBusy(RetrievalError):
    """Another change to the corpus is running."""


class NotAllowed(RetrievalError):
    """The caller may not do this here (e.g. remove a document that belongs to the bundled corpus)."""
