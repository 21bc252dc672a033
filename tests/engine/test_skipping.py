"""The skipping scorer (block-max MaxScore, block_max.py) returns exactly the exhaustive kernel's top k:
the same rows and the same floats, so rank-bm25's scores, with deletions, a delta, scopes, and terms whose
IDF is zero or negative (those questions are scored exhaustively)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25Index
from retrieval.bm25.compiled import block_max, blocks_of, kernels, part_maxima

pytestmark = pytest.mark.skipif(kernels() is None, reason="numba not installed")


def zipf_corpus(seed: int, n: int, vocab: int = 3000) -> list[list[str]]:
    """Passages of 3-60 tokens drawn from a Zipf-like vocabulary: a few terms are in most passages."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 1.05 for i in range(vocab)]
    words = [f"w{i}" for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(3, 60)) for _ in range(n)]


def questions(seed: int, n: int, vocab: int = 3000) -> list[list[str]]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 0.8 for i in range(vocab + 50)]
    words = [f"w{i}" for i in range(vocab + 50)]  # a few words no passage has
    return [rng.choices(words, weights, k=rng.randint(1, 14)) for _ in range(n)]


def ranked(index: BM25Index, q: list[str], k: int, scopes=None) -> list[tuple[int, float]]:
    return [(r.row, r.score) for r in index.top(q, k, scopes)]


@pytest.fixture(scope="module")
def big() -> tuple[list[list[str]], BM25Index]:
    docs = zipf_corpus(7, 25_000)
    rows = [(f"d{i // 2}#{i % 2}", f"s{i % 3}", d) for i, d in enumerate(docs)]
    return docs, BM25Index.build(rows, k1=1.5, b=0.75, epsilon=0.25)


def test_the_same_top_k_as_every_posting_scored_on_thousands_of_questions(big) -> None:
    _, index = big
    skipping, exhaustive = index.using("skipping"), index.using("compiled")
    asked = questions(11, 3000)
    differ = [q for q in asked if ranked(skipping, q, 10) != ranked(exhaustive, q, 10)]
    assert not differ, differ[:3]
    for q in asked[:300]:
        for k in (1, 3, 50):
            assert ranked(skipping, q, k) == ranked(exhaustive, q, k), (q, k)


def test_the_same_top_k_within_scopes_at_their_own_statistics(big) -> None:
    _, index = big
    skipping, exhaustive = index.using("skipping"), index.using("compiled")
    for q in questions(12, 1000):
        for scopes in (["s0"], ["s0", "s2"]):
            assert ranked(skipping, q, 10, scopes) == ranked(exhaustive, q, 10, scopes), (q, scopes)


def test_the_same_top_k_after_adds_and_deletes(big) -> None:
    docs, index = big
    extra = zipf_corpus(8, 700)
    changed = index.with_changes(remove_docs=[f"d{i}" for i in range(0, 12_500, 5)],
                                 add=[(f"n{i}#0", "s1", d) for i, d in enumerate(extra)])
    skipping, exhaustive = changed.using("skipping"), changed.using("compiled")
    index.using("skipping").top(["w1", "w2"], 10)  # the base's block maxima taken at the pristine parts
    maxima, scale = part_maxima(index.base, changed.live.parts_base)
    assert maxima is part_maxima(index.base, index.live.parts_base)[0] and scale != 1.0  # avgdl moved
    asked = questions(13, 1500)
    for q in asked:  # bounds: the pristine maxima x the largest ratio of the changed parts to those
        assert ranked(skipping, q, 10) == ranked(exhaustive, q, 10), q
    for q in asked[:300]:
        assert ranked(skipping, q, 10, ["s1"]) == ranked(exhaustive, q, 10, ["s1"]), q


def test_scores_are_rank_bm25s_with_zero_and_negative_idf_terms() -> None:
    """'a' is in every passage and 'b' in most: their IDF is negative before rank-bm25's floor. With
    epsilon 0 the floor is 0; with most of the vocabulary that common, the mean (and floor) is negative."""
    rng = random.Random(3)
    common = [["a"] + (["b"] if rng.random() < 0.8 else []) + rng.choices(["c", "d", "e", "f", "g", "h"], k=3)
              for _ in range(400)]
    for epsilon in (0.0, 0.25):
        index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(common)], epsilon=epsilon)
        oracle = BM25Okapi(common, epsilon=epsilon)
        assert min(index.base.idf) <= 0
        skipping = index.using("skipping")
        for q in (["a"], ["a", "c"], ["b", "h", "a"], ["c", "d"], ["h"], ["zz", "a"], ["g", "g", "e"]):
            expected = oracle.get_scores(q)
            got = ranked(skipping, q, 10)
            assert got == ranked(index.using("compiled"), q, 10), q
            assert all(score == expected[row] for row, score in got), q


