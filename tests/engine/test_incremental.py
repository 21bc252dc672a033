"""Incremental index updates: a delta segment plus deletions over an untouched base, scored exactly as
rank_bm25.BM25Okapi over the live passages; persisted, reloaded, merged; stale or half-written indexes
rebuilt. rank-bm25 runs in every parity test as the oracle. Real SQLite files in temp dirs."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval import index_keeper as keeper_module
from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.errors import CorpusBusy
from retrieval.bm25 import BM25Index
from retrieval.index_keeper import IndexKeeper
from retrieval.ingest import ingest_paths
from retrieval.store import Store
from retrieval.text.tokenize import tokenize

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu", "gra", "den", "mor", "lis", "tun"]


def _words(n: int) -> list[str]:
    rng = random.Random(0)
    out: list[str] = []
    while len(out) < n:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in out:
            out.append(w)
    return out


WORDS = _words(1500)
WEIGHTS = [1 / (i + 1) for i in range(len(WORDS))]


# ---------------------------------------------------------------------------------------------------
# index level: BM25Index.with_changes against the oracle
# ---------------------------------------------------------------------------------------------------
def _docs(rng: random.Random, prefix: str, n: int) -> dict[str, list[list[str]]]:
    return {f"{prefix}{j:05d}": [rng.choices(WORDS, WEIGHTS, k=rng.randint(1, 40)) for _ in range(rng.randint(1, 4))]
            for j in range(n)}


def _rows(docs: dict[str, list[list[str]]]) -> list[tuple[str, str, list[str]]]:
    return [(f"{d}#{i}", "g" + str(len(d) % 3), t) for d in sorted(docs) for i, t in enumerate(docs[d])]


def _queries(rng: random.Random, n: int) -> list[list[str]]:
    pool = WORDS[:300] + ["unseenterm"]
    return [rng.sample(pool, rng.randint(1, 5)) for _ in range(n)]


def assert_parity(index: BM25Index, live: dict[str, list[list[str]]], queries: list[list[str]]) -> None:
    """Every live passage's score equals rank-bm25's over exactly the live passages (< 1e-6), deleted
    rows score nothing, and top-k gives the oracle's best scores in order."""
    rows = _rows(live)
    oracle = BM25Okapi([t for _, _, t in rows])
    position = {pid: i for i, (pid, _, _) in enumerate(rows)}
    live_rows = index.live_rows()
    assert len(index) == len(live_rows) == len(rows)
    assert sorted(index.passage_ids[r] for r in live_rows) == sorted(position)
    order = np.array([position[index.passage_ids[r]] for r in live_rows])
    containing: dict[str, set[int]] = {}
    for i, (_, _, tokens) in enumerate(rows):
        for w in tokens:
            containing.setdefault(w, set()).add(i)
    worst = 0.0
    for q in queries:
        expected = oracle.get_scores(q)
        got = index.scores(q)
        worst = max(worst, float(np.max(np.abs(got[live_rows] - expected[order]))))
        dead = np.setdiff1d(np.arange(index.n_rows), live_rows)
        assert not np.any(got[dead])
        top = index.top(q, 10)
        assert all(index.passage_ids[h.row] in position for h in top)
        matching = set().union(*(containing.get(w, set()) for w in q))
        best = sorted((expected[i] for i in matching), reverse=True)[:10]
        assert np.allclose([h.score for h in top], best, atol=1e-6)
    assert worst < 1e-6
    for term in WORDS[:50]:
        if term in oracle.idf:
            assert index.term_idf(term) == pytest.approx(oracle.idf[term], abs=1e-9)
            assert term in index.vocab
        else:
            assert index.term_idf(term) is None and term not in index.vocab


