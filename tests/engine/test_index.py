"""BM25 scores equal rank_bm25.BM25Okapi's on the same tokens; persistence and staleness."""

from __future__ import annotations

import mmap
import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.bm25 import BM25Index
from retrieval.text.tokenize import tokenize


def _zipf_corpus(seed: int, docs: int, vocab: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1 / (i + 1) for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(1, 60)) for _ in range(docs)]


def _is_mapped(array: np.ndarray) -> bool:
    """Backed by a memory-mapped file, not a copy in memory."""
    while array is not None and not isinstance(array, mmap.mmap):
        array = getattr(array, "base", None)
    return isinstance(array, mmap.mmap)


def _build(token_lists, **kw) -> BM25Index:
    return BM25Index.build(((f"p{i}", "", t) for i, t in enumerate(token_lists)), **kw)


@pytest.mark.parametrize("k1,b", [(1.5, 0.75), (0.9, 0.4), (1.2, 1.0)])
def test_scores_equal_rank_bm25(k1, b):
    corpus = _zipf_corpus(7, 2000, 3000)
    oracle = BM25Okapi(corpus, k1=k1, b=b)
    index = _build(corpus, k1=k1, b=b)
    rng = random.Random(1)
    queries = [rng.sample([w for d in corpus[:50] for w in d] + ["unseen"], rng.randint(1, 6)) for _ in range(200)]
    worst = 0.0
    for q in queries:
        expected = oracle.get_scores(q)
        worst = max(worst, float(np.max(np.abs(index.scores(q) - expected))))
        top = index.top(q, 10)
        for hit in top:
            assert abs(hit.score - expected[hit.row]) < 1e-6
        # The same top-10 scores as the oracle's, in order (rows may swap only on exact ties).
        matching = [i for i in range(len(corpus)) if any(t in corpus[i] for t in q)]
        best = sorted((expected[i] for i in matching), reverse=True)[:10]
        assert np.allclose([h.score for h in top], best, atol=1e-9)
    assert worst < 1e-6


def test_negative_and_zero_idf_follow_rank_bm25():
    # "common" is in 3 of 4 passages (negative IDF -> epsilon x mean), "half" in 2 of 4 (IDF exactly 0).
    corpus = [["common", "half", "x"], ["common", "half"], ["common", "y"], ["z"]]
    oracle = BM25Okapi(corpus)
    index = _build(corpus)
    for term in ("common", "half", "x", "z"):
        assert index.term_idf(term) == pytest.approx(oracle.idf[term])
    assert np.allclose(index.scores(["common", "x"]), oracle.get_scores(["common", "x"]))


def test_seed_corpus_parity_and_right_passage_first(corpus):
    rows = list(corpus.store.iter_index_rows())
    token_lists = [t.split() + tokenize(title) + tokenize(heading or "") for _, _, t, title, heading in rows]
    s = corpus.settings
    oracle = BM25Okapi(token_lists, k1=s.k1, b=s.b, epsilon=s.epsilon)
    q = tokenize("when did Cuba recognize South Korea?")
    expected = oracle.get_scores(q)
    got = corpus.searcher.index.scores(q)
    assert np.max(np.abs(got - expected)) < 1e-9
    best = corpus.search("when did Cuba recognize South Korea?", k=1)[0]
    assert "recognized South Korea in 1949" in best.text


def test_save_load_roundtrip_is_memory_mapped(tmp_path):
    corpus = _zipf_corpus(3, 300, 500)
    index = _build(corpus, header={"generation": 5})
    index.save(tmp_path / "ix")
    loaded = BM25Index.load(tmp_path / "ix")
    assert _is_mapped(loaded.base.postings) and _is_mapped(loaded.base.codes)
    assert loaded.header["generation"] == 5
    q = ["w1", "w7", "w42"]
    assert np.array_equal(loaded.scores(q), index.scores(q))
    assert [(h.row, h.score) for h in loaded.top(q, 5)] == [(h.row, h.score) for h in index.top(q, 5)]


def test_stale_index_is_rebuilt(settings):
    c = Corpus(settings)
    generation = c.store.generation
    c.close()
    header_file = settings.db_path.with_name(settings.db_path.name + ".index") / "header.json"
    header = header_file.read_text()
    assert f'"generation": {generation}' in header
    # Pretend the tokenizer changed since the index was written: it must not be trusted.
    header_file.write_text(header.replace('"tokenizer": "', '"tokenizer": "old-'))
    c = Corpus(settings)
    assert c.searcher.index.header["tokenizer"] != "old-"
    assert "old-" not in header_file.read_text()
    assert c.ask("when did Cuba recognize South Korea?").short_answer == "1949"
    c.close()


def test_crash_between_database_and_index_write_is_detected(settings, docs_dir):
    c = Corpus(settings)
    c.close()
    # A write lands in the database, then the process dies before the index is saved.
    from retrieval.ingest import ingest_paths
    from retrieval.store import Store

    store = Store(settings.db_path)
    ingest_paths(store, [docs_dir / "volcano.txt"], settings)
    store.close()
    c = Corpus(settings)
    hits = c.search("Etna volcano Sicily")
    assert hits and hits[0].doc_id == "volcano"
    c.close()


def test_scopes_filter_hits():
    index = BM25Index.build([("a", "", ["x"]), ("b", "g1", ["x"]), ("c", "g2", ["x", "x"])])
    assert {index.passage_ids[h.row] for h in index.top(["x"], 10, ["", "g1"])} == {"a", "b"}
    assert {index.passage_ids[h.row] for h in index.top(["x"], 10)} == {"a", "b", "c"}
    assert index.top(["x"], 10, ["nobody"]) == []


def test_settings_k1_b_change_rebuilds(settings):
    Corpus(settings).close()
    c = Corpus(settings.with_(k1=0.9, b=0.4))
    assert c.searcher.index.k1 == 0.9 and c.searcher.index.b == 0.4
    c.close()


@pytest.mark.parametrize("block", [97, 1000])
def test_blocked_scoring_gives_the_same_top_k(monkeypatch, block):
    """Rows are scored a block at a time (cache-sized accumulator); any block size, the same top k,
    with scopes and deletions, as one block over every row."""
    from retrieval.bm25 import scoring

    corpus = _zipf_corpus(11, 2000, 800)
    index = BM25Index.build((f"d{i // 3}#{i % 3}", f"g{i % 3}", t) for i, t in enumerate(corpus))
    changed = index.with_changes(remove_docs=[f"d{i}" for i in range(0, 600, 7)],
                                 add=[("new#0", "g1", ["w1", "w2", "w3"])])
    rng = random.Random(2)
    queries = [rng.sample([f"w{i}" for i in range(60)], rng.randint(1, 6)) for _ in range(100)]
    cases = [(ix, q, scopes) for ix in (index, changed) for q in queries for scopes in (None, ["g1", "g2"])]
    whole = [[(h.row, h.score) for h in ix.top(q, 10, scopes)] for ix, q, scopes in cases]
    monkeypatch.setattr(scoring, "BLOCK_ROWS", block)
    for (ix, q, scopes), expected in zip(cases, whole):
        got = [(h.row, h.score) for h in ix.top(q, 10, scopes)]
        assert [r for r, _ in got] == [r for r, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=0, atol=1e-12)
