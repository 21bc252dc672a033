"""Scoring with numpy, and top-k selection.

A question's terms are scored segment by segment (`ScoredSegment`: a segment with the statistics it is
scored at), touching only their postings. Each contribution is the term's IDF times its (tf, length)
pair's part (pairs.py), formula.term_score's float, so the scores are rank-bm25's. Segments big enough
go to the compiled kernels instead (compiled.py); both paths give each segment's candidates, merged into
the k best by `select_top`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..retriever import ScoredRow
from .scope_stats import Visible

if TYPE_CHECKING:
    from .segment import Segment

BLOCK_ROWS = 1 << 18  # rows scored together: a 2 MB float64 accumulator stays in the CPU caches
PREFILTER = 64  # top-k: sample this many x k scores for a floor before the partial sort
FEW_POSTINGS = 16  # below 1/16 of the rows touched, sorting the touched rows beats scanning a flag array
Candidates = tuple[np.ndarray, np.ndarray, bool]  # rows, exact scores, whether already ranked


class ScoredSegment(NamedTuple):
    """A segment and what it is scored with: IDF per segment term id (an array, or a dict of the
    question's terms within scopes), the tf part of each of its (tf, length) pairs (pairs.py) at the
    statistics scored with, the scope set's statistics when asked within scopes (else None), the dead-row
    mask or None, and where its rows start in the snapshot."""

    seg: Segment
    offset: int
    idf: np.ndarray | dict[int, float]
    parts: np.ndarray
    view: Visible | None
    dead: np.ndarray | None


class Scratch:
    """Per-thread work arrays of one snapshot, kept between questions (never reallocated while the size
    fits) and dropped after an exception: a half-cleared accumulator is never reused."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, key: str, size: int, make: Callable[[int], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
        arrays = getattr(self._local, key, None)
        if arrays is None or len(arrays[0]) != size:
            arrays = make(size)
            setattr(self._local, key, arrays)
        return arrays

    def held(self, key: str) -> tuple[np.ndarray, ...] | None:
        return getattr(self._local, key, None)

    def drop(self, key: str) -> None:
        setattr(self._local, key, None)


def scope_table(seg: Segment, allowed: frozenset[str]) -> np.ndarray:
    """Per segment scope id, whether it is allowed (one slot more, False: ids stay in range)."""
    return np.array([name in allowed for name in seg.scopes] + [False], dtype=bool)


def add_dense(out: np.ndarray, part: ScoredSegment, terms: Sequence[str], allowed: frozenset[str] | None) -> None:
    """Every term's contributions added into out (the segment's slice of the dense scores), in query
    order (rank-bm25's); dead rows and rows outside `allowed` zeroed."""
    seg, idf = part.seg, part.idf
    for term in terms:
        tid = seg.vocab.get(term)
        if tid is not None and (allowed is None or tid in idf):
            lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
            out[seg.postings[lo:hi]] += _contributions(part, tid, lo, hi)
    if part.dead is not None:
        out[part.dead] = 0.0
    if allowed is not None:
        out[~scope_table(seg, allowed)[seg.scope_ids]] = 0.0


def numpy_candidates(part: ScoredSegment, tids: list[int], allowed: frozenset[str] | None, k: int,
                     scratch: Scratch) -> Candidates:
    """Rows of the segment that may be in the top k, with their exact scores (not ranked).

    Scored a block of rows at a time: each term's postings are cut at the block edges (they are sorted
    by row), so the accumulator of one block stays in cache instead of a random walk over 8 MB at a
    million rows; each block keeps only its k best (ties included), filters applied."""
    seg, offset, dead = part.seg, part.offset, part.dead
    n = len(seg)
    edges = np.arange(0, n + BLOCK_ROWS, BLOCK_ROWS)
    edges[-1] = n
    edges = edges[: int(np.searchsorted(edges, n)) + 1]
    spans = []
    for tid in tids:
        lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
        cuts = (lo + np.searchsorted(seg.postings[lo:hi], edges)).tolist() if len(edges) > 2 else [lo, hi]
        spans.append((tid, cuts))
    table = None if allowed is None else scope_table(seg, allowed)
    key = f"s{offset}"
    acc, mark = scratch.get(key, min(n, BLOCK_ROWS), lambda size: (np.zeros(size), np.zeros(size, dtype=bool)))
    found_rows, found_scores = [], []
    for block in range(len(edges) - 1):
        start = int(edges[block])
        try:
            rows, scores = _score_block(part, spans, block, start, acc, mark)
        except BaseException:
            scratch.drop(key)
            raise
        if not len(rows):
            continue
        rows = rows + start
        if dead is not None:
            keep = ~dead[rows]
            rows, scores = rows[keep], scores[keep]
        if table is not None:
            keep = table[seg.scope_ids[rows]]
            rows, scores = rows[keep], scores[keep]
        if len(rows) > k:  # this block's k best, ties with the k-th kept (the final order breaks them)
            keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
            rows, scores = rows[keep], scores[keep]
        found_rows.append(rows)
        found_scores.append(scores)
    if not found_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0), False
    rows = np.concatenate(found_rows) if len(found_rows) > 1 else found_rows[0]
    scores = np.concatenate(found_scores) if len(found_scores) > 1 else found_scores[0]
    return rows.astype(np.int64) + offset, scores, False


