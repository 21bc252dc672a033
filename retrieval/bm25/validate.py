"""What a loaded index must satisfy before it is scored from.

A checksum says the bytes are the ones written (by whoever wrote the header too); these checks say the
scorers can use them without reading out of bounds: the compiled kernel does no bounds checks, so a row id
past the end would be a write into another array, not an IndexError. Vectorised, a chunk at a time
(bounded temporaries), about 50 ms at 1M passages, and run at every load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .strings import Strings

if TYPE_CHECKING:
    from .segment import Segment

CHECK_CHUNK = 1 << 22  # elements per step: bounds the temporaries (16 MB at 1M rows)


class CorruptIndex(ValueError):
    """A saved index whose files fail their checksums or whose contents are out of range: it is never
    scored from; the caller rebuilds from the store (a ValueError, as every other unusable index is)."""


def non_decreasing(a: np.ndarray) -> bool:
    """a[i] <= a[i + 1] throughout, a chunk at a time (no array-sized temporary)."""
    for lo in range(0, max(0, len(a) - 1), CHECK_CHUNK):
        hi = min(len(a) - 1, lo + CHECK_CHUNK)
        if not np.all(a[lo:hi] <= a[lo + 1 : hi + 1]):
            return False
    return True


def in_range(a: np.ndarray, lo: int, hi: int) -> bool:
    """lo <= every element < hi (True for an empty array)."""
    return not len(a) or (int(a.min()) >= lo and int(a.max()) < hi)


def rows_ascending(postings: np.ndarray, indptr: np.ndarray) -> bool:
    """Within each term (indptr's slices), row ids strictly ascending; a chunk at a time."""
    n = len(postings)
    starts = indptr[1:-1]  # where a term's postings begin: the one place a row id may go down
    for lo in range(0, max(0, n - 1), CHECK_CHUNK):
        hi = min(n - 1, lo + CHECK_CHUNK)
        ok = postings[lo + 1 : hi + 1] > postings[lo:hi]
        a, z = np.searchsorted(starts, lo + 1), np.searchsorted(starts, hi, side="right")
        ok[starts[a:z] - 1 - lo] = True
        if not ok.all():
            return False
    return True


def check_strings(strings: Strings) -> None:
    """Offsets from 0 to the blob's end, never decreasing, each at a character's start, and the blob
    valid UTF-8: every id decodes (a bad one would fail a question, not the load)."""
    off, blob = strings.offsets, strings.blob
    if len(off) < 1 or off[0] != 0 or off[-1] != len(blob) or not non_decreasing(off):
        raise CorruptIndex("passage id offsets out of range")
    starts = off[:-1][off[:-1] < off[1:]]
    if len(starts) and np.any((blob[starts] & 0xC0) == 0x80):
        raise CorruptIndex("a passage id offset splits a character")
    try:
        memoryview(blob).tobytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptIndex(f"passage ids are not UTF-8 ({exc.reason} at byte {exc.start})") from None


def check_segment(seg: "Segment", release: Callable[[np.ndarray], None] | None = None) -> None:
    """CorruptIndex unless every id and offset the scorers index with is in range, as `Segment.build`
    makes them. Bounds and order only (whether the pair table matches the passage lengths is not checked:
    checksums catch accidents, and no mismatch reads out of bounds). release(array): called once an array's
    checks are done (files.py drops a memory-mapped array's pages then: the peak is one array, not all)."""
    release = release or (lambda array: None)
    n, n_terms, n_post = len(seg), len(seg.vocab), len(seg.postings)
    if isinstance(seg.passage_ids, Strings):
        check_strings(seg.passage_ids)
    indptr, postings, df = seg.indptr, seg.postings, seg.df
    # CSR by term: offsets from 0 to the postings' end, each term's rows distinct and ascending in
    # [0, n). Distinct matters to the kernel: its touched list has one slot per row.
    if len(indptr) != n_terms + 1 or indptr[0] != 0 or indptr[-1] != n_post or (len(df) and df.min() < 0):
        raise CorruptIndex("term offsets (indptr) out of range")
    if len(seg.codes) != n_post:
        raise CorruptIndex("postings and pair codes differ in length")
    if not in_range(postings, 0, n):
        raise CorruptIndex("a posting's row id is out of range")
    if not rows_ascending(postings, indptr):
        raise CorruptIndex("a term's row ids are not strictly ascending")
    release(postings)
    # Per row: lengths and scopes.
    if len(seg.doc_len) != n or not in_range(seg.doc_len, 0, 1 << 31):
        raise CorruptIndex("passage lengths out of range")
    if len(seg.scope_ids) != n or not in_range(seg.scope_ids, 0, len(seg.scopes)):
        raise CorruptIndex("a scope id is out of range")
    # Scores: every IDF a number; every pair code in the table, whose tfs are >= 1 and lengths >= 0, so a
    # term of positive IDF has only positive contributions (the kernel takes a row's 0.0 for "not
    # touched yet" on such terms).
    if len(seg.idf) != n_terms or not np.all(np.isfinite(seg.idf)):
        raise CorruptIndex("IDF values out of range")
    n_pairs = len(seg.pair_tf)
    if len(seg.pair_len) != n_pairs or not in_range(seg.pair_tf, 1, 1 << 31) or not in_range(seg.pair_len, 0, 1 << 31):
        raise CorruptIndex("the (tf, length) pair table is out of range")
    if not in_range(seg.codes, 0, n_pairs):
        raise CorruptIndex("a posting's pair code is out of range")
    release(seg.codes)
    # Per-scope statistics (scoped questions' IDFs): in range and adding up to the postings' df.
    problem = seg.scope_counts.problem(n_terms, df)
    if problem:
        raise CorruptIndex(problem)