def _change(rng: random.Random, index: BM25Index, live: dict, step: int) -> BM25Index:
    """Remove some documents, update some, add new ones (some with never-seen terms)."""
    removed = rng.sample(sorted(live), 40)
    for d in removed:
        del live[d]
    new = _docs(rng, f"n{step}-", 30)
    new[f"n{step}-fresh"] = [[f"brandnew{step}", "kalo"], [f"brandnew{step}"] * 3]
    updated = rng.sample(sorted(live), 10)
    for d in updated:
        new[d] = [rng.choices(WORDS, WEIGHTS, k=12)]
    live.update(new)
    return index.with_changes(remove_docs=removed + updated, add=_rows(new))


def test_incremental_adds_and_deletes_score_exactly_as_rank_bm25(tmp_path):
    rng = random.Random(5)
    live = _docs(rng, "d", 1200)  # ~3,000 passages
    index = BM25Index.build(_rows(live))
    queries = _queries(rng, 300)
    for step in range(3):
        index = _change(rng, index, live, step)
        assert index.stats["delta_passages"] > 0 and index.stats["deleted_passages"] > 0
    assert_parity(index, live, queries)
    # Persisted base + delta + deletions load back (memory-mapped) to the same scores.
    index.save(tmp_path / "ix")
    loaded = BM25Index.load(tmp_path / "ix")
    assert loaded.stats == index.stats
    assert np.array_equal(loaded.scores(queries[0]), index.scores(queries[0]))
    # A merge (a full rebuild of one segment) gives the same scores over the same passages.
    merged = BM25Index.build(_rows(live))
    assert merged.stats["delta_passages"] == merged.stats["deleted_passages"] == 0
    assert_parity(merged, live, queries)


def test_negative_idf_average_follows_the_live_vocabulary():
    # Deleting the only passage with "rare" drops it from the vocabulary: the epsilon x mean-idf floor of
    # the common terms must move exactly as rank-bm25's would.
    live = {"a": [["common", "rare"]], "b": [["common", "x"]], "c": [["common"]], "d": [["y"]]}
    index = BM25Index.build(_rows(live))
    del live["a"]
    live["e"] = [["common", "z", "z"]]
    index = index.with_changes(remove_docs=["a"], add=_rows({"e": [["common", "z", "z"]]}))
    assert_parity(index, live, [["common"], ["common", "z"], ["rare"], ["x", "y", "common"]])
    assert "rare" not in index.vocab and index.doc_freq("rare") == 0 and index.doc_freq("common") == 3


def test_scopes_apply_to_the_delta_too():
    index = BM25Index.build([("a#0", "", ["x"]), ("b#0", "g1", ["x"])])
    index = index.with_changes(add=[("c#0", "g2", ["x", "x"]), ("d#0", "g1", ["x", "y"])])
    assert {index.passage_ids[h.row] for h in index.top(["x"], 10, ["", "g1"])} == {"a#0", "b#0", "d#0"}
    assert {index.passage_ids[h.row] for h in index.top(["x"], 10, ["g2"])} == {"c#0"}
    index = index.with_changes(remove_docs=["b", "c"])
    assert {index.passage_ids[h.row] for h in index.top(["x"], 10)} == {"a#0", "d#0"}


# ---------------------------------------------------------------------------------------------------
# corpus level: real SQLite databases
# ---------------------------------------------------------------------------------------------------
def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(" ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(4, 14))).capitalize() + "."
                    for _ in range(sentences))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=tmp_path / "no-bundled-corpus")


@pytest.fixture
def big(settings: Settings):
    """~2,000 passages ingested as records (one full build)."""
    rng = random.Random(11)
    c = Corpus(settings)
    c.ingest_records((f"rec{i:04d}", f"Record {WORDS[i]}", _text(rng, rng.randint(1, 20))) for i in range(600))
    yield c
    c.close()


