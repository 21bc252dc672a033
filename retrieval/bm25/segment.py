"""One immutable segment: CSR postings of some passages, built from token lists.

Term postings in CSR arrays (term -> passage rows ascending, each with its (tf, length) pair code:
pairs.py), passage lengths, scopes and each scope's document frequencies (scope_stats.ScopeCounts). No
forward index (row -> terms) is kept: what a deletion takes away is found by one pass over the postings
(`forward`), when a snapshot with deletions is made. A snapshot (index.BM25Index) is one big base segment
plus a small delta one. Saved and loaded by files.py, checked by validate.py.
"""

from __future__ import annotations

import bisect
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from ..retriever import IndexRow
from ..text.passages import doc_of
from .arrays import cat, readonly
from . import pairs
from .formula import rank_bm25_idf
from .scope_stats import ScopeCounts
from .strings import Strings

BATCH_ROWS = 20_000  # rows per build batch: bounds the Python objects alive while building
FORWARD_CHUNK = 1 << 22  # postings scanned at a time by `forward`: bounds the temporaries


class Segment:
    """Immutable postings of some passages. `idf` is for the segment on its own; `codes` give each posting's
    (tf, passage length) pair in `pair_tf`/`pair_len` (pairs.py); `scope_ptr`, `scope_tids` and
    `scope_dfs` are each scope's document frequencies (scope_stats)."""

    def __init__(self, *, passage_ids: Sequence[str], scopes: list[str], vocab: dict[str, int],
                 indptr: np.ndarray, postings: np.ndarray, doc_len: np.ndarray, scope_ids: np.ndarray,
                 idf: np.ndarray, scope_ptr: np.ndarray, scope_tids: np.ndarray, scope_dfs: np.ndarray,
                 codes: np.ndarray, pair_tf: np.ndarray, pair_len: np.ndarray, doc_sorted: bool,
                 name: str | None = None,
                 scope_counts: ScopeCounts | None = None) -> None:
        self.passage_ids, self.scopes, self.vocab = passage_ids, scopes, vocab
        self.indptr, self.postings = readonly(indptr), readonly(postings)
        self.doc_len, self.scope_ids = readonly(doc_len), readonly(scope_ids)
        self.idf = readonly(idf)
        self.codes, self.pair_tf, self.pair_len = readonly(codes), readonly(pair_tf), readonly(pair_len)
        self.scope_ptr, self.scope_tids, self.scope_dfs = scope_ptr, scope_tids, scope_dfs
        self._scope_counts = scope_counts  # counted when first needed: after `check`, for a loaded segment
        self.doc_sorted = doc_sorted  # rows grouped by document in id order: rows_of_docs can bisect
        self.name = name  # the folder it lives in, once saved
        self.checksums: dict[str, list[int]] | None = None  # file -> [size, CRC-32], once saved or verified
        self.df = np.diff(np.asarray(indptr, dtype=np.int64)) if len(indptr) else np.zeros(0, dtype=np.int64)
        self.total_len = int(np.asarray(doc_len, dtype=np.int64).sum())
        self._doc_rows: dict[str, list[int]] | None = None
        self.skip_blocks: tuple[np.ndarray, ...] | None = None  # compiled.blocks_of, made on first need
        self.skip_part_maxima: tuple[np.ndarray, np.ndarray] | None = None  # compiled.part_maxima
        self._last_forward: tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def scope_counts(self) -> ScopeCounts:
        """Passages, total length and document frequencies per scope."""
        if self._scope_counts is None:
            self._scope_counts = ScopeCounts.of_segment(self.scope_ids, len(self.scopes), self.doc_len,
                                                        self.scope_ptr, self.scope_tids, self.scope_dfs)
        return self._scope_counts

    def check(self, release: Callable[[np.ndarray], None] | None = None) -> None:
        """CorruptIndex unless every id and offset the scorers index with is in range (validate.py);
        release(array) once an array's checks are done."""
        from .validate import check_segment

        check_segment(self, release)

    # -- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[IndexRow], *, epsilon: float, batch: int = BATCH_ROWS) -> "Segment":
        """rows: (passage_id, scope, tokens), streamed: a batch at a time becomes numpy arrays."""
        gc_was_on = gc.isenabled()
        gc.disable()  # builds no cycles; collections would rescan every live token list, over and over
        try:
            return cls._build(rows, epsilon=epsilon, batch=batch)
        finally:
            if gc_was_on:
                gc.enable()

    @classmethod
    def _build(cls, rows: Iterable[IndexRow], *, epsilon: float, batch: int) -> "Segment":
        pids: list[str] = []
        scope_names: dict[str, int] = {}
        vocab: dict[str, int] = {}
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (row nnz, tids, tfs, lens)
        scope_parts: list[np.ndarray] = []
        doc_sorted, last_doc = True, ""
        it = iter(rows)
        while chunk := list(itertools.islice(it, batch)):
            chunk_pids = [r[0] for r in chunk]
            pids.extend(chunk_pids)
            scope_ids = np.array([scope_names.setdefault(r[1], len(scope_names)) for r in chunk], dtype=np.int32)
            token_lists = [r[2] for r in chunk]
            del chunk
            if doc_sorted:
                docs = [last_doc, *map(doc_of, chunk_pids)]
                doc_sorted = all(a <= b for a, b in zip(docs, docs[1:]))
                last_doc = docs[-1]
            parts.append(_count_batch(token_lists, vocab))
            scope_parts.append(scope_ids)
        row_nnz = cat([p[0] for p in parts], np.int64)
        fwd_tids = cat([p[1] for p in parts], np.int32)
        fwd_tfs = cat([p[2] for p in parts], np.int32)
        doc_len = cat([p[3] for p in parts], np.int32)
        del parts
        fwd_ptr = np.zeros(len(row_nnz) + 1, dtype=np.int64)
        np.cumsum(row_nnz, out=fwd_ptr[1:])
        indptr, postings, tfs = _invert(fwd_tids, fwd_tfs, row_nnz, len(vocab))
        idf = rank_bm25_idf(np.diff(indptr), len(pids), epsilon)
        scope_ids = cat(scope_parts, np.int32)
        counts = ScopeCounts.count(scope_ids, len(scope_names), doc_len, fwd_ptr, fwd_tids, np.diff(indptr))
        del fwd_ptr, fwd_tids, fwd_tfs
        codes, pair_tf, pair_len = pairs.encode(tfs, postings, doc_len)
        del tfs
        return cls(passage_ids=Strings.from_list(pids), scopes=list(scope_names), vocab=vocab, indptr=indptr,
                   postings=postings, doc_len=doc_len, scope_ids=scope_ids, idf=idf, scope_ptr=counts.ptr,
                   scope_tids=counts.tids, scope_dfs=counts.dfs, codes=codes, pair_tf=pair_tf, pair_len=pair_len,
                   doc_sorted=doc_sorted, scope_counts=counts)

    # -- documents and token bags -------------------------------------------------------------------
    def rows_of_docs(self, doc_ids: Iterable[str]) -> list[int]:
        """Rows of these documents' passages: a bisection when rows are grouped by document."""
        out: list[int] = []
        for doc in doc_ids:
            if self.doc_sorted:
                lo = bisect.bisect_left(self.passage_ids, doc, key=doc_of)
                hi = bisect.bisect_right(self.passage_ids, doc, lo=lo, key=doc_of)
                out.extend(range(lo, hi))
            else:
                if self._doc_rows is None:
                    self._doc_rows = {}
                    for row, pid in enumerate(self.passage_ids):
                        self._doc_rows.setdefault(doc_of(pid), []).append(row)
                out.extend(self._doc_rows.get(doc, ()))
        return out

    def forward(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The forward entries of these rows (sorted, distinct): rows[i]'s term ids, ascending, in
        tids[ptr[i]:ptr[i + 1]], their pair codes alongside. One pass over the postings (35-42 ms at a
        million passages): kept instead of a stored forward index, which took 2x the postings' disk. The last
        answer is kept: every snapshot until the next merge asks again for the same deleted rows, or more."""
        held = self._last_forward
        if held is not None and np.array_equal(held[0], rows):
            return held[1]
        found = self._forward(rows)
        self._last_forward = (np.array(rows, copy=True), found)
        return found

    def _forward(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mask = np.zeros(len(self), dtype=bool)
        mask[rows] = True
        at = self._postings_of(rows, mask)
        tids = (np.searchsorted(self.indptr, at, side="right") - 1).astype(np.int32)
        order = np.argsort(self.postings[at], kind="stable")  # by row; terms stay ascending within a row
        at, tids = at[order], tids[order]
        ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(np.searchsorted(rows, self.postings[at]), minlength=len(rows)), out=ptr[1:])
        return ptr, tids, self.codes[at]

    def _postings_of(self, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Positions of the postings of the rows flagged in mask, ascending. With the kernels loaded (a
        segment served by them), one compiled pass: 0.16 s at 10M passages against numpy's 0.43 s. Each row
        has at most its length in distinct terms, so the output's size is known (and at most the postings'); a
        segment whose lengths say less (a crafted file) gets numpy's pass."""
        from . import compiled  # here: compiled's modules import this one

        if compiled.warm() and (kernels := compiled.kernels()) is not None:
            most = min(int(np.asarray(self.doc_len)[rows].sum(dtype=np.int64)), len(self.postings))
            out = np.empty(most, dtype=np.int64)
            found = kernels.postings_of_rows(self.postings, mask, out)
            if found >= 0:
                return out[:found]
        hits = [np.flatnonzero(mask[self.postings[a : a + FORWARD_CHUNK]]) + a
                for a in range(0, len(self.postings), FORWARD_CHUNK)]
        return cat(hits, np.int64)

    def bags(self, rows: Iterable[int]) -> Iterator[tuple[str, str, list[str]]]:
        """(passage_id, scope, tokens) of rows, tokens as a bag (term repeated tf times: all BM25 needs)."""
        rows = np.fromiter(rows, dtype=np.int64)
        ptr, tids, codes = self.forward(rows)
        terms, tfs = self.terms(), self.pair_tf[codes].tolist()
        tids = tids.tolist()
        for i, row in enumerate(rows.tolist()):
            lo, hi = int(ptr[i]), int(ptr[i + 1])
            tokens = [terms[t] for t, tf in zip(tids[lo:hi], tfs[lo:hi]) for _ in range(tf)]
            yield self.passage_ids[row], self.scopes[int(self.scope_ids[row])], tokens

    def terms(self) -> list[str]:
        return sorted(self.vocab, key=self.vocab.__getitem__)


def _count_batch(token_lists: list[Sequence[str]], vocab: dict[str, int]):
    """Token lists -> per row (distinct terms, term ids sorted, their tfs, length), as numpy arrays.
    New terms get ids in first-seen order, so the same rows always give the same ids."""
    lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    flat = list(itertools.chain.from_iterable(token_lists))
    for term in dict.fromkeys(flat):
        if term not in vocab:
            vocab[term] = len(vocab)
    tids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    del flat
    rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), lens)
    keys = np.sort((rows << 32) | tids)  # sort, not np.unique: numpy >= 2.3 hashes integers, much slower here
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        tfs = np.diff(np.append(starts, len(keys)))
        ukeys = keys[starts]
    else:
        tfs = ukeys = np.zeros(0, dtype=np.int64)
    row_nnz = np.bincount(ukeys >> 32, minlength=len(token_lists))
    return row_nnz, (ukeys & 0xFFFFFFFF).astype(np.int32), tfs.astype(np.int32), lens.astype(np.int32)


def _invert(fwd_tids: np.ndarray, fwd_tfs: np.ndarray, row_nnz: np.ndarray, n_terms: int):
    """Forward (row-major) entries -> CSR by term, rows ascending within a term. A stable argsort by
    term, done as one sort of (term << 32 | entry) keys: several times faster than argsort(stable)."""
    n = len(fwd_tids)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(fwd_tids, minlength=n_terms), out=indptr[1:])
    if n >= 1 << 32:
        order = np.argsort(fwd_tids, kind="stable")
    else:
        order = fwd_tids.astype(np.int64)
        order <<= 32
        order |= np.arange(n, dtype=np.int64)
        order.sort()
        order &= 0xFFFFFFFF  # in place: the sorted keys become the permutation
    entry_rows = np.repeat(np.arange(len(row_nnz), dtype=np.int32), row_nnz)
    return indptr, entry_rows[order], fwd_tfs[order]
