"""BM25 Okapi as rank-bm25 computes it, written once: every scorer calls these.

The (tf, length) pairs' tf parts every scorer multiplies by a term's IDF (pairs.py), the skipping kernel's
block bounds (block_max.py compiles these very functions), the live statistics of a changed snapshot and
each scope set's own statistics all take a contribution, a passage's length part and a term's IDF from
here. Each expression keeps rank-bm25's order of operations, so every path gives rank-bm25's floats, not
merely its maths.
"""

from __future__ import annotations

import math

import numpy as np


def length_norm(doc_len, k1: float, b: float, avgdl: float):
    """A passage's length part, k1 x (1 - b + b x dl / avgdl) (an array of lengths or one length)."""
    return k1 * (1 - b + b * doc_len / avgdl)


def term_score(idf, tf, k1_plus_1: float, norm):
    """One query term's share of a passage's score: idf x tf x (k1 + 1) / (tf + length part).
    k1 + 1 is passed in, computed once per question rather than once per posting."""
    return idf * (tf * k1_plus_1 / (tf + norm))


def tf_part(tf, k1_plus_1: float, norm):
    """term_score without the IDF: term_score(idf, ...) == idf * tf_part(...), to the bit (the same
    expression, kept apart so pairs.py can compute it once per (tf, length) pair)."""
    return tf * k1_plus_1 / (tf + norm)


def okapi_idf(df, n, log=np.log):
    """rank-bm25's IDF before its floor, log(N - df + 0.5) - log(df + 0.5): negative for a term in more
    than half the passages. `log`: np.log for arrays, math.log for one term (rank-bm25's own, the same float)."""
    return log(n - df + 0.5) - log(df + 0.5)


def idf_floor(epsilon: float, average_idf: float) -> float:
    """What rank-bm25 gives a term whose IDF is negative: epsilon x the mean IDF of the vocabulary."""
    return epsilon * average_idf


def rank_bm25_idf(df: np.ndarray, n: int, epsilon: float) -> np.ndarray:
    """rank_bm25.BM25Okapi._calc_idf over a vocabulary's document frequencies, floor included."""
    if not len(df):
        return np.zeros(0)
    idf = okapi_idf(np.asarray(df, dtype=np.float64), n)
    average = float(np.cumsum(idf)[-1]) / len(idf)  # summed left to right, as rank-bm25 does (not pairwise)
    idf[idf < 0] = idf_floor(epsilon, average)
    return idf


def one_idf(df: int, n: int, epsilon: float, average_idf) -> float | None:
    """One term's rank-bm25 IDF among n passages (None when no passage has it: rank-bm25 adds nothing).
    average_idf: called only for a negative IDF (the mean costs a pass over the vocabulary)."""
    if not df:
        return None
    value = okapi_idf(df, n, math.log)
    return idf_floor(epsilon, average_idf()) if value < 0 else value