def store_parity(c: Corpus, queries: list[str]) -> None:
    """The serving index against rank-bm25 over the stored passages (with their titles' tokens)."""
    rows = list(c.store.iter_index_rows())
    s = c.settings
    oracle = BM25Okapi([t.split() + tokenize(title) + tokenize(heading or "") for _, _, t, title, heading in rows], k1=s.k1, b=s.b, epsilon=s.epsilon)
    position = {pid: i for i, (pid, *_) in enumerate(rows)}
    index = c.searcher.index
    live = index.live_rows()
    assert len(index) == len(rows) == len(live)
    order = np.array([position[index.passage_ids[r]] for r in live])
    for q in queries:
        terms = tokenize(q)
        assert np.max(np.abs(index.scores(terms)[live] - oracle.get_scores(terms)[order])) < 1e-6
        for pid, score in c.rank(q, k=5):
            assert abs(score - oracle.get_scores(terms)[position[pid]]) < 1e-6


def _upload(c: Corpus, name: str, text: str, scope: str = "") -> None:
    c.add_bytes(text.encode(), name, scope=scope)


def test_add_and_remove_go_to_the_delta_and_keep_exact_scores(big: Corpus):
    base_dir = big.keeper.index_dir / big.searcher.index.header["base"]
    base_files = {p.name: p.stat().st_mtime_ns for p in base_dir.iterdir()}
    rng = random.Random(3)
    queries = [" ".join(rng.sample(WORDS[:200], 3)) for _ in range(40)] + ["zumbafresh kalo"]
    _upload(big, "fresh.txt", "Zumbafresh kalo mine. " + _text(rng, 12))
    big.remove("rec0007")
    big.ingest_records([("rec0009", "Record changed", "Totally new words here zumbafresh."), ("rec9999", "New", "Kalo.")])
    index = big.searcher.index
    assert index.stats["delta_passages"] >= 3 and index.stats["deleted_passages"] >= 2
    assert index.header["base"] == base_dir.name  # the base was neither rebuilt nor rewritten
    assert {p.name: p.stat().st_mtime_ns for p in base_dir.iterdir()} == base_files
    assert big.search("zumbafresh")[0].doc_id in {"fresh", "rec0009"}
    store_parity(big, queries)


def test_removed_document_is_never_returned(big: Corpus):
    doc = "rec0042"
    passages = [pid for pid, *_ in big.store.iter_index_rows(doc_ids=[doc])]
    assert passages
    terms = sorted({t for _, _, toks, _, _ in big.store.iter_index_rows(doc_ids=[doc]) for t in toks.split()})
    big.remove(doc)
    index = big.searcher.index
    hits = index.top(terms, len(index.passage_ids))
    assert hits and not {index.passage_ids[h.row] for h in hits} & set(passages)
    assert not [h for h in big.search(" ".join(terms), k=50) if h.doc_id == doc]
    assert not np.any(index.scores(terms)[index.base.rows_of_docs([doc])])
    # Re-adding it brings it back, from the delta.
    big.ingest_records([(doc, "Record back", "Granite kalo zumbaback.")])
    assert big.search("zumbaback")[0].doc_id == doc


def test_restart_loads_base_and_delta_without_rebuilding(big: Corpus, settings: Settings, monkeypatch):
    _upload(big, "fresh.txt", "Zumbafresh kalo mine. Another sentence with ruka.")
    big.remove("rec0001")
    stats = big.searcher.index.stats
    big.close()
    monkeypatch.setattr(IndexKeeper, "_build_index", lambda self: pytest.fail("rebuilt instead of loading"))
    c = Corpus(settings)
    assert c.searcher.index.stats == stats
    assert c.search("zumbafresh")[0].doc_id == "fresh"
    store_parity(c, ["zumbafresh kalo", "ruka mine", WORDS[3]])
    c.close()


@pytest.mark.parametrize("field,value", [("tokenizer", "old-tokenizer"), ("generation", 10_000), ("format", 1)])
def test_stale_index_is_rebuilt(big: Corpus, settings: Settings, field, value):
    _upload(big, "fresh.txt", "Zumbafresh kalo mine.")
    big.close()
    header_file = big.keeper.index_dir / "header.json"
    header = BM25Index.read_header(big.keeper.index_dir)
    header_file.write_text(__import__("json").dumps({**header, field: value}))
    rebuilt = []
    original = IndexKeeper._build_index
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(IndexKeeper, "_build_index", lambda self: rebuilt.append(1) or original(self))
    try:
        c = Corpus(settings)
    finally:
        monkeypatch.undo()
    assert rebuilt and c.searcher.index.stats["delta_passages"] == 0
    assert BM25Index.read_header(c.keeper.index_dir)[field] != value
    store_parity(c, ["zumbafresh kalo"])
    c.close()


