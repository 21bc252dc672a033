"""The compiled path: when a segment is scored by the numba kernels (kernels.py), and the call into them.

Chosen by an explicit backend, given to BM25Index (and by Corpus from `Settings.scorer`):
"auto" compiles segments of COMPILED_MIN_ROWS passages or more (below, numpy is fast enough and numba's
import is not paid), "compiled" every segment (the tests compare both paths on small corpora), "numpy"
none. Either way the kernel is used only where it scores exactly (`kernel_safe`) and when numba is
installed; otherwise the numpy path (scoring.py) scores, with the same floats.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from .arrays import readonly
from .scoring import Candidates, LengthNorm, ScoredSegment, Scratch, scope_table

Backend = Literal["auto", "numpy", "compiled"]
BACKENDS: tuple[Backend, ...] = ("auto", "numpy", "compiled")
COMPILED_MIN_ROWS = 20_000
_NO_FLOATS, _NO_FLAGS = readonly(np.zeros(0)), readonly(np.zeros(0, dtype=bool))  # "no such array", for the kernel
_KERNELS = None


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


def kernel_safe(k1: float, b: float) -> bool:
    """The kernel counts a row as touched when its score leaves 0.0, so it needs every contribution of a
    positive-IDF term to be positive: tf + k1 x (1 - b + b x dl / avgdl) > 0, true for k1 >= 0 and
    0 <= b <= 1. Other values (rank-bm25 accepts them) are scored by the numpy path."""
    return math.isfinite(k1) and k1 >= 0 and 0 <= b <= 1


def compiles(backend: Backend, rows: int, safe: bool) -> bool:
    """Whether a segment of `rows` passages is scored by the kernel (numba imported only then)."""
    if backend == "numpy" or not safe or (backend == "auto" and rows < COMPILED_MIN_ROWS):
        return False
    return kernels() is not None


def candidates(part: ScoredSegment, tids: list[int], allowed: frozenset[str] | None, k: int, k1_plus_1: float,
               scratch: Scratch) -> Candidates:
    """The segment's k best rows, best first (exact scores, ties to the lower row), from the kernel."""
    seg, offset, idf, weights, norm, dead = part
    n = len(seg)
    key = f"c{offset}"
    # touched: one slot more than rows, the kernel writes a row's slot before knowing it is new
    acc, seen, touched = scratch.get(key, n, lambda size: (np.zeros(size), np.zeros(size, dtype=np.uint8),
                                                          np.zeros(size + 1, dtype=np.int64)))
    table = _NO_FLAGS if allowed is None else readonly(scope_table(seg, allowed))
    out_rows, out_scores = np.empty(k, dtype=np.int64), np.empty(k)
    query = readonly(np.array(tids, dtype=np.int64))
    dead = _NO_FLAGS if dead is None else dead
    try:
        if isinstance(norm, LengthNorm):  # within scopes: their IDFs per query term, lengths per row
            view = norm.view
            term_idf = readonly(np.array([idf[t] for t in tids], dtype=np.float64))
            m = kernels().top_k_scoped(seg.indptr, seg.postings, seg.tfs, seg.doc_len, view.length_norms, view.k1,
                                       view.b, view.avgdl, term_idf, query, acc, seen, touched, dead, seg.scope_ids,
                                       table, k, out_rows, out_scores)
        else:
            m = kernels().top_k(seg.indptr, seg.postings, _NO_FLOATS if weights is None else weights, seg.tfs,
                                _NO_FLOATS if norm is None else norm, idf, k1_plus_1, query, acc, seen, touched,
                                dead, seg.scope_ids, table, k, out_rows, out_scores)
    except BaseException:
        scratch.drop(key)  # never reuse a scratch the kernel may have left half-cleared
        raise
    return (out_rows[:m] + offset if offset else out_rows[:m]), out_scores[:m], True
