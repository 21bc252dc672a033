"""The compiled path: when a segment is scored by the numba kernels (kernels.py), and the call into them.

Chosen by an explicit backend, given to BM25Index (and by Corpus from `Settings.scorer`):
"auto" compiles segments of COMPILED_MIN_ROWS passages or more (below, numpy is fast enough and numba's
import is not paid), "compiled" every segment (the tests compare both paths on small corpora), "numpy"
none, "skipping" every segment, skipping postings by block-max MaxScore (maxscore.py) wherever it is
exact. "auto" and "compiled" skip too in segments of SKIPPING_MIN_ROWS or more, where it is faster (at 1M
passages it is not, at 3M and 10M it is: BENCHMARKS.md). Either way the kernel is used only where it
scores exactly (`kernel_safe`) and when numba is installed; otherwise the numpy path (scoring.py) scores,
with the same floats.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Literal

import numpy as np

from ..config import SCORERS
from .arrays import readonly
from .scoring import Candidates, ScoredSegment, Scratch, scope_table

Backend = Literal["auto", "numpy", "compiled", "skipping"]
BACKENDS: tuple[Backend, ...] = SCORERS  # Settings.scorer's values
COMPILED_MIN_ROWS = 20_000
SKIPPING_MIN_ROWS = 2_000_000
_NO_FLOATS, _NO_FLAGS = readonly(np.zeros(0)), readonly(np.zeros(0, dtype=bool))  # "no such array", for the kernel
_KERNELS = None
_WARM = threading.Event()  # the kernels are loaded in this process (BM25Index.warm_up): "auto" may use them


class _OneSlot(Scratch):
    """Work arrays of one slot, never kept: enough for a question of no terms, which touches no row."""

    def get(self, key: str, size: int, make: Callable[[int], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
        return make(1)


EMPTY_QUESTION = _OneSlot()  # the scratch of BM25Index.warm_up's empty questions (no terms: nothing written)


def kernels():
    """retrieval.bm25.kernels (numba), imported on first need; None when numba is not installed."""
    global _KERNELS
    if _KERNELS is None:
        try:
            from . import kernels as module
        except ImportError:
            module = False
        _KERNELS = module
    return _KERNELS or None


@functools.cache
def block_max():
    """retrieval.bm25.block_max (numba), imported on first need; None without numba."""
    if kernels() is None:
        return None
    from . import block_max as module

    return module


@functools.cache
def maxscore():
    """retrieval.bm25.maxscore (numba), the skipping kernel, imported on first need; None without numba."""
    if kernels() is None:
        return None
    from . import maxscore as module

    return module


def kernel_safe(k1: float, b: float) -> bool:
    """The kernel counts a row as touched when its score leaves 0.0, so it needs every contribution of a
    positive-IDF term to be positive: tf + k1 x (1 - b + b x dl / avgdl) > 0, true for k1 >= 0 and
    0 <= b <= 1. Other values (rank-bm25 accepts them) are scored by the numpy path."""
    return math.isfinite(k1) and k1 >= 0 and 0 <= b <= 1


def wants_kernel(backend: Backend, rows: int, safe: bool) -> bool:
    """Whether a segment of `rows` passages is meant for the kernel (imports nothing)."""
    return not (backend == "numpy" or not safe or (backend == "auto" and rows < COMPILED_MIN_ROWS))


def compiles(backend: Backend, rows: int, safe: bool) -> bool:
    """Whether a segment of `rows` passages is scored by the kernel now (numba imported only then). With
    "auto", only once warm_up has loaded it: until then (numba's import and its cached code take about
    half a second) the numpy path answers, with the same floats, so the first question need not wait."""
    if not wants_kernel(backend, rows, safe) or (backend == "auto" and not _WARM.is_set()):
        return False
    return kernels() is not None


def skips(backend: Backend, rows: int) -> bool:
    """Whether the kernel skips postings in a segment of `rows` passages (when the question allows)."""
    return backend == "skipping" or (backend != "numpy" and rows >= SKIPPING_MIN_ROWS)


def warm() -> bool:
    """Whether the kernels are loaded in this process."""
    return _WARM.is_set()


def mark_warm() -> None:
    _WARM.set()


def wait_warm(timeout: float | None = None) -> bool:
    """Until the kernels are loaded in this process (retrieval/settle.py); whether they are."""
    return _WARM.wait(timeout)


def candidates(part: ScoredSegment, tids: list[int], allowed: frozenset[str] | None, k: int, scratch: Scratch,
               skip: bool = False) -> Candidates:
    """The segment's k best rows, best first (exact scores, ties to the lower row), from the kernel:
    skipping postings (block_max.py) when every query term's IDF is positive and `skip`."""
    seg, offset, idf, parts, view, dead = part
    n = len(seg)
    term_idf = readonly(np.array([idf[t] for t in tids], dtype=np.float64))  # per query term, in query order
    query = readonly(np.array(tids, dtype=np.int64))
    # Skipping needs every contribution > 0 (else no bound holds), and a scope set's avgdl for its bounds.
    if skip and k > 0 and bool((term_idf > 0).all()) and (view is None or view.avgdl > 0):
        return _skipping(part, query, term_idf, allowed, k, scratch)
    key = f"c{offset}"
    # touched: one slot more than rows, the kernel writes a row's slot before knowing it is new
    acc, seen, touched = scratch.get(key, n, lambda size: (np.zeros(size), np.zeros(size, dtype=np.uint8),
                                                          np.zeros(size + 1, dtype=np.int64)))
    table = _NO_FLAGS if allowed is None else readonly(scope_table(seg, allowed))
    out_rows, out_scores = np.empty(k, dtype=np.int64), np.empty(k)
    try:
        m = kernels().top_k(seg.indptr, seg.postings, seg.codes, parts, term_idf, query, acc, seen, touched,
                            _NO_FLAGS if dead is None else dead, seg.scope_ids, table, k, out_rows, out_scores)
    except BaseException:
        scratch.drop(key)  # never reuse a scratch the kernel may have left half-cleared
        raise
    return (out_rows[:m] + offset if offset else out_rows[:m]), out_scores[:m], True