def _score_block(part: ScoredSegment, spans, block: int, start: int, acc: np.ndarray, mark: np.ndarray):
    """Scatter-add the query terms' postings that fall in one block; its touched rows (block-local,
    sorted, distinct) and their scores, leaving the scratch clean."""
    touched = []
    for tid, cuts in spans:
        a, z = cuts[block], cuts[block + 1]
        if a == z:
            continue
        rows = part.seg.postings[a:z]
        local = rows - start if start else rows
        acc[local] += _contributions(part, tid, a, z)
        touched.append(local)
    if not touched:
        return touched, None
    total = sum(map(len, touched))
    if len(touched) == 1:
        rows = np.asarray(touched[0])
    elif total * FEW_POSTINGS < len(acc):
        rows = np.sort(np.concatenate(touched))
        keep = np.empty(len(rows), dtype=bool)
        keep[0] = True
        np.not_equal(rows[1:], rows[:-1], out=keep[1:])
        rows = rows[keep]
    else:
        for r in touched:
            mark[r] = True
        rows = np.flatnonzero(mark)
        mark[rows] = False
    scores = acc[rows]
    acc[rows] = 0.0
    return rows.astype(np.int64), scores


def _contributions(part: ScoredSegment, tid: int, lo: int, hi: int) -> np.ndarray:
    """Postings lo..hi (of term tid) scored: idf x their pairs' parts, rank-bm25's floats."""
    return part.idf[tid] * part.parts[part.seg.codes[lo:hi]]


def select_top(found: list[Candidates], k: int) -> list[ScoredRow]:
    """The k best of every segment's candidates, best first; ties go to the lower row."""
    if not found:
        return []
    if len(found) == 1 and found[0][2]:  # one segment, ranked by the kernel already
        return list(map(ScoredRow, found[0][0].tolist(), found[0][1].tolist()))
    rows = np.concatenate([c[0] for c in found]) if len(found) > 1 else found[0][0]
    scores = np.concatenate([c[1] for c in found]) if len(found) > 1 else found[0][1]
    if len(rows) > PREFILTER * k:
        # Any k scores give a lower bound of the k-th best: keep only what reaches it, so the
        # partial sort runs over a few rows instead of every candidate.
        sample = scores[:: max(1, len(scores) // (PREFILTER * k))]
        if len(sample) >= k:
            floor = np.partition(sample, len(sample) - k)[len(sample) - k]
            keep = np.flatnonzero(scores >= floor)
            rows, scores = rows[keep], scores[keep]
    if len(rows) > k:  # every score reaching the k-th, ties included, so the lower row wins a tie
        part = np.flatnonzero(scores >= np.partition(scores, len(scores) - k)[len(scores) - k])
    else:
        part = np.arange(len(rows))
    order = part[np.lexsort((rows[part], -scores[part]))][:k]
    return [ScoredRow(int(rows[i]), float(scores[i])) for i in order]
