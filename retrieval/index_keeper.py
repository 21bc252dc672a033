"""The BM25 index kept in step with the store (the "bm25" engine of retrieval/engines.py).

Opening loads the saved index when its header matches the store, else builds one. A change becomes a
delta segment plus deletions over the untouched base, saved as those small files only; a big change, or
an index out of step with the store, is a full rebuild. A change needs no rescoring of the base (its
postings hold (tf, length) pair codes, scored at each snapshot's statistics: bm25/pairs.py), and once the
delta has drifted far enough a background merge folds it back into one base. Each new snapshot replaces
the serving one with one assignment, so a question in flight keeps the snapshot it started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .bm25 import BM25Index
from .bm25 import compiled
from .bm25.segment import Segment
from .config import Settings
from .engines import StoreRow, index_rows
from .models import IngestReport
from .store import Store
from .text.tokenize import TOKENIZER_VERSION

log = logging.getLogger(__name__)
# A change goes to the delta segment unless it touches more than this share of the passages (then a
# full rebuild is about as cheap as the delta would be slow).
DELTA_MAX_FRACTION = 0.05
# When delta + deleted rows outgrow this share of the base (and MERGE_MIN_ROWS), a background merge
# folds them back into one segment: a delta is rebuilt on every change, and deleted rows are still read.
MERGE_FRACTION = 0.05
MERGE_MIN_ROWS = 2_000
MERGE_IN_BACKGROUND = True


def keeper(store: Store, settings: Settings, reader: bool = False) -> "IndexKeeper":
    return IndexKeeper(store, settings, reader=reader)


def _saved_key(header: dict) -> tuple:
    """What identifies a saved index: its files and generation."""
    return header.get("base"), header.get("delta"), header.get("deleted"), header.get("generation")


def index_dir(settings: Settings) -> Path:
    """Where the index of a database lives: RETRIEVAL_INDEX_DIR, else `<db>.index/` beside the SQLite file, or
    for PostgreSQL `<database name>.index/` in the data folder (each process keeps its own copy)."""
    if settings.index_path is not None:
        return settings.index_path
    if settings.db_url:
        from urllib.parse import urlsplit

        name = urlsplit(settings.db_url).path.strip("/") or "postgres"
        return settings.db_path.parent / f"{name}.pg.index"
    return settings.db_path.with_name(settings.db_path.name + ".index")


class _Cancelled(Exception):
    pass


def _cancellable(rows: Iterable, stop: threading.Event) -> Iterator:
    for i, row in enumerate(rows):
        if i % 10_000 == 0 and stop.is_set():
            raise _Cancelled
        yield row


class IndexKeeper:
    """Owns the serving BM25Index (`retriever`), the lock every store write and index update takes, and
    the background threads (weights, merge)."""

    retriever: BM25Index

    def __init__(self, store: Store, settings: Settings, reader: bool = False) -> None:
        """reader: a process that answers beside the one that keeps the index files (retrieval/ask_pool.py):
        it loads them, follows the store's changes in memory, and never writes them."""
        self.store, self.settings, self.reader = store, settings, reader
        self._taken: tuple | None = None  # a reader: the saved index it serves (base, delta, deleted, generation)
        self.index_dir = index_dir(settings)
        self._lock = threading.Lock()  # the write and index update, for every server
        self._merge_thread: threading.Thread | None = None
        self._rebuilt_at = -1  # store generation of the last full rebuild
        self._closing = threading.Event()
        self.warming: threading.Thread | None = None  # the compiled scorer loading, the first time in a process
        self._serve(self._load_or_build_index())

    def _serve(self, index: BM25Index) -> None:
        """Warm the snapshot up, then swap it in: one assignment. The first time in a process, the compiled
        scorer loads in the background (about half a second) while numpy answers the first questions."""
        warming = index.warm_up(background=not compiled.warm())
        if warming is not None:
            self.warming = warming
        self.retriever = index

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The store write and the index update: one at a time for every server (the index is shared)."""
        with self._lock:
            yield

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def describe(self) -> dict[str, object]:
        return {"indexed_passages": len(self.retriever), "vocabulary": len(self.retriever.vocab)}

    def close(self) -> None:
        self._closing.set()
        self.wait_for_merge()

    # -- snapshots ----------------------------------------------------------------------------------
    def _index_header(self, generation: int | None = None) -> dict:
        s = self.settings
        return {"generation": self.store.generation if generation is None else generation,
                "tokenizer": TOKENIZER_VERSION, "k1": s.k1, "b": s.b, "epsilon": s.epsilon,
                "title_in_passages": s.title_in_passages, "headings_in_passages": s.title_in_passages}

    def _load_or_build_index(self) -> BM25Index:
        """The saved base + delta when its header matches the store (generation, tokenizer, BM25
        parameters); anything else (stale, half-written, other format) is rebuilt from the store."""
        saved = self._saved_at(self.store.generation)
        return saved if saved is not None else self._build_index()

    def _new_index(self, raw: Iterable[StoreRow], header: dict) -> BM25Index:
        s = self.settings
        return BM25Index.build(index_rows(raw, s), k1=s.k1, b=s.b, epsilon=s.epsilon, header=header,
                               backend=s.scorer)

    def fresh_index(self) -> BM25Index:
        """A full build of the store as it is now, neither saved nor served (benchmarks compare it)."""
        return self._new_index(self.store.iter_index_rows(), {})

    def _save(self, index: BM25Index) -> None:
        if self.reader:
            return
        if self.store.read_only:
            log.info("read-only database: the index is kept in memory only")
            return
        try:
            index.save(self.index_dir)
        except OSError as exc:  # a read-only disk still answers, from memory
            log.warning("could not save the index to %s: %s", self.index_dir, exc)

    def _build_index(self) -> BM25Index:
        """A full rebuild: one segment from every stored passage. Changes logged for a running merge
        are dropped: this index has them all, and a merge that started before it is discarded. A reader
        loads the saved index instead when it is the store's."""
        generation = self.store.generation
        if self.reader and (saved := self._saved_at(generation)) is not None:
            return saved
        index = self._new_index(self.store.iter_index_rows(), self._index_header(generation))
        self._save(index)
        self._rebuilt_at = generation
        return index

    def changed(self, report: IngestReport) -> None:
        """Apply a store change to the index: incrementally (a delta segment plus deletions over the
        untouched base, then only those small files saved) unless the change is big or the index no
        longer matches the store, then a full rebuild. A big enough drift schedules a merge.

        The delta is read from the store's change log from the index's own generation on, so changes another
        process committed in between (a shared PostgreSQL store) are applied with this one, never skipped."""
        if not report.changed_anything:
            return
        gone = set(report.changed) | set(report.removed)
        self._apply_logged(rebuild=report.passages + len(gone) > DELTA_MAX_FRACTION * len(self.retriever))

    def follow(self) -> bool:
        """Catch up with what other processes committed to a shared store (PostgreSQL). Skipped while this
        process writes (its own change catches up too). True when the index changed."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self.reader and self._take_up_saved():
                return True
            return self._apply_logged()
        finally:
            self._lock.release()

    def _take_up_saved(self) -> bool:
        """A reader serves the keeping process's saved index once it is at the store's generation, rather than
        its own delta: the same layout as the keeper's snapshot, so the same ties and the same floats (the
        mean IDF behind rank-bm25's floor is summed in term order). Only new files are read: the base it
        already has is used again while the header names it."""
        header = BM25Index.read_header(self.index_dir)
        if not header or _saved_key(header) == self._taken:
            return False
        index = self._saved_at(self.store.generation, header, self.retriever.base, instead="following the log")
        if index is None:
            return False  # not saved yet (the keeper saves right after its commit) or unusable: the log
        self._serve(index)
        return True

    def _apply_logged(self, rebuild: bool = False) -> bool:
        """The logged changes after the index's generation, as one delta (a rebuild when asked, or when the log
        does not reach back); the header then names the last generation applied."""
        index = self.retriever
        have = index.header.get("generation")
        if have == self.store.generation and not rebuild:
            return False
        changes = None if rebuild or not isinstance(have, int) else self.store.changes_since(have)
        if not changes:
            self._serve(self._build_index())
            return True
        index = self._with_logged(index, changes)
        self._save(index)
        self._serve(index)
        if index.drift > max(MERGE_MIN_ROWS, MERGE_FRACTION * len(index.base)):
            self._schedule_merge()
        return True

    def _with_logged(self, index: BM25Index, changes: list[tuple[int, set[str], set[str]]]) -> BM25Index:
        """`index` with the logged changes applied: their documents' passages replaced by the store's current
        ones, removed ones gone; the header names the last generation applied."""
        fresh = set().union(*(f for _, f, _ in changes))
        gone = set().union(*(g for _, _, g in changes))
        rows = index_rows(self.store.iter_index_rows(doc_ids=fresh), self.settings)
        return index.with_changes(remove_docs=fresh | gone, add=rows, header=self._index_header(changes[-1][0]))

    def refreshed(self, report: IngestReport) -> None:
        """A refresh merges: a full rebuild when it changed anything or the index holds a delta."""
        if report.changed_anything or self.retriever.delta_share():
            self._serve(self._build_index())

    # -- background work ----------------------------------------------------------------------------
    def _saved_at(self, generation: int, header: dict | None = None, loaded_base: Segment | None = None,
                  instead: str = "rebuilding") -> BM25Index | None:
        """The saved index when its header (read now unless given) matches the store at this generation and
        these settings, else None (also when its files are unusable: logged, with what is done `instead`).
        loaded_base: BM25Index.load's."""
        header = BM25Index.read_header(self.index_dir) if header is None else header
        if not header or not all(header.get(k) == v for k, v in self._index_header(generation).items()):
            return None
        try:
            index = BM25Index.load(self.index_dir, backend=self.settings.scorer, loaded_base=loaded_base)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("index at %s unusable (%s); %s", self.index_dir, exc, instead)
            return None
        self._taken = _saved_key(header)
        return index

    def _schedule_merge(self) -> None:
        if self.reader:  # the keeping process merges and saves; a reader takes that index up (_take_up_saved)
            return
        if not MERGE_IN_BACKGROUND or str(self.settings.db_path) == ":memory:":
            self._serve(self._build_index())
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
            with self._lock:
                if self._closing.is_set() or self._rebuilt_at > generation:
                    return  # closing, or a full rebuild since our read already holds everything
                changes = self.store.changes_since(generation)
                if changes is None:
                    return  # the log does not reach back to our read: the next change rebuilds
                if changes:  # committed since our read, here or by another process
                    index = self._with_logged(index, changes)
                self._save(index)
                self._serve(index)
        except _Cancelled:
            pass
        except Exception:  # noqa: BLE001 - a failed merge leaves the current (correct) snapshot serving
            log.exception("background index merge failed")

    def wait_for_merge(self, timeout: float | None = None) -> None:
        """For tests and benchmarks: block until a background merge (if any) has finished."""
        if self._merge_thread is not None:
            self._merge_thread.join(timeout)
