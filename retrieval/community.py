"""What one community (a Discord server) may see and do: its scope, its own documents, its feedback.

These are the product's rules, kept out of the Discord layer so they are tested without Discord: a
server sees the bundled corpus plus its own uploads, and can only change its own uploads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .config import Settings
from .corpus import Corpus
from .errors import DatabaseFailure, NotAllowed, UnknownDocument
from .files import check_file
from .models import Answer, Document, Hit, IngestReport
from .render import heading
from .text.passages import doc_of, ordinal_of
from .text.passages import passage_id as passage_id_of
from .scopes import GLOBAL_SCOPE, scope_of  # noqa: F401 (scope_of: the cogs take it from here)

log = logging.getLogger(__name__)
VOTE_UP, VOTE_DOWN = 1, -1


def check_upload(filename: str, size: int, settings: Settings) -> None:
    """Refuse an attachment before downloading it: unsupported type, empty, or over the size limit."""
    check_file(filename, size, settings.max_file_bytes)


def add_upload(corpus: Corpus, data: bytes, filename: str, scope: str, title: str | None = None,
               source: str | None = None) -> IngestReport:
    return corpus.add_bytes(data, filename, scope=scope, title=title or None, source=source)


def own_documents(corpus: Corpus, scope: str, typed: str = "", limit: int = 25) -> list[Document]:
    """A server's own uploads whose title or id contains `typed`: what a moderator may remove."""
    needle = typed.strip().casefold()
    own = [d for d in corpus.documents(scope) if d.scope == scope and scope != GLOBAL_SCOPE]
    hits = [d for d in own if needle in d.title.casefold() or needle in d.id.casefold()]
    return sorted(hits, key=lambda d: (not d.title.casefold().startswith(needle), d.title.casefold()))[:limit]


def remove_own(corpus: Corpus, key: str, scope: str) -> Document:
    """Remove one of the server's uploads; the bundled corpus belongs to the operator, not to a server."""
    doc = corpus.resolve_document(key, scope)
    if doc.scope != scope or scope == GLOBAL_SCOPE:
        raise NotAllowed(f"{doc.title!r} is part of the bundled corpus; only the bot's operator can remove it "
                         "(from the corpus/ folder).")
    return corpus.remove(doc.id, scope)


def more_sources(corpus: Corpus, question: str, scope: str, exclude: set[str], n: int = 5) -> list[Hit]:
    """The next best passages after the ones already cited."""
    return sources_page(corpus, question, scope, exclude, 0, n)[0]


def neighbours(corpus: Corpus, passage_id: str, scope: str) -> tuple[str | None, str | None]:
    """The passages before and after one in its document (None at either end), for "Show context" paging."""
    doc, ordinal = doc_of(passage_id), ordinal_of(passage_id)
    found = []
    for other in (ordinal - 1, ordinal + 1):
        candidate = passage_id_of(doc, other)
        try:
            found.append(candidate if other >= 0 and corpus.context(candidate, scope, chars=0) else None)
        except UnknownDocument:
            found.append(None)
    return found[0], found[1]


MAX_SOURCES = 50  # "More sources" pages through at most this many passages


def sources_page(corpus: Corpus, question: str, scope: str, exclude: set[str], offset: int,
                 n: int = 5) -> tuple[list[Hit], bool]:
    """One page of the passages after the cited ones, from `offset`, and whether another page follows."""
    offset = max(0, min(offset, MAX_SOURCES - n))
    hits = corpus.search(question, k=offset + n + 1 + len(exclude), scope=scope)
    rest = [h for h in hits if h.passage_id not in exclude]
    return rest[offset : offset + n], len(rest) > offset + n and offset + n < MAX_SOURCES


@dataclass(frozen=True)
class Shown:
    """What an answer message showed: what its buttons act on."""

    question: str
    scope: str
    passage_ids: tuple[str, ...]
    answer: str
    recorded: bool = True  # False: read back from the message itself (a reply of an earlier release)

    @classmethod
    def of(cls, answer: Answer, scope: str) -> "Shown":
        """What an answer shows. Its question is the one searched (a follow-up with its thread's words):
        what the buttons and the next follow-up build on."""
        return cls(answer.read_as or answer.question, scope, tuple(c.hit.passage_id for c in answer.citations),
                   heading(answer))


def remember_reply(corpus: Corpus, message_id: int | str, shown: Shown, channel_id: int | str | None = None) -> None:
    """Keep what a message shows by its id (an answer, or a thread's first message), for its buttons and
    follow-ups. A database that cannot be written (read-only) keeps nothing: the buttons then read the
    message itself, and a follow-up stands alone."""
    try:
        corpus.remember_reply(str(message_id), shown.scope, shown.question, shown.answer, list(shown.passage_ids),
                              None if channel_id is None else str(channel_id))
    except DatabaseFailure as exc:
        log.warning("reply %s not recorded: %s", message_id, exc)


def record_unanswered(corpus: Corpus, scope: str, answer: Answer) -> None:
    """Keep a question this server's documents did not answer (for /corpus gaps); a database that cannot be
    written keeps nothing, and the reply has been sent already."""
    try:
        corpus.record_unanswered(scope, answer)
    except DatabaseFailure as exc:
        log.warning("unanswered question not recorded: %s", exc)


def keep_answer(corpus: Corpus, scope: str, answer: Answer, message_id: int | str | None = None,
                channel_id: int | str | None = None) -> None:
    """After an answer, whichever way it was asked: what its reply shows (when one was sent), for its
    buttons and a thread's follow-ups, and the question when unanswered, for /corpus gaps."""
    if message_id is not None:
        remember_reply(corpus, message_id, Shown.of(answer, scope), channel_id)
    record_unanswered(corpus, scope, answer)


def shown_in(corpus: Corpus, message_id: int | str, scope: str) -> Shown | None:
    """What the answer message `message_id` showed, as recorded when it was sent; None for a message the
    database does not know (sent by an earlier release, or while read-only)."""
    row = corpus.reply(str(message_id))
    if row is None or row["scope"] != scope:
        return None
    return Shown(row["question"], row["scope"], tuple(row["passage_ids"]), row["answer"])


def record_feedback(corpus: Corpus, scope: str, user_id: int | str, question: str, answer: str,
                    passage_ids: list[str], vote: int, message_id: int | str | None = None) -> bool:
    """One vote per user and answer (a changed mind replaces it); False when it was already recorded."""
    if vote not in (VOTE_UP, VOTE_DOWN):
        raise ValueError(f"vote must be {VOTE_UP} or {VOTE_DOWN}")
    return corpus.add_feedback(scope, str(user_id), question, answer, passage_ids, vote,
                                     None if message_id is None else str(message_id))


def recent_feedback(corpus: Corpus, scope: str, limit: int = 10) -> list[dict]:
    """Newest first, 👎 before 👍: what moderators look at to see which questions failed."""
    rows = corpus.feedback(scope, limit=200)
    return sorted(rows, key=lambda r: (r["vote"] > 0, -r["id"]))[:limit]
