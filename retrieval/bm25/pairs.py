"""A posting's (term frequency, passage length) pair, stored as a small code instead of a float weight.

A posting's BM25 contribution is its term's IDF times formula.tf_part(tf, length part of the passage), and
that part depends on the pair (tf, passage length) only. A segment holds few distinct pairs (thousands, for
millions of postings), so each posting keeps a 2-byte code into the segment's pair table, and a snapshot
computes the table's parts at its own statistics: a few thousand divisions, not one per posting. The
contribution idf x parts[code] is the same float as rank-bm25's idf x (tf x (k1 + 1) / (tf + norm)), at any
statistics (after adds and deletes too), reading 2 bytes per posting where a precomputed weight took 8.
Hand-written: it is the index's own storage layout.
"""

from __future__ import annotations

import numpy as np

from .formula import length_norm, tf_part

DENSE_PAIRS = 1 << 22  # up to this many (tf, length) slots (16 MB of table), codes come from a dense table, unsorted
CHUNK = 1 << 22  # postings encoded at a time: bounds the temporaries


def encode(tfs: np.ndarray, postings: np.ndarray, doc_len: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per posting, its code; and per code, its tf and length (pairs sorted by tf, then length).
    tfs[i], postings[i]: posting i's term frequency and row; doc_len: each row's length. Codes are uint16
    when the segment has at most 65,536 pairs (always, for passages of ordinary length), else uint32."""
    n = len(tfs)
    if not n:
        return np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    top_tf, top_len = int(tfs.max()), int(doc_len.max())
    if (top_tf + 1) * (top_len + 1) <= DENSE_PAIRS:
        width = top_len + 1

        def slot(a: int) -> np.ndarray:  # the dense slot of postings a .. a + CHUNK
            return tfs[a : a + CHUNK].astype(np.int64) * width + doc_len[postings[a : a + CHUNK]]

        present = np.zeros((top_tf + 1) * width, dtype=bool)
        for a in range(0, n, CHUNK):
            present[slot(a)] = True
        slots = np.flatnonzero(present)
        code_of = np.cumsum(present, dtype=np.int32) - 1
        dtype = np.uint16 if len(slots) <= 1 << 16 else np.uint32
        codes = np.empty(n, dtype=dtype)
        for a in range(0, n, CHUNK):
            codes[a : a + CHUNK] = code_of[slot(a)]
        return codes, (slots // width).astype(np.int32), (slots % width).astype(np.int32)
    lengths = doc_len[postings].astype(np.int64)  # a hostile passage: sort instead
    keys = (tfs.astype(np.int64) << 32) | lengths
    slots, inverse = np.unique(keys, return_inverse=True)
    dtype = np.uint16 if len(slots) <= 1 << 16 else np.uint32
    return inverse.astype(dtype), (slots >> 32).astype(np.int32), (slots & 0xFFFFFFFF).astype(np.int32)


def parts(pair_tf: np.ndarray, pair_len: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
    """Each pair's tf part at these statistics (formula.tf_part of its tf and length part): posting p's
    contribution is then idf x parts[codes[p]], rank-bm25's float."""
    if not len(pair_tf) or not avgdl:
        return np.zeros(len(pair_tf))
    return tf_part(pair_tf.astype(np.float64), k1 + 1, length_norm(pair_len, k1, b, avgdl))
