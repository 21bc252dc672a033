"""The library's front door: one object that the console and the bot both drive.

Opens the store (seeding a new database from the bundled `corpus/`), keeps the index snapshot in step
with the store, and answers. A change builds a new snapshot and swaps it in with one assignment, so a
question in flight keeps the snapshot it started with.
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
from .answer.weights import term_share
from .config import Settings
from .errors import BadQuestion, CorpusBusy, QuotaExceeded, UnknownDocument
from .index import BM25Index
from .ingest import DocIds, RefreshReport, ingest_paths, prepare_text, refresh_folder, tokens_string, write
from .models import Answer, Document, Hit, IngestReport, Passage
from .answer.question import Question, parse_question
from .files.sandbox import prepare_bounded
from .search import Searcher
from .answer.spelling import correct_question
from .store import Store
from .answer.thesaurus import rephrasings
from .text.tokenize import TOKENIZER_VERSION, normalize_term, tokenize

log = logging.getLogger(__name__)
GLOBAL_SCOPE = ""
BUSY_MESSAGE = "The corpus is being changed right now; try again in a moment."
# A change goes to the delta segment unless it touches more than this share of the passages (then a
# full rebuild is about as cheap as the delta would be slow).
DELTA_MAX_FRACTION = 0.05
# When delta + deleted rows outgrow this share of the base (and MERGE_MIN_ROWS), a background merge
# folds them back into one segment: queries over a drifted base cannot use its precomputed weights.
MERGE_FRACTION = 0.05
MERGE_MIN_ROWS = 2_000
MERGE_IN_BACKGROUND = True


# The rewordings of one unanswered question may score this many postings in all (a few ms at 1M passages,
# BENCHMARKS.md): a question over common words is not re-asked eight times. Counted, not timed, so the same
# corpus gives the same answers on any machine.
REWORDING_POSTINGS = 150_000


class _Cancelled(Exception):
    pass


def _cancellable(rows: Iterable, stop: threading.Event) -> Iterator:
    for i, row in enumerate(rows):
        if i % 10_000 == 0 and stop.is_set():
            raise _Cancelled
        yield row


@dataclass(frozen=True)
class Addition:
    """What an upload adds, for the quota check (`replaces`: the document it updates, not counted twice)."""

    documents: int = 0
    passages: int = 0
    chars: int = 0
    replaces: str | None = None


@dataclass(frozen=True)
class PassageContext:
    passage: Passage
    document: Document
    before: str
    after: str


class Corpus:
    def __init__(self, settings: Settings, *, seed: bool = True) -> None:
        self.settings = settings
        self.store = Store(settings.db_path)
        self._change_lock = threading.Lock()  # the write and index update, for every server
        self._scope_locks: dict[str, threading.Lock] = {}  # one change at a time per server
        self._scope_locks_guard = threading.Lock()
        self._generation_before = -1
        self._changes: list[tuple[int, set[str]]] = []  # (generation, documents touched) since the last merge
        self._merge_thread: threading.Thread | None = None
        self._weigh_thread: threading.Thread | None = None
        self._weigh_stop = threading.Event()
        self._rebuilt_at = -1  # store generation of the last full rebuild
        self._closing = threading.Event()
        if self.store.get_meta("tokenizer_version") not in (None, TOKENIZER_VERSION):
            n = self.store.retokenize(tokens_string, {"tokenizer_version": TOKENIZER_VERSION})
            log.info("tokenizer changed: re-tokenized %d stored passages", n)
        if seed and self.store.generation == 0 and settings.corpus_dir.is_dir():
            seeded = refresh_folder(self.store, settings.corpus_dir, settings)
            for failure in seeded.failed:  # a bad file is skipped, the rest is served
                log.warning("seeding from %s: skipped %s", settings.corpus_dir, failure)
        self.searcher = Searcher(self.store, self._load_or_build_index())
        self._weigh_in_background(self.searcher.index)  # a saved index with a delta: weights for it

    def close(self) -> None:
        self._closing.set()
        self._weigh_stop.set()
        self.wait_for_merge()
        self.wait_for_weights()
        self.store.close()

    # -- index snapshots ----------------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return self.settings.db_path.with_name(self.settings.db_path.name + ".index")

    def _index_header(self, generation: int | None = None) -> dict:
        s = self.settings
        return {"generation": self.store.generation if generation is None else generation,
                "tokenizer": TOKENIZER_VERSION, "k1": s.k1, "b": s.b, "epsilon": s.epsilon,
                "title_in_passages": s.title_in_passages, "headings_in_passages": s.title_in_passages}

    def _load_or_build_index(self) -> BM25Index:
        """The saved base + delta when its header matches the store (generation, tokenizer, BM25
        parameters); anything else (stale, half-written, other format) is rebuilt from the store."""
        wanted = self._index_header()
        header = BM25Index.read_header(self.index_dir)
        if header and all(header.get(k) == v for k, v in wanted.items()):
            try:
                return BM25Index.load(self.index_dir)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("index at %s unusable (%s); rebuilding", self.index_dir, exc)
        return self._build_index()

    def _index_rows(self, raw: Iterable[tuple[str, str, str, str, str | None]]
                    ) -> Iterator[tuple[str, str, list[str]]]:
        """Store rows -> (passage_id, scope, tokens), the title's and the section heading's tokens appended
        when configured: a passage is about its document and its section."""
        with_title = self.settings.title_in_passages
        cache: dict[str, list[str]] = {}

        def tokens_of(text: str) -> list[str]:
            if text not in cache:
                if len(cache) > 10_000:
                    cache.clear()
                cache[text] = tokenize(text)
            return cache[text]

        for pid, scope, tokens, title, heading in raw:
            terms = tokens.split() if tokens else []
            if with_title and title:
                terms = terms + tokens_of(title)
            if with_title and heading:
                terms = terms + tokens_of(heading)
            yield pid, scope, terms

    def _new_index(self, raw: Iterable[tuple[str, str, str, str, str | None]], header: dict) -> BM25Index:
        s = self.settings
        return BM25Index.build(self._index_rows(raw), k1=s.k1, b=s.b, epsilon=s.epsilon, header=header)

    def _save(self, index: BM25Index) -> None:
        if self.store.read_only:
            log.info("read-only database: the index is kept in memory only")
            return
        try:
            index.save(self.index_dir)
        except OSError as exc:  # a read-only disk still answers, from memory
            log.warning("could not save the index to %s: %s", self.index_dir, exc)

    def _build_index(self) -> BM25Index:
        """A full rebuild: one segment from every stored passage. Changes logged for a running merge
        are dropped: this index has them all, and a merge that started before it is discarded."""
        generation = self.store.generation
        index = self._new_index(self.store.iter_index_rows(), self._index_header(generation))
        self._save(index)
        self._rebuilt_at, self._changes = generation, []
        return index

    def _after_change(self, report: IngestReport) -> None:
        """Apply a store change to the index: incrementally (a delta segment plus deletions over the
        untouched base, then only those small files saved) unless the change is big or the index no
        longer matches the store, then a full rebuild. A big enough drift schedules a merge."""
        if not report.changed_anything:
            return
        index = self.searcher.index
        gone = set(report.changed) | set(report.removed)
        fresh = set(report.added) | set(report.changed)
        in_step = index.header.get("generation") == self._generation_before
        if not in_step or report.passages + len(gone) > DELTA_MAX_FRACTION * len(index):
            self.searcher = Searcher(self.store, self._build_index())
            return
        index = index.with_changes(remove_docs=gone, add=self._index_rows(self.store.iter_index_rows(doc_ids=fresh)),
                                   header=self._index_header())
        self._save(index)
        self.searcher = Searcher(self.store, index)
        self._weigh_in_background(index)
        self._changes.append((self.store.generation, gone | fresh))
        drift = index.n_rows - len(index.base) + index.stats["deleted_passages"]
        if drift > max(MERGE_MIN_ROWS, MERGE_FRACTION * len(index.base)):
            self._schedule_merge()

    def _weigh_in_background(self, index: BM25Index) -> None:
        """After a change the base's precomputed weights no longer fit the live statistics; recompute
        them behind the questions (about a second at 1M passages) rather than wait for the next merge."""
        if index.weighs_postings or len(index.base) < index.compiled_min_rows:
            return
        self._weigh_stop.set()  # a previous snapshot's weighing is superseded: it stops at its next chunk
        self._weigh_stop = threading.Event()
        if self._closing.is_set():
            return
        self._weigh_thread = threading.Thread(target=index.weigh_postings, args=(self._weigh_stop,),
                                              name="index-weights", daemon=True)
        self._weigh_thread.start()

    def wait_for_weights(self, timeout: float | None = None) -> None:
        """For tests and benchmarks: block until the background weighing (if any) has finished."""
        if self._weigh_thread is not None:
            self._weigh_thread.join(timeout)

    # -- merging: the delta folded back into one base segment --------------------------------------
    def _schedule_merge(self) -> None:
        if not MERGE_IN_BACKGROUND or str(self.settings.db_path) == ":memory:":
            self.searcher = Searcher(self.store, self._build_index())
            return
        if self._merge_thread is not None and self._merge_thread.is_alive():
            return
        self._merge_thread = threading.Thread(target=self._merge, name="index-merge", daemon=True)
        self._merge_thread.start()

    def _merge(self) -> None:
        """Build a new base from a consistent read of the store while questions and changes go on;
        then, under the change lock, replay the documents changed since that read and swap it in."""
        try:
            with self.store.index_snapshot() as (generation, raw):
                index = self._new_index(_cancellable(raw, self._closing), self._index_header(generation))
            with self._change_lock:
                if self._closing.is_set() or self._rebuilt_at > generation:
                    return  # closing, or a full rebuild since our read already holds everything
                touched = set().union(*(docs for gen, docs in self._changes if gen > generation))
                if touched:
                    rows = self._index_rows(self.store.iter_index_rows(doc_ids=touched))
                    index = index.with_changes(remove_docs=touched, add=rows, header=self._index_header())
                elif index.header["generation"] != self.store.generation:
                    return  # changed behind our back (another process): leave it to the next start
                self._save(index)
                self.searcher = Searcher(self.store, index)
                self._changes = [c for c in self._changes if c[0] > self.store.generation]
        except _Cancelled:
            pass
        except Exception:  # noqa: BLE001 - a failed merge leaves the current (correct) snapshot serving
            log.exception("background index merge failed")

    def wait_for_merge(self, timeout: float | None = None) -> None:
        """For tests and benchmarks: block until a background merge (if any) has finished."""
        if self._merge_thread is not None:
            self._merge_thread.join(timeout)

    @contextmanager
    def _changing(self, scope: str = GLOBAL_SCOPE) -> Iterator[None]:
        """One change at a time per server: a second one in the same server is refused at once. Changes
        of different servers prepare their files side by side and queue only for the short write."""
        with self._scope_locks_guard:
            lock = self._scope_locks.setdefault(scope, threading.Lock())
        if not lock.acquire(blocking=False):
            raise CorpusBusy(BUSY_MESSAGE)
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The store write and the index update: one at a time for every server (the index is shared)."""
        with self._change_lock:
            self._generation_before = self.store.generation
            yield

    @property
    def busy(self) -> bool:
        return self._change_lock.locked() or any(lock.locked() for lock in list(self._scope_locks.values()))

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
    def scopes_for(self, scope: str | None) -> list[str] | None:
        """Who may see what: the bundled corpus everywhere, a server's own documents only there."""
        return None if scope is None else [GLOBAL_SCOPE, scope] if scope else [GLOBAL_SCOPE]

    def search(self, query: str, k: int = 10, scope: str | None = None) -> list[Hit]:
        question = parse_question(query, self.settings.max_question_chars)
        return self.searcher.search_terms(question.terms, k, self.scopes_for(scope))

    def rank(self, query: str, k: int = 10, scope: str | None = None) -> list[tuple[str, float]]:
        """(passage_id, score), best first, without reading passage text: for evaluation and benchmarks."""
        question = parse_question(query, self.settings.max_question_chars)
        index = self.searcher.index
        return [(index.passage_ids[r.row], r.score) for r in index.top(question.terms, k, self.scopes_for(scope))]

    def ask(self, query: str, scope: str | None = None, k: int = 10) -> Answer:
        asked = parse_question(query, self.settings.max_question_chars)
        searcher = self.searcher  # one snapshot for the whole question
        scopes = self.scopes_for(scope)
        question, hits = self._read_typos(asked, searcher, scopes, k)
        # Words weigh what they weigh in the passages this server sees, as in its scores.
        answer = build_answer(question, hits, searcher.weight_for(scopes), min_coverage=self.settings.min_coverage,
                              max_citations=self.settings.top_k, k1=self.settings.k1)
        if question is not asked:  # the reply says how the question was read
            answer = dataclasses.replace(answer, question=asked.text, read_as=question.text)
        if answer.found or self.settings.synonyms <= 0:
            return answer
        return self._ask_in_other_words(question, hits, answer, searcher, scopes, asked.text)

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

    def _ask_in_other_words(self, question: Question, hits: list[Hit], answer: Answer, searcher: Searcher,
                            scopes: Iterable[str] | None, asked: str) -> Answer:
        """Not answered: maybe the corpus says it in other words. Re-read the question with one phrase the
        best passages lack swapped for a synonym. A reworded question has bent the asker's words, so it
        must be covered halfway between the usual bar and fully (0.75 by default; "climate change" read
        as "climate exchange" reaches 0.61), and the answer's passage must contain the synonym. Names,
        the kind of answer asked for ("which city") and the thing counted are never swapped: a rewording
        must not drop the rules they bring."""
        settings = self.settings
        weight, doc_freq = searcher.weight_for(scopes), searcher.doc_freq_for(scopes)  # what this server sees
        matched = set().union(*(h.matched_terms for h in hits[: settings.top_k]))
        kept = question.required | question.type_terms | question.unit_terms
        missing = set(question.terms) - matched
        bar = (1 + settings.min_coverage) / 2

        def in_corpus(synonym: str) -> bool:  # the answer's passage must contain it: no search otherwise
            terms = tokenize(synonym)
            return bool(terms) and all(doc_freq(t) for t in terms)

        def could_pass(reworded: Question) -> bool:  # even if every term the corpus has were matched
            present = {t for t in reworded.terms if doc_freq(t)}
            return term_share(reworded, present, weight) >= bar

        def reworded_questions() -> Iterator[tuple[Question, str]]:
            budget = REWORDING_POSTINGS
            for text, _, synonym in rephrasings(question.text, missing, normalize_term, in_corpus, kept):
                try:
                    reworded = parse_question(text, settings.max_question_chars)
                except BadQuestion:
                    continue
                rules = reworded.required | reworded.type_terms | reworded.unit_terms
                if reworded.answer_type != question.answer_type or not kept <= rules:
                    continue  # the synonym changed what is asked ("which city" -> "which metropolis")
                cost = sum(searcher.index.doc_freq(t) for t in reworded.terms)  # postings the search scores
                if cost <= budget and could_pass(reworded):
                    budget -= cost
                    yield reworded, synonym

        for reworded, synonym in itertools.islice(reworded_questions(), settings.synonyms):
            # only the cited passages decide: fetch no more (each try is a search: the budget is small)
            again = build_answer(reworded, searcher.search_terms(reworded.terms, settings.top_k, scopes),
                                 weight, min_coverage=bar, max_citations=settings.top_k, k1=settings.k1)
            if again.found and set(tokenize(synonym)) <= set(again.citations[0].hit.matched_terms):
                return dataclasses.replace(again, question=asked, read_as=reworded.text)
        return answer

    # -- corpus management --------------------------------------------------------------------------
    def ingest(self, paths: list[Path], scope: str = GLOBAL_SCOPE) -> IngestReport:
        with self._changing(scope), self._writing():
            report = ingest_paths(self.store, paths, self.settings, scope)
            self._after_change(report)
            return report

    def add_bytes(self, data: bytes, name: str, scope: str = GLOBAL_SCOPE, title: str | None = None,
                  source: str | None = None) -> IngestReport:
        """An uploaded file (e.g. a Discord attachment)."""
        with self._changing(scope):
            doc_id = DocIds(self.store, scope).for_file(name, Path(name).name)
            self.check_quota(scope, Addition(1, 0, 0, doc_id))  # before any parsing
            # parsed in a child process under CPU and memory limits: an upload is untrusted
            prepared = prepare_bounded(data, name, self.settings, scope=scope, title=title, source=source, doc_id=doc_id)
            self.check_quota(scope, Addition(1, len(prepared.passages), len(prepared.document.text), doc_id))
            with self._writing():
                report = write(self.store, [prepared])
                self._after_change(report)
            return report

    def ingest_records(self, records: Iterable[tuple[str, str, str]], scope: str = GLOBAL_SCOPE, batch: int = 500,
                       progress: Callable[[int], None] | None = None) -> IngestReport:
        """(doc_id, title, text) records, e.g. a dataset: streamed, one transaction per batch, one index build."""
        added: list[str] = []
        changed: list[str] = []
        passages = 0
        with self._changing(scope), self._writing():
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
            self._after_change(IngestReport(added=tuple(added), changed=tuple(changed), passages=passages))
            return IngestReport(added=tuple(added))

    def remove(self, doc_id: str, scope: str | None = None) -> Document:
        with self._changing(scope or GLOBAL_SCOPE), self._writing():
            doc = self.resolve_document(doc_id, scope)
            report = write(self.store, [], [doc.id])
            self._after_change(report)
            return doc

    def refresh(self, folder: Path | None = None, scope: str = GLOBAL_SCOPE) -> RefreshReport:
        with self._changing(scope), self._writing():
            result = refresh_folder(self.store, folder or self.settings.corpus_dir, self.settings, scope)
            if result.report.changed_anything or self.searcher.index.delta_share():
                self.searcher = Searcher(self.store, self._build_index())  # refresh merges the delta
            return result

    def resolve_document(self, key: str, scope: str | None = None) -> Document:
        """A document by id or exact title (case-insensitive), visible from `scope`."""
        allowed = self.scopes_for(scope)
        doc = self.store.get_document(key, with_text=False, missing_ok=True)
        if doc is not None and (allowed is None or doc.scope in allowed):
            return doc  # by id: one lookup, not a scan of every document
        visible = self.store.documents(allowed)
        matches = [d for d in visible if d.title.casefold() == key.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        raise UnknownDocument(f"No document {key!r}" + (" (several have that title; use the id)" if matches else "")
                              + "; `list` shows the ids.")

    def documents(self, scope: str | None = None) -> list[Document]:
        return self.store.documents(self.scopes_for(scope))

    def stats(self, scope: str | None = None) -> dict[str, object]:
        counts = self.store.counts()
        return {**counts, "visible_documents": len(self.documents(scope)), "indexed_passages": len(self.searcher.index),
                "vocabulary": len(self.searcher.index.vocab), "generation": self.store.generation,
                "database": str(self.settings.db_path), "k1": self.settings.k1, "b": self.settings.b}

    def context(self, passage_id: str, scope: str | None = None, chars: int = 400) -> PassageContext:
        passage = self.store.get_passage(passage_id)
        doc = self.store.get_document(passage.doc_id)
        allowed = self.scopes_for(scope)
        if allowed is not None and doc.scope not in allowed:
            raise UnknownDocument(f"no passage with id {passage_id!r}")
        before = doc.text[max(0, passage.start - chars) : passage.start]
        after = doc.text[passage.end : passage.end + chars]
        return PassageContext(passage, doc, before, after)