def test_scores_equal_rank_bm25s_floats_on_the_skipping_path(big) -> None:
    docs, index = big
    oracle = BM25Okapi(docs, k1=1.5, b=0.75, epsilon=0.25)
    skipping = index.using("skipping")
    for q in questions(14, 40):
        expected = oracle.get_scores(q)
        got = ranked(skipping, q, 10)
        assert got, q
        assert max(abs(score - expected[row]) for row, score in got) == 0.0, q
        best = sorted(range(len(docs)), key=lambda r: (-expected[r], r))[:10]
        assert [row for row, _ in got] == [r for r in best if expected[r] > 0][: len(got)], q


def test_blocks_hold_each_blocks_last_row_largest_tf_and_shortest_passage(big) -> None:
    _, index = big
    seg = index.base
    block_ptr, last, max_tf, min_len = blocks_of(seg)
    size = block_max().BLOCK
    for tid in (0, 1, 5, 100, len(seg.vocab) - 1):
        lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
        starts = list(range(lo, hi, size))
        assert block_ptr[tid + 1] - block_ptr[tid] == len(starts)
        for bk, start in zip(range(block_ptr[tid], block_ptr[tid + 1]), starts):
            rows, codes = seg.postings[start : min(start + size, hi)], seg.codes[start : min(start + size, hi)]
            assert last[bk] == rows[-1] and max_tf[bk] == seg.pair_tf[codes].max()
            assert min_len[bk] == seg.doc_len[rows].min()
    parts = index.live.parts_base
    maxima = block_max().block_max_parts(seg.indptr, seg.codes, parts, block_ptr, size)
    tid = 0
    lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
    assert list(maxima[block_ptr[tid] : block_ptr[tid + 1]]) == [parts[seg.codes[a : min(a + size, hi)]].max()
                                                                 for a in range(lo, hi, size)]


def test_lowest_bit_and_seek_helpers() -> None:
    module = block_max()
    for bit in range(64):
        word = np.uint64(1) << np.uint64(bit)
        assert module._lowest_bit(word) == bit
        assert module._lowest_bit(word | (np.uint64(1) << np.uint64(63))) == bit
    postings = np.array([2, 3, 5, 8, 13, 21, 34, 55, 89, 144] * 1 + list(range(200, 260)), dtype=np.int32)
    for row in range(0, 270):
        expected = int(np.searchsorted(postings, row, side="left"))
        assert module._seek(postings, 0, len(postings), row) == expected


def test_auto_and_compiled_skip_only_in_segments_big_enough(monkeypatch, big) -> None:
    from retrieval.bm25 import compiled

    assert not compiled.skips("auto", compiled.SKIPPING_MIN_ROWS - 1)
    assert compiled.skips("auto", compiled.SKIPPING_MIN_ROWS) and compiled.skips("compiled", compiled.SKIPPING_MIN_ROWS)
    assert compiled.skips("skipping", 1) and not compiled.skips("numpy", 10**9)
    _, index = big
    monkeypatch.setattr(compiled, "SKIPPING_MIN_ROWS", len(index.base))
    calls = []
    kernel = compiled.maxscore().top_k_skipping
    monkeypatch.setattr(compiled.maxscore(), "top_k_skipping", lambda *a: calls.append(1) or kernel(*a))
    for q in questions(15, 200):
        assert ranked(index.using("compiled"), q, 10) == ranked(index.using("numpy"), q, 10), q
    assert calls


def test_the_work_arrays_kept_between_questions_are_left_clean(big) -> None:
    _, index = big
    skipping = index.using("skipping")
    for q in questions(16, 300):
        skipping.top(q, 10, ["s0", "s1"] if len(q) % 2 else None)
    acc, bits, _, _, _, slot = skipping.scratch.held("window")
    assert not acc.any() and not bits.any() and (slot == -1).all()
