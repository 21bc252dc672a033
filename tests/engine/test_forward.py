"""A segment keeps no forward index: a row's terms (for deletions, and to rebuild the delta) are found
from the postings (Segment.forward), and must be exactly what the row was built from."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from retrieval.bm25 import BM25Index


def _docs(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    return [[vocab[min(int(rng.paretovariate(1.0)), 399)] for _ in range(rng.randint(0, 40))] for _ in range(n)]


def test_forward_gives_each_rows_terms_and_frequencies_from_the_postings() -> None:
    docs = _docs(1, 2_000)
    seg = BM25Index.build([(f"d{i}#0", "s", d) for i, d in enumerate(docs)]).base
    terms = seg.terms()
    rows = np.array(sorted(random.Random(2).sample(range(len(docs)), 300) + [0, len(docs) - 1]))
    rows = np.unique(rows)
    ptr, tids, codes = seg.forward(rows)
    assert len(ptr) == len(rows) + 1 and ptr[-1] == len(tids) == len(codes)
    for i, row in enumerate(rows.tolist()):
        lo, hi = ptr[i], ptr[i + 1]
        assert np.all(np.diff(tids[lo:hi]) > 0)  # each term once, ascending
        got = {terms[t]: int(seg.pair_tf[c]) for t, c in zip(tids[lo:hi].tolist(), codes[lo:hi].tolist())}
        assert got == dict(Counter(docs[row]))
        assert all(seg.pair_len[c] == len(docs[row]) for c in codes[lo:hi].tolist())


def test_no_rows_no_entries_and_bags_round_trip() -> None:
    docs = _docs(3, 500)
    seg = BM25Index.build([(f"d{i}#0", f"s{i % 3}", d) for i, d in enumerate(docs)]).base
    ptr, tids, codes = seg.forward(np.zeros(0, dtype=np.int64))
    assert list(ptr) == [0] and len(tids) == len(codes) == 0
    for pid, scope, bag in seg.bags([4, 9, 77]):
        row = int(pid[1:].split("#")[0])
        assert scope == f"s{row % 3}" and Counter(bag) == Counter(docs[row])


def test_deleting_rows_takes_their_terms_away_as_rank_bm25_over_the_rest() -> None:
    from rank_bm25 import BM25Okapi

    docs = _docs(5, 800)
    index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)], k1=1.5, b=0.75, epsilon=0.25)
    gone = set(range(0, 800, 7))
    changed = index.with_changes(remove_docs=[f"d{i}" for i in sorted(gone)])
    kept = [d for i, d in enumerate(docs) if i not in gone]
    oracle = BM25Okapi(kept, k1=1.5, b=0.75, epsilon=0.25)
    live = changed.live_rows()
    for q in (["w1"], ["w0", "w3"], ["w17", "w2", "w250"]):
        assert changed.doc_freq(q[-1]) == sum(q[-1] in d for d in kept)
        assert np.array_equal(changed.scores(q)[live], oracle.get_scores(q))


def test_a_change_that_deletes_nothing_more_reads_the_postings_no_more(monkeypatch) -> None:
    docs = _docs(7, 600)
    index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)])
    seg = index.base
    scans: list[int] = []
    scan = seg._forward
    monkeypatch.setattr(seg, "_forward", lambda rows: scans.append(len(rows)) or scan(rows))
    deleted = index.with_changes(remove_docs=["d3", "d9"])
    added = deleted.with_changes(add=[("new#0", "", ["w1", "w2"])])  # the same deleted rows: no new pass
    more = added.with_changes(remove_docs=["d11"])
    assert scans == [2, 3]
    assert added.doc_freq("w1") == deleted.doc_freq("w1") + 1
    assert more.doc_freq("w1") == sum("w1" in d for i, d in enumerate(docs) if i not in (3, 9, 11)) + 1


def test_the_compiled_pass_finds_what_numpys_finds(monkeypatch) -> None:
    # With the kernels loaded (a segment they serve), forward scans the postings compiled; before, numpy.
    import threading

    import pytest

    from retrieval.bm25 import compiled

    if compiled.kernels() is None:
        pytest.skip("numba not installed")
    docs = _docs(7, 3_000)
    rows_in = [(f"d{i}#0", f"s{i % 2}", d) for i, d in enumerate(docs)]
    rows = np.unique(np.array(random.Random(8).sample(range(len(docs)), 250)))
    monkeypatch.setattr(compiled, "_WARM", threading.Event())  # as in a process that has not loaded them
    by_numpy = BM25Index.build(rows_in).base.forward(rows)
    index = BM25Index.build(rows_in).using("compiled")
    index.warm_up()
    assert compiled.warm()
    by_kernel = index.base.forward(rows)
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(by_numpy, by_kernel))
    # a removal's pass loads nothing new: warm_up loaded it for the postings' type
    index.with_changes(remove_docs=["d5", "d6"])
    assert len(compiled.kernels().postings_of_rows.signatures) == 1


def test_the_compiled_pass_never_writes_past_its_output() -> None:
    # The output is sized by the rows' lengths; a crafted segment whose lengths say less gets -1 (and
    # numpy's pass), never a write past the end (numba checks no bounds).
    import pytest

    from retrieval.bm25 import compiled

    if compiled.kernels() is None:
        pytest.skip("numba not installed")
    postings = np.array([0, 1, 2, 1, 2, 1], dtype=np.int32)
    postings.setflags(write=False)  # as a segment holds them: the same specialisation
    mask = np.array([False, True, False])
    buffer = np.full(4, -7, dtype=np.int64)
    assert compiled.kernels().postings_of_rows(postings, mask, buffer[:3]) == 3
    assert list(buffer) == [1, 3, 5, -7]
    buffer[:] = -7
    assert compiled.kernels().postings_of_rows(postings, mask, buffer[:2]) == -1
    assert buffer[2] == -7 and buffer[3] == -7


def test_lengths_that_overstate_the_postings_cost_no_more_than_the_postings() -> None:
    # A crafted segment's lengths (up to 2^31 each) must not size the compiled pass's output past the
    # postings: it would ask for terabytes.
    import pytest

    from retrieval.bm25 import compiled
    from retrieval.bm25.arrays import readonly

    if compiled.kernels() is None:
        pytest.skip("numba not installed")
    docs = _docs(9, 500)
    rows_in = [(f"d{i}#0", "s", d) for i, d in enumerate(docs)]
    expected = BM25Index.build(rows_in).base.forward(np.arange(0, 500, 3))
    index = BM25Index.build(rows_in).using("compiled")
    index.warm_up()
    seg = index.base
    seg.doc_len = readonly(np.full(len(seg), (1 << 31) - 1, dtype=np.int32))
    got = seg.forward(np.arange(0, 500, 3))
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