class Crash(BaseException):
    """Stands in for the process dying: nothing catches it."""


def test_crash_between_database_write_and_index_save(big: Corpus, settings: Settings, monkeypatch):
    generation = big.store.generation
    monkeypatch.setattr(BM25Index, "save", lambda self, folder: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        _upload(big, "fresh.txt", "Zumbafresh kalo mine.")
    assert big.store.generation == generation + 1  # the database has it, the index files do not
    monkeypatch.undo()
    big.store.close()  # the process is gone
    c = Corpus(settings)
    assert c.searcher.index.header["generation"] == c.store.generation
    assert c.search("zumbafresh")[0].doc_id == "fresh"
    store_parity(c, ["zumbafresh kalo", WORDS[5]])
    c.close()


def test_crash_halfway_through_the_index_save(big: Corpus, settings: Settings, monkeypatch):
    """Delta files written, header not yet swapped: the old header still names complete files."""
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == "header.json":
            raise Crash()
        return real_replace(src, dst)

    monkeypatch.setattr("retrieval.bm25.files.os.replace", replace)
    with pytest.raises(Crash):
        big.remove("rec0003")
    monkeypatch.undo()
    big.store.close()
    c = Corpus(settings)
    assert not [h for h in c.search(WORDS[1], k=100) if h.doc_id == "rec0003"]
    store_parity(c, [WORDS[1], WORDS[7] + " " + WORDS[2]])
    c.close()


def test_crash_with_another_process_writing_is_caught_at_the_next_change(big: Corpus, settings: Settings, tmp_path):
    """A write the serving process did not make (another process) must not be missed by a delta."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "other.txt").write_text("Zumbaother granite.", encoding="utf-8")
    other = Store(settings.db_path)
    ingest_paths(other, [folder / "other.txt"], settings)
    other.close()
    _upload(big, "fresh.txt", "Zumbafresh kalo mine.")  # index was at an older generation: full rebuild
    assert big.search("zumbaother")[0].doc_id == "other"
    store_parity(big, ["zumbaother zumbafresh"])


def when_free(change) -> None:
    """Run a change once the corpus lets it (the change that scheduled a merge may still hold the lock)."""
    for _ in range(500):
        try:
            change()
            return
        except CorpusBusy:
            time.sleep(0.01)


def _merge_with_a_change_during_it(big: Corpus, monkeypatch, change: Callable[[Corpus], None]) -> None:
    """Trigger a background merge and land `change` while the merge reads the store (once)."""
    monkeypatch.setattr(keeper_module, "MERGE_MIN_ROWS", 5)
    monkeypatch.setattr(keeper_module, "MERGE_FRACTION", 0.001)
    original = IndexKeeper._new_index
    calls = []

    def new_index(self, raw, header):
        if not calls and threading.current_thread().name == "index-merge":
            calls.append(1)
            when_free(lambda: change(big))
        return original(self, raw, header)

    monkeypatch.setattr(IndexKeeper, "_new_index", new_index)
    big.ingest_records([(f"m{i}", f"Merge {i}", _text(random.Random(i), 6)) for i in range(8)])
    big.keeper.wait_for_merge(60)
    assert calls


def test_background_merge_folds_the_delta_and_replays_concurrent_changes(big: Corpus, monkeypatch):
    _merge_with_a_change_during_it(
        big, monkeypatch, lambda c: c.ingest_records([("during", "During merge", "Zumbaduring kalo.")]))
    index = big.searcher.index
    assert index.header["generation"] == big.store.generation
    assert index.stats["delta_passages"] <= 1  # only the replayed change is left in a delta
    assert big.search("zumbaduring")[0].doc_id == "during"
    store_parity(big, ["zumbaduring", WORDS[4] + " " + WORDS[9]])


def test_refresh_merges_the_delta(big: Corpus, settings: Settings, tmp_path):
    _upload(big, "fresh.txt", "Zumbafresh kalo mine.")
    assert big.searcher.index.stats["delta_passages"]
    folder = tmp_path / "empty-folder"
    folder.mkdir()
    big.refresh(folder)
    assert big.searcher.index.stats == {"base_passages": len(big.searcher.index), "delta_passages": 0,
                                        "deleted_passages": 0}
    store_parity(big, ["zumbafresh kalo"])


def test_a_full_rebuild_during_a_merge_outdates_the_merge(big: Corpus, monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    def changes(c: Corpus) -> None:  # a refresh (a full rebuild) lands while the merge reads an older state
        c.ingest_records([("late", "Late", "Zumbalate kalo.")])
        c.refresh(empty)
        c.ingest_records([("later", "Later", "Zumbalater kalo.")])  # logged after the rebuild

    _merge_with_a_change_during_it(big, monkeypatch, changes)
    index = big.searcher.index
    assert index.header["generation"] == big.store.generation
    assert big.search("zumbalate")[0].doc_id == "late"  # a replay onto the merge's older read would miss it
    assert big.search("zumbalater")[0].doc_id == "later"
    store_parity(big, ["zumbalate zumbalater", WORDS[4] + " " + WORDS[9]])


def test_tokenizer_change_retokenizes_the_store_and_rebuilds(big: Corpus, settings: Settings):
    """Stored tokens from another tokenizer version are re-derived (in batches) before the index loads."""
    big.store.db.conn.execute("update passages set tokens = 'stale stale'")
    big.store.db.conn.execute("update meta set value = 'old' where key = 'tokenizer_version'")
    big.store.db.conn.commit()
    big.close()
    c = Corpus(settings)
    assert c.store.get_meta("tokenizer_version") != "old"
    assert not c.search("stale")
    assert c.searcher.index.header["generation"] == c.store.generation
    store_parity(c, [WORDS[2] + " " + WORDS[8]])
    c.close()


def test_a_change_is_scored_at_its_statistics_without_reweighing_the_base(tmp_path) -> None:
    # After adds and deletes N, avgdl and the IDFs change. The base's postings keep their (tf, length) pair
    # codes: the snapshot recomputes only its pairs' parts, and every score is still rank-bm25's float,
    # on the numpy path, the kernel and the skipping kernel alike.
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(300)]
    docs = [[rng.choice(vocab[: rng.randint(5, 300)]) for _ in range(rng.randint(3, 30))] for _ in range(600)]
    base = BM25Index.build([(f"d{i}#0", "", d) for i, d in enumerate(docs)], k1=1.2, b=0.75, epsilon=0.25)
    extra = [["w1", "w2", "w250"], ["w7"] * 5]
    changed = base.with_changes(remove_docs=["d0", "d5"], add=[(f"n{i}#0", "", d) for i, d in enumerate(extra)])
    assert changed.base is base.base and changed.live.parts_base is not base.live.parts_base
    queries = [[rng.choice(vocab) for _ in range(rng.randint(1, 6))] for _ in range(60)]
    live_docs = [d for i, d in enumerate(docs) if i not in (0, 5)] + extra
    oracle = BM25Okapi(live_docs, k1=1.2, b=0.75, epsilon=0.25)
    live = changed.live_rows()
    tops = {backend: [changed.using(backend).top(q, 10) for q in queries] for backend in ("numpy", "compiled",
                                                                                         "skipping")}
    assert tops["numpy"] == tops["compiled"] == tops["skipping"]
    for q, top in zip(queries, tops["numpy"]):
        dense = changed.scores(q)
        assert np.array_equal(dense[live], oracle.get_scores(q))  # rank-bm25's floats, to the bit
        assert [s for _, s in top] == [dense[r] for r, _ in top]