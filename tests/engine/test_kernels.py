"""The compiled top-k kernel (numba) returns exactly what the numpy path and rank-bm25 give."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25Index
from retrieval.bm25.compiled import maxscore
from retrieval.bm25.compiled import kernels as _kernels

pytestmark = pytest.mark.skipif(_kernels() is None, reason="numba not installed")


def corpus(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(2000)]
    return [[vocab[min(int(rng.paretovariate(1.1)), 1999)] for _ in range(rng.randint(3, 50))] for _ in range(n)]


def queries(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[f"t{min(int(rng.paretovariate(0.9)), 2100)}" for _ in range(rng.randint(1, 8))] for _ in range(n)]


def top(index: BM25Index, q: list[str], k: int, scopes=None, compiled: bool = True) -> list[tuple[int, float]]:
    scored = index.using("compiled" if compiled else "numpy")  # every segment, whatever its size
    return [(r.row, r.score) for r in scored.top(q, k, scopes)]


def test_kernel_matches_numpy_and_rank_bm25_with_deletions_delta_and_scopes() -> None:
    docs = corpus(1, 3000)
    rows = [(f"d{i}#0", "g1" if i % 4 == 0 else "", d) for i, d in enumerate(docs)]
    base = BM25Index.build(rows, k1=1.2, b=0.75, epsilon=0.25)
    extra = corpus(2, 200)
    changed = base.with_changes(remove_docs=[f"d{i}" for i in range(0, 3000, 7)],
                                add=[(f"n{i}#0", "g1", d) for i, d in enumerate(extra)])
    for index in (base, changed):
        live = [r for r in range(index.n_rows) if not _is_dead(index, r)]
        for q in queries(3, 100):
            for k in (1, 10):
                for scopes in (None, ["g1"], ["", "g1"]):
                    assert top(index, q, k, scopes) == top(index, q, k, scopes, compiled=False), (q, k, scopes)
            dense = index.scores(q)
            got = top(index, q, 10)
            expected = sorted(((r, dense[r]) for r in live if _touches(index, r, q)), key=lambda x: (-x[1], x[0]))[:10]
            assert got == expected
    oracle = BM25Okapi(docs, k1=1.2, b=0.75, epsilon=0.25)
    for q in queries(4, 100):
        ref = oracle.get_scores(q)
        for row, score in top(base, q, 10):
            assert abs(ref[row] - score) < 1e-9


def _is_dead(index: BM25Index, row: int) -> bool:
    return index.deleted is not None and row in set(index.deleted.tolist())


def _touches(index: BM25Index, row: int, q: list[str]) -> bool:
    seg, local = (index.base, row) if row < len(index.base) else (index.delta, row - len(index.base))
    wanted = {seg.vocab[t] for t in q if t in seg.vocab}
    return any(local in set(seg.postings[seg.indptr[t] : seg.indptr[t + 1]].tolist()) for t in wanted)


def test_terms_with_zero_or_floored_idf_still_rank_their_rows() -> None:
    # "half" is in exactly half of the passages: rank-bm25's IDF is log(1) = 0.0, so its rows score 0.0 from
    # it and cannot be told apart from untouched rows by their accumulator alone; "all" has a negative IDF,
    # floored at epsilon x the mean. Both kernels' paths must list each touched row once, as numpy does.
    docs = [["half", "all", "x"], ["half", "all"], ["all", "y"], ["all", "z", "y"]]
    index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)], k1=1.2, b=0.75, epsilon=0.25)
    oracle = BM25Okapi(docs, k1=1.2, b=0.75, epsilon=0.25)
    assert oracle.idf["half"] == 0.0
    for q in (["half"], ["half", "x"], ["y", "half"], ["all"], ["half", "all", "z"]):
        got = top(index, q, 10)
        assert got == top(index, q, 10, compiled=False), q
        assert len({row for row, _ in got}) == len(got)
        ref = oracle.get_scores(q)
        assert all(abs(ref[row] - score) < 1e-12 for row, score in got), q


def test_one_compiled_specialization_serves_every_kind_of_snapshot(tmp_path) -> None:
    # numba compiles anew for each new combination of argument types (read-only or not is part of the type);
    # at 1M passages that took 1.9 s on the first question after a document was added.
    kernel = _kernels().top_k
    docs = corpus(5, 400)
    built = BM25Index.build([(f"d{i}#0", "g" if i % 2 else "", d) for i, d in enumerate(docs)], k1=1.2, b=0.75)
    built.save(tmp_path / "index")
    loaded = BM25Index.load(tmp_path / "index")  # memory-mapped, read-only
    changed = loaded.with_changes(remove_docs=["d3"], add=[("new#0", "g", ["t1", "t2", "t3"])])
    for index in (built, loaded, changed):
        for backend in ("compiled", "skipping"):
            index = index.using(backend)  # warm_up compiles only for segments the kernel serves
            index.warm_up()
            for scopes in (None, ["g"]):
                index.top(["t1", "t2", "t7"], 5, scopes)
    assert len(kernel.signatures) == 1
    assert len(maxscore().top_k_skipping.signatures) == 1


def test_warm_up_loads_the_kernels_without_work_arrays_of_the_segments_size() -> None:
    # Work arrays are per thread: the segment-sized ones a warm-up made (170 MB at 10M passages) died with
    # its thread, and after a change they stayed with the writing thread. An empty question loads the same
    # specialisations: the questions after it compile nothing more.
    docs = corpus(6, 400)
    index = BM25Index.build([(f"d{i}#0", "g" if i % 2 else "", d) for i, d in enumerate(docs)]).using("skipping")
    index.warm_up()
    assert index.scratch.held("c0") is None and index.scratch.held("window") is None
    assert index.base.skip_blocks is not None  # the skipping path's blocks are made by the warm-up
    loaded = (len(_kernels().top_k.signatures), len(maxscore().top_k_skipping.signatures))
    for scopes in (None, ["g"]):
        assert index.top(["t1", "t2", "t7"], 5, scopes)
        assert index.using("compiled").top(["t1", "t2", "t7"], 5, scopes)
    assert (len(_kernels().top_k.signatures), len(maxscore().top_k_skipping.signatures)) == loaded


def test_a_query_touching_every_row_stays_inside_its_scratch() -> None:
    # The kernel writes each posting's row into `touched` before it knows the row is new: with every row
    # touched, the next posting writes slot n. numba does not check bounds, so a guard word follows the
    # documented n + 1 slots and must come out unchanged, on both accumulation paths.
    docs = [["every", f"w{i % 7}", "half" if i % 2 else "other"] for i in range(400)]
    index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)], k1=1.2, b=0.75)
    seg = index.base
    n = len(seg)
    for terms in (["every", "w1", "w2"], ["w3", "every", "half", "other"]):
        tids = np.array([seg.vocab[t] for t in terms], dtype=np.int64)
        buffer = np.full(n + 2, -7, dtype=np.int64)
        out_rows, out_scores = np.empty(5, dtype=np.int64), np.empty(5)
        m = _kernels().top_k(seg.indptr, seg.postings, seg.codes, index.live.parts_base, index.live.idf_base[tids],
                             tids, np.zeros(n), np.zeros(n, dtype=np.uint8), buffer[: n + 1],
                             np.zeros(0, dtype=bool), seg.scope_ids, np.zeros(0, dtype=bool), 5, out_rows, out_scores)
        assert buffer[n + 1] == -7 and m == 5
        assert [(int(r), float(s)) for r, s in zip(out_rows, out_scores)] == top(index, terms, 5, compiled=False)
    index = index.using("compiled")
    index.top(["every"], 3)
    assert len(index.scratch.held("c0")[2]) == n + 1  # what the index allocates for the kernel


def test_until_the_kernel_is_loaded_in_the_background_numpy_answers_the_same(monkeypatch) -> None:
    """The first question after start need not wait for numba's import: "auto" scores with numpy until
    warm_up (in a thread, as the bot starts) has loaded the kernel, then with the kernel; same floats."""
    import threading

    from retrieval.bm25 import compiled

    monkeypatch.setattr(compiled, "COMPILED_MIN_ROWS", 100)
    monkeypatch.setattr(compiled, "_WARM", threading.Event())  # as in a fresh process
    docs = corpus(9, 600)
    index = BM25Index.build([(f"d{i}#0", "g" if i % 2 else "", d) for i, d in enumerate(docs)])
    assert not compiled.compiles(index.backend, len(index.base), True)
    asked = queries(10, 60)
    before = [[(r.row, r.score) for r in index.top(q, 10)] for q in asked]
    thread = index.warm_up(background=True)
    thread.join(timeout=120)
    assert compiled.warm() and compiled.compiles(index.backend, len(index.base), True)
    after = [[(r.row, r.score) for r in index.top(q, 10)] for q in asked]
    assert after == before and any(before)