def _skipping(part: ScoredSegment, query: np.ndarray, term_idf: np.ndarray, allowed: frozenset[str] | None, k: int,
              scratch: Scratch) -> Candidates:
    """candidates() by block-max MaxScore: the same rows and floats, most postings never read. Block bounds
    from the parts' block maxima (`part_maxima`); within scopes (parts made per scope set) from each
    block's largest tf and shortest length."""
    seg, offset, _, parts, view, dead = part
    module = block_max()
    block_ptr, last, max_tf, min_len = blocks_of(seg)
    exact = view is None
    max_part, scale = part_maxima(seg, parts) if exact else (_NO_FLOATS, 1.0)
    k1, b, avgdl = (view.k1, view.b, view.avgdl) if view is not None else (0.0, 0.0, 1.0)  # unread when exact
    table_allowed = _NO_FLAGS if allowed is None else readonly(scope_table(seg, allowed))
    out_rows, out_scores = np.empty(k, dtype=np.int64), np.empty(k)
    kernel = maxscore()
    key = "window"  # per thread, shared by the segments: the kernel leaves it clean
    work = scratch.get(key, kernel.WINDOW, kernel.window_scratch)
    try:
        m = kernel.top_k_skipping(exact, seg.indptr, seg.postings, seg.codes, parts, k1, b, avgdl, term_idf, query,
                                  block_ptr, last, max_tf, min_len, max_part, scale, module.BLOCK,
                                  _NO_FLAGS if dead is None else dead, seg.scope_ids, table_allowed, k, *work, out_rows,
                                  out_scores)
    except BaseException:
        scratch.drop(key)  # never reuse work arrays the kernel may have left half-cleared
        raise
    return (out_rows[:m] + offset if offset else out_rows[:m]), out_scores[:m], True


def blocks_of(seg) -> tuple[np.ndarray, ...]:
    """The segment's posting blocks (block_max.build_blocks), made on first need and kept with it."""
    blocks = seg.skip_blocks
    if blocks is None:
        made = block_max().build_blocks(seg.indptr, seg.postings, seg.codes, seg.pair_tf, seg.pair_len,
                                        block_max().BLOCK)
        blocks = seg.skip_blocks = tuple(readonly(a) for a in made)
    return blocks


def part_maxima(seg, parts: np.ndarray) -> tuple[np.ndarray, float]:
    """Each block's largest tf part, and the factor that makes them bounds of `parts`. The maxima are taken
    once per segment (one pass over its codes: 0.1-0.2 s at 10M), at the first snapshot's parts; a later
    snapshot (its statistics moved with a change) scales them by the largest ratio of its parts to those,
    over the pair table: every part of a block is then <= maximum x factor, and no change pays a pass."""
    held = seg.skip_part_maxima
    if held is None:
        block_ptr = blocks_of(seg)[0]
        maxima = block_max().block_max_parts(seg.indptr, seg.codes, parts, block_ptr, block_max().BLOCK)
        held = seg.skip_part_maxima = (parts, readonly(maxima))
    reference, maxima = held
    if parts is reference:
        return maxima, 1.0
    if not len(parts) or not bool((reference > 0).all()):  # no ratio to take: the maxima of these parts
        seg.skip_part_maxima = None
        return part_maxima(seg, parts)
    return maxima, float((parts / reference).max()) * (1.0 + block_max().SLACK)
