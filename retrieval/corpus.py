"""The library's front door: one object that the console and the bot both drive.

Opens the store (seeding a new database from the bundled `corpus/`), asks questions, changes documents
and says who sees what (retrieval/scopes.py). The engine's index is kept in step with the store by its
keeper (`Settings.engine`: retrieval/engines.py; the BM25 one is retrieval/index_keeper.py); a question
runs on the snapshot that was serving when it started.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .answer.build import build_answer
from .answer.question import Question, parse_question
from .answer.rewording import ask_in_other_words
from .answer.spelling import correct_question
from .config import Settings
from .engines import open_keeper
from .errors import BadQuestion, CorpusBusy, NotAllowed, QuotaExceeded, UnknownDocument
from .files.sandbox import prepare_bounded
from .ingest import DocIds, RefreshReport, ingest_paths, prepare_text, refresh_folder, tokens_string, write
from .models import Answer, Document, Hit, IngestReport, Passage
from .scopes import GLOBAL_SCOPE, scopes_for
from .search import Searcher
from . import follow_up, gaps
from .server_settings import ServerSettings, ServerSettingsBook
from .store import open_store
from .text.tokenize import TOKENIZER_VERSION

log = logging.getLogger(__name__)
BUSY_MESSAGE = "The corpus is being changed right now; try again in a moment."


@dataclass(frozen=True)
class Addition:
    """What an upload adds, for the quota check (`replaces`: the documents it updates, not counted twice)."""

    documents: int = 0
    passages: int = 0
    chars: int = 0
    replaces: str | tuple[str, ...] | None = None


@dataclass(frozen=True)
class PassageContext:
    passage: Passage
    document: Document
    before: str
    after: str


class Corpus:
    def __init__(self, settings: Settings, *, seed: bool = True, reader: bool = False) -> None:
        """reader: an ask worker's corpus (retrieval/ask_pool.py): it answers, never seeds or re-tokenizes
        the store nor writes the index, and catches up with the store's changes before each question."""
        self.settings, self.reader = settings, reader
        self.store = open_store(settings.database)
        self._scope_locks: dict[str, threading.Lock] = {}  # one change at a time per server
        self._scope_locks_guard = threading.Lock()
        if not reader and self.store.get_meta("tokenizer_version") not in (None, TOKENIZER_VERSION):
            n = self.store.retokenize(tokens_string, {"tokenizer_version": TOKENIZER_VERSION})
            log.info("tokenizer changed: re-tokenized %d stored passages", n)
        if seed and not reader and self.store.generation == 0 and settings.corpus_dir.is_dir():
            with self.store.seeding():  # processes starting together on a new shared store: one seeds
                if self.store.generation == 0:
                    seeded = refresh_folder(self.store, settings.corpus_dir, settings)
                    for failure in seeded.failed:  # a bad file is skipped, the rest is served
                        log.warning("seeding from %s: skipped %s", settings.corpus_dir, failure)
        self.keeper = open_keeper(self.store, settings, reader)  # the engine's index, loaded or built
        self._searcher = Searcher(self.store, self.keeper.retriever)
        self.follower = None  # a shared store: this process's index follows the others' changes
        self.pool = None  # questions answered in worker processes (RETRIEVAL_ASK_WORKERS)
        if settings.ask_workers and not reader:
            from .ask_pool import AskPool

            self.pool = AskPool(settings, settings.ask_workers)
        if settings.db_url and not reader and hasattr(self.keeper, "follow"):
            from .index_follower import ChangeFollower
            from .store.postgres import CHANGES_CHANNEL

            self.follower = ChangeFollower(settings.db_url, self.keeper, CHANGES_CHANNEL)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self.follower is not None:
            self.follower.close()
        self.keeper.close()
        self.store.close()

    @property
    def searcher(self) -> Searcher:
        """The serving snapshot paired with the store: the same object until the next change."""
        searcher, retriever = self._searcher, self.keeper.retriever
        if searcher.index is not retriever:
            searcher = self._searcher = Searcher(self.store, retriever)
        return searcher

    # -- one change at a time -----------------------------------------------------------------------
    @contextmanager
    def changing(self, scope: str = GLOBAL_SCOPE) -> Iterator[None]:
        """One change at a time per server: a second one in the same server is refused at once. Changes
        of different servers prepare their files side by side and queue only for the short write
        (`keeper.writing()`: the index is shared)."""
        with self._scope_locks_guard:
            lock = self._scope_locks.setdefault(scope, threading.Lock())
        if not lock.acquire(blocking=False):
            raise CorpusBusy(BUSY_MESSAGE)
        try:
            with self.store.changing(scope) as ours:  # and across processes sharing a PostgreSQL store
                if not ours:
                    raise CorpusBusy(BUSY_MESSAGE)
                yield
        finally:
            lock.release()

    @property
    def busy(self) -> bool:
        return self.keeper.busy or any(lock.locked() for lock in list(self._scope_locks.values()))

    def check_not_busy(self, scope: str = GLOBAL_SCOPE) -> None:
        """Refuse at once, before slow preparations such as a download, when this server's change is running."""
        lock = self._scope_locks.get(scope)
        if lock is not None and lock.locked():
            raise CorpusBusy(BUSY_MESSAGE)

    def check_quota(self, scope: str, adding: "Addition | None" = None) -> None:
        """Refuse an upload that would take a server over its share (operator settings; 0 = no limit)."""
        if scope == GLOBAL_SCOPE:
            return
        s = self.settings
        used = self.store.scope_usage(scope, excluding=adding.replaces if adding else None)
        extra = adding or Addition()
        for label, have, more, limit in (("documents", used["documents"], extra.documents, s.server_max_documents),
                                         ("passages", used["passages"], extra.passages, s.server_max_passages),
                                         ("characters of text", used["chars"], extra.chars, s.server_max_chars)):
            if limit and have + more > limit:
                raise QuotaExceeded(f"This server's documents would hold {have + more:,} {label}; the limit is "
                                    f"{limit:,}. Remove documents first.")

    # -- questions ----------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, scope: str | None = None) -> list[Hit]:
        question = parse_question(query, self.settings.max_question_chars)
        return self.searcher.search_terms(question.terms, k, scopes_for(scope))

    def rank(self, query: str, k: int = 10, scope: str | None = None) -> list[tuple[str, float]]:
        """(passage_id, score), best first, without reading passage text: for evaluation and benchmarks."""
        question = parse_question(query, self.settings.max_question_chars)
        return self.searcher.rank(question.terms, k, scopes_for(scope))

    def ask(self, query: str, scope: str | None = None, k: int = 10) -> Answer:
        if self.pool is not None:  # on another core; the same answer
            return self.pool.ask(query, scope, k, lambda: self.answer(query, scope, k))
        return self.answer(query, scope, k)

    def answer(self, query: str, scope: str | None = None, k: int = 10) -> Answer:
        """`ask`, in this process."""
        if self.reader:
            self.keeper.follow()  # every change committed before the question is in its answer
        asked = parse_question(query, self.settings.max_question_chars)
        searcher = self.searcher  # one snapshot for the whole question
        scopes = scopes_for(scope)
        question, hits = self._read_typos(asked, searcher, scopes, k)
        # Words weigh what they weigh in the passages this server sees, as in its scores.
        answer = build_answer(question, hits, searcher.weight_for(scopes), min_coverage=self.settings.min_coverage,
                              max_citations=self.settings.top_k, k1=self.settings.k1)
        if question is not asked:  # the reply says how the question was read
            answer = dataclasses.replace(answer, question=asked.text, read_as=question.text)
        if answer.found or self.settings.synonyms <= 0:
            return answer
        return ask_in_other_words(question, hits, answer, searcher, scopes, asked.text, self.settings)

    def _read_typos(self, asked: Question, searcher: Searcher, scopes: list[str] | None,
                    k: int) -> tuple[Question, list[Hit]]:
        """The question as searched, and its hits: with its typos corrected when the documents this server
        sees use the corrected words (a word only another server's documents hold is never shown)."""
        corrected = correct_question(asked.text, searcher.doc_freq_for(scopes))
        if corrected != asked.text:
            try:
                question = parse_question(corrected, self.settings.max_question_chars)
            except BadQuestion:
                question = asked
            if question is not asked:
                hits = searcher.search_terms(question.terms, k, scopes)
                seen = set().union(*(h.matched_terms for h in hits)) if hits else set()
                if set(question.terms) - set(asked.terms) <= seen:
                    return question, hits
        return asked, searcher.search_terms(asked.terms, k, scopes)

    # -- documents ----------------------------------------------------------------------------------
    def ingest(self, paths: list[Path], scope: str = GLOBAL_SCOPE) -> IngestReport:
        with self.changing(scope), self.keeper.writing():
            report = ingest_paths(self.store, paths, self.settings, scope)
            self.keeper.changed(report)
            return report

    def add_bytes(self, data: bytes, name: str, scope: str = GLOBAL_SCOPE, title: str | None = None,
                  source: str | None = None) -> IngestReport:
        """An uploaded file (e.g. a Discord attachment)."""
        with self.changing(scope):
            doc_id = DocIds.for_upload(self.store, scope, name)
            self.check_quota(scope, Addition(1, 0, 0, doc_id))  # before any parsing
            # parsed in a child process under CPU and memory limits: an upload is untrusted
            prepared = prepare_bounded(data, name, self.settings, scope=scope, title=title, source=source, doc_id=doc_id)
            self.check_quota(scope, Addition(1, len(prepared.passages), len(prepared.document.text), doc_id))
            with self.keeper.writing():
                report = write(self.store, [prepared])
                self.keeper.changed(report)
            return report

    def ingest_records(self, records: Iterable[tuple[str, str, str]], scope: str = GLOBAL_SCOPE, batch: int = 500,
                       progress: Callable[[int], None] | None = None) -> IngestReport:
        """(doc_id, title, text) records, e.g. a dataset: streamed, one transaction per batch, one index build."""
        added: list[str] = []
        changed: list[str] = []
        passages = 0
        with self.changing(scope), self.keeper.writing():
            pending: list = []
            for record in itertools.chain(records, [None]):  # None: flush the last batch
                if record is not None:
                    doc_id, title, text = record
                    pending.append(prepare_text(doc_id, title, text, self.settings, scope=scope))
                if pending and (len(pending) >= batch or record is None):
                    written = write(self.store, pending)
                    added.extend(written.added)
                    changed.extend(written.changed)
                    passages += written.passages
                    progress and progress(len(pending))
                    pending = []
            self.keeper.changed(IngestReport(added=tuple(added), changed=tuple(changed), passages=passages))
            return IngestReport(added=tuple(added))

    def remove(self, doc_id: str, scope: str | None = None) -> Document:
        with self.changing(scope or GLOBAL_SCOPE), self.keeper.writing():
            doc = self.resolve_document(doc_id, scope)
            if (source := self.store.web_source_of(doc.id)) is not None:  # the next sync would bring it back
                raise NotAllowed(f"{doc.title!r} is a page of the web source #{source.id} ({source.url}); remove "
                                 f"the source (#{source.id}) instead, or add only the pages you want")
            report = write(self.store, [], [doc.id])
            self.keeper.changed(report)
            return doc

    def refresh(self, folder: Path | None = None, scope: str = GLOBAL_SCOPE) -> RefreshReport:
        with self.changing(scope), self.keeper.writing():
            result = refresh_folder(self.store, folder or self.settings.corpus_dir, self.settings, scope)
            self.keeper.refreshed(result.report)  # a refresh merges the delta
            return result

    def resolve_document(self, key: str, scope: str | None = None) -> Document:
        """A document by id or exact title (case-insensitive), visible from `scope`."""
        allowed = scopes_for(scope)
        doc = self.store.get_document(key, with_text=False, missing_ok=True)
        if doc is not None and (allowed is None or doc.scope in allowed):
            return doc  # by id: one lookup, not a scan of every document
        visible = self.store.documents(allowed)
        matches = [d for d in visible if d.title.casefold() == key.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        raise UnknownDocument(f"No document {key!r}" + (" (several have that title; use the id)" if matches else "")
                              + "; `list` shows the ids.")

    def document(self, doc_id: str) -> Document | None:
        """A document by id, without its text; None when there is none."""
        return self.store.get_document(doc_id, with_text=False, missing_ok=True)

    def documents(self, scope: str | None = None) -> list[Document]:
        return self.store.documents(scopes_for(scope))

    def counts(self) -> dict[str, int]:
        """Documents and passages stored (every scope)."""
        return self.store.counts()

    def stats(self, scope: str | None = None) -> dict[str, object]:
        return {**self.counts(), "visible_documents": len(self.documents(scope)), **self.keeper.describe(),
                "generation": self.store.generation, "database": str(self.store.path),
                "k1": self.settings.k1, "b": self.settings.b}

    def context(self, passage_id: str, scope: str | None = None, chars: int = 400) -> PassageContext:
        passage = self.store.get_passage(passage_id)
        doc = self.store.get_document(passage.doc_id)
        allowed = scopes_for(scope)
        if allowed is not None and doc.scope not in allowed:
            raise UnknownDocument(f"no passage with id {passage_id!r}")
        before = doc.text[max(0, passage.start - chars) : passage.start]
        after = doc.text[passage.end : passage.end + chars]
        return PassageContext(passage, doc, before, after)

    # -- what answer messages showed, and the votes on them (retrieval/community.py's rules) -----------
    def remember_reply(self, message_id: str, scope: str, question: str, answer: str, passage_ids: list[str],
                       channel_id: str | None = None) -> None:
        self.store.remember_reply(message_id, scope, question, answer, passage_ids, channel_id)

    def ask_follow_up(self, question: str, scope: str, channel_id: str) -> Answer:
        """A question in a thread: read with the thread's earlier question when it leans on it."""
        reading = follow_up.read_with(self.store.last_question_in(channel_id, scope), question)
        if reading is None:
            return self.ask(question, scope=scope)
        answer = self.ask(reading, scope=scope)
        return dataclasses.replace(answer, question=question, read_as=answer.read_as or reading)

    def reply(self, message_id: str) -> dict | None:
        return self.store.reply(message_id)

    def add_feedback(self, scope: str, user_id: str, question: str, answer: str, passage_ids: list[str], vote: int,
                     message_id: str | None = None) -> bool:
        return self.store.add_feedback(scope, user_id, question, answer, passage_ids, vote, message_id)

    def feedback(self, scope: str | None = None, limit: int = 50) -> list[dict]:
        return self.store.feedback(scope, limit=limit)

    def record_unanswered(self, scope: str, answer: Answer) -> bool:
        """Keep a question this server's documents did not answer, for its moderators' gaps report."""
        return gaps.record(self.store, scope, answer)

    def gaps(self, scope: str | None, limit: int = 15) -> list[gaps.Gap]:
        """What a server's documents did not answer, grouped by what was asked (None: every server)."""
        return gaps.gaps(self.store, scope, limit)

    def server_settings(self, defaults: ServerSettings) -> ServerSettingsBook:
        """Each server's own settings (kept in this database) over the operator's defaults."""
        return ServerSettingsBook(self.store, defaults)
