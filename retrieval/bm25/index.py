"""BM25Index: BM25 Okapi over passages, scored exactly as rank_bm25.BM25Okapi, touching only the query's
postings; the engine's face, implementing the Retriever protocol.

A snapshot is one big immutable base segment (segment.py), a small delta segment and a deletion set
(delta.py). N, avgdl and every term's document frequency are taken over the live passages (live_stats.py;
a question asked within scopes: the live passages in those scopes, scope_stats.py), so scores stay
rank-bm25's (formula.py) over exactly them. Scored by numpy (scoring.py) or the compiled kernels
(compiled.py, kernels.py), as `backend` says; saved and loaded by files.py.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..retriever import IndexRow, ScoredRow
from . import compiled, files
from .compiled import BACKENDS, Backend
from .delta import changed_parts, drift
from .live_stats import LiveStats, LiveVocab
from .scope_stats import Part, ViewCache, Visible
from .scoring import ScoredSegment, Scratch, add_dense, numpy_candidates, select_top
from .segment import Segment
from .strings import Rows

log = logging.getLogger(__name__)


class BM25Index:
    """An immutable snapshot; `build` one, `with_changes` for the next, `save` / `load` to persist."""

    def __init__(self, base: Segment, *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25,
                 header: dict | None = None, delta: Segment | None = None, deleted: np.ndarray | None = None,
                 backend: Backend = "auto") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.base, self.k1, self.b, self.epsilon, self.backend = base, k1, b, epsilon, backend
        self.delta = delta if delta is not None and len(delta) else None
        self.deleted = np.unique(np.asarray(deleted, dtype=np.int64)) if deleted is not None and len(deleted) else None
        self.header = dict(header or {})
        self.live = LiveStats(base, self.delta, self.deleted, k1=k1, b=b, epsilon=epsilon)
        self.scopes = list(dict.fromkeys(base.scopes + (self.delta.scopes if self.delta is not None else [])))
        self.scratch = Scratch()
        self._kernel_safe = compiled.kernel_safe(k1, b)
        self._views = ViewCache()

    # -- what the snapshot holds --------------------------------------------------------------------
    def __len__(self) -> int:
        return self.live.n

    @property
    def n_rows(self) -> int:
        """Row slots: the base's rows then the delta's; deleted rows keep their slot but never score."""
        return len(self.base) + (len(self.delta) if self.delta is not None else 0)

    @property
    def passage_ids(self) -> Sequence[str]:
        return self.base.passage_ids if self.delta is None else Rows(self.base.passage_ids, self.delta.passage_ids)

    @property
    def vocab(self) -> Mapping[str, int]:
        return self.base.vocab if self.delta is None and self.deleted is None else LiveVocab(self.live)

    def live_rows(self) -> np.ndarray:
        rows = np.arange(self.n_rows)
        dead = self.live.dead
        return rows if dead is None else rows[np.concatenate([~dead, np.ones(self.n_rows - len(self.base), bool)])]

    @property
    def stats(self) -> dict[str, int]:
        return {"base_passages": len(self.base), "delta_passages": len(self.delta) if self.delta is not None else 0,
                "deleted_passages": len(self.deleted) if self.deleted is not None else 0}

    def delta_share(self) -> float:
        """How far the snapshot has drifted from its base: (delta + deleted rows) / base rows."""
        return self.drift / max(1, len(self.base))

    @property
    def drift(self) -> int:
        """Rows changed since the base was built (delta + deleted)."""
        return drift(self.base, self.delta, self.deleted)

    # -- statistics ---------------------------------------------------------------------------------
    def visible(self, scopes: Iterable[str]) -> Visible:
        """The statistics of the live passages in these scopes alone (N, avgdl, df, IDF): what a question
        asked there is scored with. Made once per scope set and snapshot."""
        key = frozenset(scopes)
        return self._views.get(key, lambda: self._view(key))

    def _view(self, scopes: frozenset[str]) -> Visible:
        base, delta = self.base, self.delta
        in_base = [i for i, name in enumerate(base.scopes) if name in scopes]
        parts = [Part(base.scope_counts, base.vocab, in_base, None, 1)]
        if self.live.deleted_counts is not None:
            parts.append(Part(self.live.deleted_counts, base.vocab, in_base, None, -1))
        n_terms = len(base.vocab)
        if delta is not None:
            in_delta = [i for i, name in enumerate(delta.scopes) if name in scopes]
            parts.append(Part(delta.scope_counts, delta.vocab, in_delta, self.live.delta_ids, 1))
            n_terms += len(delta.vocab)
        return Visible(parts, n_terms, k1=self.k1, b=self.b, epsilon=self.epsilon)

    def doc_freq(self, term: str, scopes: Iterable[str] | None = None) -> int:
        """Live passages containing the term (only those in `scopes`, when given)."""
        return self.live.doc_freq(term) if scopes is None else self.visible(scopes).doc_freq(term)

    def term_idf(self, term: str, scopes: Iterable[str] | None = None) -> float | None:
        return self.live.idf(term) if scopes is None else self.visible(scopes).idf(term)

    # -- the Retriever protocol ---------------------------------------------------------------------
    def passage_id(self, row: int) -> str:
        return self.passage_ids[row]

    def doc_freqs(self, scopes: Iterable[str] | None = None) -> Callable[[str], int]:
        return self.doc_freq if scopes is None else self.visible(scopes).doc_freq

    def passage_count(self, scopes: Iterable[str] | None = None) -> int:
        return len(self) if scopes is None else self.visible(scopes).n

    def top(self, query_tokens: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[ScoredRow]:
        """The k best live passages containing at least one query term. Within `scopes` (a server's
        question), scored with those scopes' own statistics, as rank-bm25 over just the passages they
        hold: another scope's passages never move these scores. Ties go to the lower row."""
        if k <= 0:
            return []
        if scopes is None:
            allowed, parts = None, self._parts()
        else:
            allowed = frozenset(scopes)
            view = self.visible(allowed)
            if not view.total_len:  # nothing visible, or only empty passages: no term to match
                return []
            parts = self._scoped_parts(view, query_tokens)
        found = []
        for part in parts:
            vocab = part.seg.vocab
            tids = [tid for term in query_tokens if (tid := vocab.get(term)) is not None]
            if allowed is not None:  # a term no visible passage holds adds nothing (rank-bm25: IDF 0)
                tids = [tid for tid in tids if tid in part.idf]
            if not tids:
                continue
            if compiled.compiles(self.backend, len(part.seg), self._kernel_safe):
                found.append(compiled.candidates(part, tids, allowed, k, self.scratch,
                                                 skip=compiled.skips(self.backend, len(part.seg))))
            else:
                found.append(numpy_candidates(part, tids, allowed, k, self.scratch))
        return select_top(found, k)

    def warm_up(self, background: bool = False) -> threading.Thread | None:
        """Compile the kernel for this index's array types now (or load it from numba's cache), so no
        question pays for it; `background`: in a thread (returned), the numpy path answering meanwhile.
        An index with no segment meant for the kernel never imports numba."""
        if background:
            thread = threading.Thread(target=self._warm_up_quietly, name="bm25-warm-up", daemon=True)
            thread.start()
            return thread
        for part in self._parts():
            if not (part.seg.vocab and compiled.wants_kernel(self.backend, len(part.seg), self._kernel_safe)
                    and compiled.kernels() is not None):
                continue
            # An empty question loads each kernel for this segment's array types (numba specialises on them)
            # and makes the skipping path's blocks, with work arrays of one slot: per-thread arrays of the
            # segment's size (170 MB at 10M passages) would die with a warm-up thread.
            view = self.visible(part.seg.scopes[:1])
            for skip in {False, compiled.skips(self.backend, len(part.seg))}:
                compiled.candidates(part, [], None, 1, compiled.EMPTY_QUESTION, skip=skip)
                # and the scorer of questions asked within scopes (their own statistics)
                within = part._replace(idf={}, parts=view.parts_of(part.seg.pair_tf, part.seg.pair_len), view=view)
                compiled.candidates(within, [], frozenset(part.seg.scopes), 1, compiled.EMPTY_QUESTION, skip=skip)
            # and the pass a removal makes over the postings (Segment.forward)
            compiled.kernels().postings_of_rows(part.seg.postings[:0], np.zeros(0, dtype=bool), np.empty(0, np.int64))
            compiled.mark_warm()
        return None

    def _warm_up_quietly(self) -> None:
        try:
            self.warm_up()
        except Exception:  # the numpy path keeps answering, with the same scores
            log.exception("loading the compiled scorer failed; scoring with numpy")

    # -- scoring ------------------------------------------------------------------------------------
    def _parts(self) -> Iterable[ScoredSegment]:
        """Each segment at the live statistics."""
        live = self.live
        yield ScoredSegment(self.base, 0, live.idf_base, live.parts_base, None, live.dead)
        if self.delta is not None:
            yield ScoredSegment(self.delta, len(self.base), live.idf_delta, live.parts_delta, None, None)

    def _scoped_parts(self, view: Visible, query_tokens: Sequence[str]) -> Iterable[ScoredSegment]:
        """Each segment at a scope set's own statistics: the IDF (by segment term id) of each query term
        some visible passage has, and its pairs' tf parts at the set's avgdl."""
        idfs = view.idfs(query_tokens)
        for part in self._parts():
            vocab = part.seg.vocab
            idf = {tid: value for term, value in idfs.items() if (tid := vocab.get(term)) is not None}
            yield part._replace(idf=idf, parts=view.parts_of(part.seg.pair_tf, part.seg.pair_len), view=view)

    def scores(self, query_tokens: Sequence[str], scopes: Iterable[str] | None = None) -> np.ndarray:
        """Dense scores for every row slot: rank_bm25.BM25Okapi.get_scores over the live passages (in
        `scopes`, when given; other rows and deleted rows score 0), for tests and oracles."""
        out = np.zeros(self.n_rows)
        allowed = None if scopes is None else frozenset(scopes)
        if allowed is None:
            parts = self._parts()
        else:
            view = self.visible(allowed)
            parts = self._scoped_parts(view, query_tokens) if view.total_len else ()
        for part in parts:
            add_dense(out[part.offset : part.offset + len(part.seg)], part, query_tokens, allowed)
        return out

    # -- building and changing ----------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[IndexRow], *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25,
              header: dict | None = None, backend: Backend = "auto") -> "BM25Index":
        """rows: (passage_id, scope, tokens), streamed in batches: tokens are never all held at once."""
        return cls(Segment.build(rows, epsilon=epsilon), k1=k1, b=b, epsilon=epsilon, header=header,
                   backend=backend)

    def with_changes(self, *, remove_docs: Iterable[str] = (), add: Iterable[IndexRow] = (),
                     header: dict | None = None) -> "BM25Index":
        """The next snapshot: these documents' passages gone and `add` appended (delta.py). The base is untouched."""
        delta, deleted = changed_parts(self.base, self.delta, self.deleted, remove_docs=remove_docs, add=add,
                                       epsilon=self.epsilon)
        return BM25Index(self.base, k1=self.k1, b=self.b, epsilon=self.epsilon, delta=delta, deleted=deleted,
                         header={**self.header, **(header or {})}, backend=self.backend)

    def using(self, backend: Backend) -> "BM25Index":
        """This snapshot scored by another backend (the tests compare them): every array and statistic shared."""
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        twin = copy.copy(self)
        twin.backend = backend
        return twin

    # -- persistence (files.py) ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Crash-safe: the previous header keeps naming complete files until the new one is swapped in."""
        self.header = files.save_index(self, folder)

    @staticmethod
    def read_header(folder: Path) -> dict | None:
        return files.read_header(folder)

    @classmethod
    def load(cls, folder: Path, *, backend: Backend = "auto", loaded_base: Segment | None = None) -> "BM25Index":
        """Memory-mapped, after every file and array is checked (CorruptIndex, FileNotFoundError: files.load_index).
        loaded_base: a base segment already loaded (and checked) from this folder, used again when the header
        still names it with the same checksums: only the delta's files are read and checked."""
        return files.load_index(folder, lambda base, **parts: cls(base, backend=backend, **parts), loaded_base)
