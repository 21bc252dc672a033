"""A posting's (tf, passage length) pair code (retrieval/bm25/pairs.py): what it encodes, and that idf x the
pair's part is rank-bm25's float."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25Index, pairs
from retrieval.bm25.formula import length_norm, term_score, tf_part


def _postings(rng: np.random.Generator, n_rows: int, n_postings: int, top_tf: int, top_len: int):
    doc_len = rng.integers(0, top_len + 1, n_rows).astype(np.int32)
    postings = rng.integers(0, n_rows, n_postings).astype(np.int32)
    tfs = rng.integers(1, top_tf + 1, n_postings).astype(np.int32)
    return tfs, postings, doc_len


@pytest.mark.parametrize("top_tf,top_len", [(3, 40), (60, 900), (5_000, 5_000)])  # the last: sorted, not dense
def test_each_code_names_its_postings_tf_and_passage_length(top_tf: int, top_len: int) -> None:
    tfs, postings, doc_len = _postings(np.random.default_rng(top_tf), 500, 20_000, top_tf, top_len)
    codes, pair_tf, pair_len = pairs.encode(tfs, postings, doc_len)
    assert codes.dtype == np.uint16 and len(codes) == len(tfs)
    assert np.array_equal(pair_tf[codes], tfs) and np.array_equal(pair_len[codes], doc_len[postings])
    keys = pair_tf.astype(np.int64) << 32 | pair_len
    assert np.all(np.diff(keys) > 0)  # each pair once, sorted by tf then length
    assert len(keys) == len(np.unique(tfs.astype(np.int64) << 32 | doc_len[postings]))


def test_more_than_65536_pairs_take_4_byte_codes() -> None:
    tfs = np.repeat(np.arange(1, 301, dtype=np.int32), 300)
    doc_len = np.arange(300, 600, dtype=np.int32)
    postings = np.tile(np.arange(300, dtype=np.int32), 300)
    codes, pair_tf, pair_len = pairs.encode(tfs, postings, doc_len)
    assert codes.dtype == np.uint32 and len(pair_tf) == 90_000
    assert np.array_equal(pair_tf[codes], tfs) and np.array_equal(pair_len[codes], doc_len[postings])


def test_no_postings_no_pairs() -> None:
    codes, pair_tf, pair_len = pairs.encode(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32))
    assert len(codes) == len(pair_tf) == len(pair_len) == 0


def test_idf_times_a_pairs_part_is_term_score_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    tf = rng.integers(1, 40, 10_000).astype(np.float64)
    norm = length_norm(rng.integers(0, 700, 10_000), 1.2, 0.75, 37.3)
    idf = rng.uniform(-2, 12, 10_000)
    assert np.array_equal(idf * tf_part(tf, 2.2, norm), term_score(idf, tf, 2.2, norm))


def test_a_snapshot_scores_with_its_pairs_parts_as_rank_bm25_does() -> None:
    rng = np.random.default_rng(9)
    vocab = [f"w{i}" for i in range(80)]
    docs = [[vocab[int(x)] for x in rng.zipf(1.4, int(rng.integers(1, 60))) % 80] for _ in range(300)]
    index = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)], k1=1.3, b=0.6, epsilon=0.25)
    seg = index.base
    assert len(seg.pair_tf) < len(seg.postings) // 4  # far fewer pairs than postings
    oracle = BM25Okapi(docs, k1=1.3, b=0.6, epsilon=0.25)
    for q in (["w1"], ["w3", "w1", "w3"], ["w0", "w70", "w2"]):
        assert np.array_equal(index.using("numpy").scores(q), oracle.get_scores(q))
