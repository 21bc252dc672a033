"""Per-server BM25 statistics (issue 10, item 7): a question asked in a server is scored as rank-bm25 over
exactly the passages it can see (the bundled corpus and that server's own documents), through every
incremental path (delta, deletions, merge, reopening the saved index); another server's documents never
move its scores, rankings or answers, bit for bit; the console (no scope) keeps the whole index's
statistics. rank-bm25 is the oracle; real SQLite databases in temp dirs; the compiled kernel and the
numpy path both."""

from __future__ import annotations

import json
import random
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval import index_keeper as keeper_module
from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus
from retrieval.bm25 import FORMAT_VERSION, BM25Index, CorruptIndex
from retrieval.bm25.compiled import kernels as _kernels
from retrieval.answer.question import parse_question
from retrieval.answer.spelling import correct_question
from retrieval.scopes import scopes_for
from retrieval.text.tokenize import tokenize

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu", "gra", "den", "mor", "lis", "tun"]
A, B = "111", "222"  # two servers (guild ids)


def _words(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))] = None
    return list(out)


WORDS = _words(700, 3)
SHARED, ONLY_A, ONLY_B = WORDS[:200], WORDS[200:260], WORDS[260:320]
COMMON = SHARED[0]  # in most passages of both servers: a negative IDF (rank-bm25's epsilon x mean IDF)
# B's questions: its own words, words both servers use (their whole-index df moves with A's uploads), the
# common word, a word only A's documents hold (it must add nothing), and the bundled corpus' words.
QUESTIONS = ([" ".join(SHARED[i : i + 3]) for i in range(1, 40, 4)] + [" ".join(ONLY_B[i : i + 2]) for i in range(0, 20, 4)]
             + [f"{COMMON} {SHARED[5]}", COMMON, f"{ONLY_A[0]} {SHARED[2]}", ONLY_A[1], f"{ONLY_B[3]} {ONLY_A[3]} {COMMON}",
                "when did Cuba recognize South Korea?", f"Korea {SHARED[7]}"])


def _paragraph(rng: random.Random, own: list[str]) -> str:
    pool = SHARED[:120] + own
    weights = [1 / (i + 1) for i in range(120)] + [0.05] * len(own)
    words = rng.choices(pool, weights, k=rng.randint(40, 140))
    if rng.random() < 0.8:
        words.insert(rng.randrange(len(words)), COMMON)
    return " ".join(words).capitalize() + "."


def _document(rng: random.Random, own: list[str], title: str, paragraphs: int) -> bytes:
    return (f"{title}\n\n" + "\n\n".join(_paragraph(rng, own) for _ in range(paragraphs))).encode()


def _upload(c: Corpus, rng: random.Random, scope: str, name: str, paragraphs: int = 3) -> str:
    own = ONLY_A if scope == A else ONLY_B
    report = c.add_bytes(_document(rng, own, f"{name} {rng.choice(own)}", paragraphs), f"{name}.txt", scope=scope)
    return (report.added or report.changed)[0]


@pytest.fixture(params=["numpy", "kernel"])
def engine(request) -> str:
    """The numpy path (small segments, as here) or the compiled kernel (normally 20,000+ rows) scores:
    the `settings` of a test that asks for an engine say which (Settings.scorer)."""
    if request.param == "kernel" and _kernels() is None:
        pytest.skip("numba not installed")
    return request.param


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, 6 documents in server A and 6 in server B, all in one saved base segment:
    made once, copied for each test."""
    folder = tmp_path_factory.mktemp("servers")
    rng = random.Random(7)
    c = Corpus(Settings(db_path=folder / "db" / "corpus.db", corpus_dir=BUNDLED_CORPUS))
    try:
        for i in range(6):
            _upload(c, rng, A, f"alpha{i}")
            _upload(c, rng, B, f"beta{i}")
        c.refresh()  # one full build: every passage in the base
    finally:
        c.close()
    return folder


@pytest.fixture
def settings(built: Path, tmp_path: Path, monkeypatch, request) -> Settings:
    """A copy of the built database and index. Changes go to the delta (and deletions) until a test
    merges: the index is small, the changes big."""
    monkeypatch.setattr(keeper_module, "DELTA_MAX_FRACTION", 1.0)
    monkeypatch.setattr(keeper_module, "MERGE_MIN_ROWS", 10**9)
    shutil.copytree(built / "db", tmp_path / "db")
    kernel = "engine" in request.fixturenames and request.getfixturevalue("engine") == "kernel"
    return Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=BUNDLED_CORPUS,
                    scorer="compiled" if kernel else "auto")


@pytest.fixture
def servers(settings: Settings) -> Iterator[Corpus]:
    c = Corpus(settings)
    assert c.searcher.index.delta is None and c.searcher.index.deleted is None
    yield c
    c.close()


# ---------------------------------------------------------------------------------------------------
# the oracle
# ---------------------------------------------------------------------------------------------------
def _visible(c: Corpus, scope: str | None) -> list[tuple[str, list[str]]]:
    """(passage id, tokens) of every stored passage a question asked in `scope` may see, as indexed."""
    allowed = scopes_for(scope)
    return [(pid, tokens.split() + tokenize(title) + tokenize(heading or ""))
            for pid, s, tokens, title, heading in c.store.iter_index_rows() if allowed is None or s in allowed]


def assert_rank_bm25(c: Corpus, scope: str | None, questions: list[str] = QUESTIONS) -> None:
    """Every visible passage's score is rank-bm25's over exactly the visible passages (dense, top-k as
    ranked, and as searched); IDFs and document frequencies are theirs too."""
    rows = _visible(c, scope)
    s = c.settings
    oracle = BM25Okapi([t for _, t in rows], k1=s.k1, b=s.b, epsilon=s.epsilon)
    index = c.searcher.index
    scopes = scopes_for(scope)
    slot = {index.passage_ids[r]: r for r in index.live_rows()}
    visible_slots = np.array([slot[pid] for pid, _ in rows])
    hidden = np.setdiff1d(np.arange(index.n_rows), visible_slots)
    containing = {pid: set(t) for pid, t in rows}
    for q in questions:
        terms = list(parse_question(q).terms)
        expected = oracle.get_scores(terms)
        dense = index.scores(terms, scopes)
        assert np.max(np.abs(dense[visible_slots] - expected)) < 1e-9, q
        assert not np.any(dense[hidden])
        best = sorted((e for (pid, _), e in zip(rows, expected) if containing[pid] & set(terms)), reverse=True)[:10]
        ranked = c.rank(q, k=10, scope=scope)
        assert np.allclose([score for _, score in ranked], best, rtol=0, atol=1e-9), q
        position = {pid: i for i, (pid, _) in enumerate(rows)}
        for pid, score in ranked:
            assert score == dense[slot[pid]]  # top-k and the dense scores: the same floats
        for hit in c.search(q, k=5, scope=scope):
            assert hit.score == pytest.approx(expected[position[hit.passage_id]], abs=1e-9)
    for term in {t for q in questions for t in parse_question(q).terms}:
        if term in oracle.idf:
            assert index.term_idf(term, scopes) == pytest.approx(oracle.idf[term], abs=1e-12)
            assert index.doc_freq(term, scopes) == sum(term in t for _, t in rows)
        else:
            assert index.term_idf(term, scopes) is None and index.doc_freq(term, scopes) == 0


def _seen_from(c: Corpus, scope: str) -> dict:
    """Everything a question asked in `scope` shows: rankings with scores, the answer stage's term weights,
    and answers."""
    scopes = scopes_for(scope)
    weight = c.searcher.weight_for(scopes)
    terms = sorted({t for q in QUESTIONS for t in parse_question(q).terms})
    return {"ranked": {q: c.rank(q, k=25, scope=scope) for q in QUESTIONS},
            "searched": {q: [(h.passage_id, h.score, h.matched_terms) for h in c.search(q, k=5, scope=scope)]
                         for q in QUESTIONS[:6]},
            "weights": {t: weight(t) for t in terms}, "maximum": weight.maximum,
            "answers": [c.ask(q, scope=scope) for q in (QUESTIONS[0], QUESTIONS[-2], f"{SHARED[3]} {ONLY_B[1]}s")]}


# ---------------------------------------------------------------------------------------------------
# a server's scores are rank-bm25's over what it sees
# ---------------------------------------------------------------------------------------------------
def test_scores_are_rank_bm25_over_the_passages_a_question_can_see(servers: Corpus, engine: str) -> None:
    index = servers.searcher.index
    assert index.doc_freq(COMMON, scopes_for(B)) > index.visible(scopes_for(B)).n / 2  # negative IDF
    for scope in (B, A, "", None):  # a server, the other, a direct message (bundled only), the console
        assert_rank_bm25(servers, scope)


def test_incremental_changes_in_both_servers_keep_scores_exact(servers: Corpus, engine: str, settings: Settings,
                                                               monkeypatch) -> None:
    rng = random.Random(11)
    fresh_b = _upload(servers, rng, B, "beta-new")
    _upload(servers, rng, A, "alpha-new", paragraphs=5)
    _upload(servers, rng, B, "beta1")  # changed: its old passages deleted from the base
    servers.remove(f"{A}/alpha2", scope=A)
    servers.remove(f"{B}/beta4", scope=B)
    index = servers.searcher.index
    assert index.stats["delta_passages"] and index.stats["deleted_passages"]
    for scope in (B, A, None):
        assert_rank_bm25(servers, scope)
    servers.remove(fresh_b, scope=B)  # a delta row removed: the delta is rebuilt without it
    _upload(servers, rng, A, "alpha0")
    for scope in (B, A):
        assert_rank_bm25(servers, scope)
    # Reopened from the saved base + delta + deletions: the same scores, not a rebuild.
    servers.close()
    reopened = Corpus(settings)
    try:
        assert reopened.searcher.index.stats == index.stats or reopened.searcher.index.stats["delta_passages"]
        for scope in (B, A):
            assert_rank_bm25(reopened, scope)
        # A background merge folds everything back into one base: still exact.
        monkeypatch.setattr(keeper_module, "MERGE_MIN_ROWS", 0)
        monkeypatch.setattr(keeper_module, "MERGE_FRACTION", 0.0)
        _upload(reopened, rng, B, "beta-merge")
        reopened.keeper.wait_for_merge()
        merged = reopened.searcher.index
        assert merged.delta is None and merged.deleted is None
        for scope in (B, A, None):
            assert_rank_bm25(reopened, scope)
    finally:
        reopened.close()


# ---------------------------------------------------------------------------------------------------
# one server's documents never move another's scores
# ---------------------------------------------------------------------------------------------------
def test_another_servers_changes_leave_every_score_ranking_and_answer_bit_identical(
        servers: Corpus, engine: str, settings: Settings, monkeypatch) -> None:
    rng = random.Random(13)
    before = _seen_from(servers, B)
    whole = len(servers.searcher.index)

    def unchanged(c: Corpus) -> None:
        assert _seen_from(c, B) == before  # == on floats: bit for bit

    _upload(servers, rng, A, "alpha-new", paragraphs=8)  # to the delta, with the words B uses
    assert len(servers.searcher.index) > whole
    unchanged(servers)
    _upload(servers, rng, A, "alpha3", paragraphs=6)  # a change: base rows deleted, new ones in the delta
    unchanged(servers)
    servers.remove(f"{A}/alpha1", scope=A)
    servers.remove(f"{A}/alpha-new", scope=A)  # from the delta
    unchanged(servers)
    assert servers.searcher.index.stats["deleted_passages"]
    servers.close()
    reopened = Corpus(settings)  # the saved delta and deletions
    try:
        unchanged(reopened)
        monkeypatch.setattr(keeper_module, "MERGE_MIN_ROWS", 0)
        monkeypatch.setattr(keeper_module, "MERGE_FRACTION", 0.0)
        _upload(reopened, rng, A, "alpha-merge", paragraphs=4)  # and a merge: new row and term ids everywhere
        reopened.keeper.wait_for_merge()
        assert reopened.searcher.index.delta is None and reopened.searcher.index.deleted is None
        unchanged(reopened)
    finally:
        reopened.close()


def test_a_server_cannot_probe_another_servers_words(servers: Corpus) -> None:
    """A word only server A's documents hold is, for B, a word no passage has: no document frequency, the
    largest weight, no IDF, no correction towards it, and nothing scored for it."""
    secret = ONLY_A[7]
    index, scopes_b = servers.searcher.index, scopes_for(B)
    assert index.doc_freq(secret) > 0 and index.doc_freq(secret, scopes_for(A)) > 0
    assert index.doc_freq(secret, scopes_b) == 0 and index.term_idf(secret, scopes_b) is None
    weight = servers.searcher.weight_for(scopes_b)
    assert weight(secret) == weight.maximum == weight(WORDS[-1])
    assert servers.searcher.doc_freq_for(scopes_b)(secret) == 0
    typo = secret[:-1] + ("x" if secret[-1] != "x" else "q")  # one letter off A's word
    assert secret in correct_question(f"{typo} {SHARED[4]}", servers.searcher.doc_freq_for(scopes_for(A)))
    assert secret not in correct_question(f"{typo} {SHARED[4]}", servers.searcher.doc_freq_for(scopes_b))
    assert servers.ask(f"{typo} {SHARED[4]}", scope=B).read_as is None
    assert servers.rank(secret, scope=B) == []
    assert servers.rank(f"{secret} {SHARED[3]}", scope=B) == servers.rank(SHARED[3], scope=B)


# ---------------------------------------------------------------------------------------------------
# the console keeps the whole index's statistics and its fast path
# ---------------------------------------------------------------------------------------------------
def test_the_console_scores_every_passage_at_the_whole_index_statistics(servers: Corpus, engine: str) -> None:
    index = servers.searcher.index
    assert index.live.parts_base is not None  # unscoped questions read the pairs' parts at the whole index's
    assert_rank_bm25(servers, None)
    assert servers.searcher.weight_for(None) is servers.searcher.weight
    everything = index.scopes
    for q in QUESTIONS[:8]:
        terms = list(parse_question(q).terms)
        # Unscoped: exactly the whole-index path; within every scope: the same statistics, computed apart.
        assert [tuple(h) for h in index.top(terms, 10)] == [(r, index.scores(terms)[r]) for r, _ in index.top(terms, 10)]
        assert np.allclose(index.scores(terms), index.scores(terms, everything), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# the index alone: random scopes and changes against the oracle
# ---------------------------------------------------------------------------------------------------
def _random_rows(rng: random.Random, prefix: str, n: int, scopes: list[str]) -> list[tuple[str, str, list[str]]]:
    pool, weights = WORDS[:400], [1 / (i + 1) for i in range(400)]
    return [(f"{prefix}{i // 2:05d}#{i % 2}", scopes[(i // 2) % len(scopes)], rng.choices(pool, weights, k=rng.randint(1, 30)))
            for i in range(n)]


def _oracle_check(index: BM25Index, live: dict[str, tuple[str, list[str]]], scopes: list[str],
                  queries: list[list[str]]) -> None:
    rows = [(pid, t) for pid, (s, t) in sorted(live.items()) if s in scopes]
    if not rows:
        assert all(index.top(q, 5, scopes) == [] for q in queries)
        return
    oracle = BM25Okapi([t for _, t in rows])
    slot = {index.passage_ids[r]: r for r in index.live_rows()}
    visible = np.array([slot[pid] for pid, _ in rows])
    for q in queries:
        expected = oracle.get_scores(q)
        dense = index.scores(q, scopes)
        assert np.max(np.abs(dense[visible] - expected)) < 1e-9
        top = index.top(q, 10, scopes)
        assert [(h.row, h.score) for h in top] == sorted(((r, dense[r]) for r in visible if _holds(live, index, r, q)),
                                                         key=lambda x: (-x[1], x[0]))[:10]


def _holds(live: dict, index: BM25Index, row: int, q: list[str]) -> bool:
    return bool(set(live[index.passage_ids[row]][1]) & set(q))


@pytest.mark.parametrize("compiled", [False, True])
def test_index_scopes_through_changes_save_and_load_match_rank_bm25(tmp_path: Path, compiled: bool) -> None:
    if compiled and _kernels() is None:
        pytest.skip("numba not installed")
    rng = random.Random(5)
    names = ["", "s1", "s2", "s3"]
    rows = _random_rows(rng, "d", 1200, names)
    live = {pid: (s, t) for pid, s, t in rows}
    index = BM25Index.build(rows)  # rank-bm25's defaults, as the oracle's
    queries = [rng.sample(WORDS[:120], rng.randint(1, 5)) + ([WORDS[0]] if rng.random() < 0.3 else []) for _ in range(30)]
    for step in range(3):
        gone = rng.sample(sorted({pid.split("#")[0] for pid in live}), 15)
        for pid in [p for p in live if p.split("#")[0] in gone]:
            del live[pid]
        added = _random_rows(rng, f"n{step}-", 40, ["s1", "s4", ""])  # a scope the base never had
        live.update((pid, (s, t)) for pid, s, t in added)
        index = index.with_changes(remove_docs=gone, add=added)
    index.save(tmp_path / "ix")
    loaded = BM25Index.load(tmp_path / "ix")
    index, loaded = (ix.using("compiled" if compiled else "numpy") for ix in (index, loaded))
    for scopes in (["", "s1"], [""], ["s2"], ["s4"], ["", "s1", "s2", "s3", "s4"], ["nobody"]):
        _oracle_check(index, live, scopes, queries)
        for q in queries:  # loaded (memory-mapped): the same floats
            assert loaded.top(q, 10, scopes) == index.top(q, 10, scopes)
            assert np.array_equal(loaded.scores(q, scopes), index.scores(q, scopes))


def test_the_compiled_skipping_and_numpy_scorers_agree_bit_for_bit_within_scopes() -> None:
    """Within scopes each segment's (tf, length) pairs are scored at the scope set's avgdl, by the kernel,
    the skipping kernel (its block bounds from each block's largest tf and shortest passage) and numpy
    alike: the same rows and floats."""
    if _kernels() is None:
        pytest.skip("numba not installed")
    rng = random.Random(9)
    index = BM25Index.build(_random_rows(rng, "d", 3000, ["", "x", "y"]))
    index = index.with_changes(remove_docs=[f"d{i:05d}" for i in range(0, 1500, 9)],
                               add=_random_rows(rng, "n", 200, ["x", "z"]))
    compiled, skipping, numpy_path = index.using("compiled"), index.using("skipping"), index.using("numpy")
    for _ in range(60):
        q = rng.sample(WORDS[:150], rng.randint(1, 6))
        for scopes in (["", "x"], ["y"], ["z", ""]):
            kernel = compiled.top(q, 10, scopes)
            assert kernel == numpy_path.top(q, 10, scopes) == skipping.top(q, 10, scopes)
            assert [score for _, score in kernel] == [index.scores(q, scopes)[row] for row, _ in kernel]


def test_mean_idf_does_not_depend_on_other_scopes_or_term_order() -> None:
    """rank-bm25's floor for negative IDFs is the mean IDF over the visible vocabulary: the same float
    whatever other scopes hold and in whatever order their rows give terms their ids."""
    rng = random.Random(3)
    mine = _random_rows(rng, "m", 300, ["mine"])
    others = _random_rows(rng, "o", 900, ["a", "b"])
    one = BM25Index.build(others[:450] + mine + others[450:])
    two = BM25Index.build(list(reversed(others[:600])) + mine)
    three = one.with_changes(remove_docs=[f"o{i:05d}" for i in range(0, 450, 3)],
                             add=_random_rows(rng, "p", 80, ["a"]) + [("z#0", "b", WORDS[:50])])
    for q in ([WORDS[0]], [WORDS[0], WORDS[1]], [WORDS[1], WORDS[30], WORDS[0]], WORDS[:8]):
        assert one.term_idf(WORDS[0], ["mine"]) < 1  # in most of my passages: epsilon x the mean IDF
        by_pid = [{ix.passage_ids[h.row]: h.score for h in ix.top(q, 50, ["mine"])} for ix in (one, two, three)]
        assert by_pid[0] == by_pid[1] == by_pid[2]
        assert len(by_pid[0]) == 50


# ---------------------------------------------------------------------------------------------------
# the saved per-scope statistics are checked like every other array
# ---------------------------------------------------------------------------------------------------
def _rewrite_checksums(folder: Path) -> None:
    header = json.loads((folder / "header.json").read_text())
    for name in header["checksums"]:
        data = (folder / name).read_bytes()
        header["checksums"][name] = [len(data), zlib.crc32(data)]
    (folder / "header.json").write_text(json.dumps(header))


@pytest.mark.parametrize("file,change,message", [
    ("scope_dfs.npy", lambda a: np.where(np.arange(len(a)) == np.argmin(a), a + 1, a), "disagree with the postings"),
    ("scope_dfs.npy", lambda a: np.where(np.arange(len(a)) == 0, 0, a), "out of range"),
    ("scope_tids.npy", lambda a: np.where(np.arange(len(a)) == 0, 10**6, a), "term id is out of range"),
    ("scope_tids.npy", lambda a: a[::-1].copy(), "not strictly ascending"),
    ("scope_ptr.npy", lambda a: np.where(np.arange(len(a)) == len(a) - 1, a + 1, a), "offsets out of range"),
])
def test_crafted_scope_statistics_are_refused(tmp_path: Path, file: str, change, message: str) -> None:
    rng = random.Random(1)
    index = BM25Index.build(_random_rows(rng, "d", 400, ["", "x", "y"]))
    index.save(tmp_path / "ix")
    path = tmp_path / "ix" / index.header["base"] / file
    np.save(path, change(np.load(path)), allow_pickle=False)
    with pytest.raises(CorruptIndex, match="checksum mismatch"):
        BM25Index.load(tmp_path / "ix")
    _rewrite_checksums(tmp_path / "ix")
    with pytest.raises(CorruptIndex, match=message):
        BM25Index.load(tmp_path / "ix")


def test_an_index_of_the_previous_format_is_rebuilt(servers: Corpus, settings: Settings, caplog) -> None:
    expected = {q: servers.rank(q, scope=B) for q in QUESTIONS}
    servers.close()
    header_file = servers.keeper.index_dir / "header.json"
    header_file.write_text(json.dumps({**json.loads(header_file.read_text()), "format": FORMAT_VERSION - 1}))
    with pytest.raises(FileNotFoundError, match=f"format {FORMAT_VERSION - 1}"):
        BM25Index.load(servers.keeper.index_dir)
    reopened = Corpus(settings)
    try:
        assert "rebuilding" in caplog.text
        assert BM25Index.read_header(reopened.keeper.index_dir)["format"] == FORMAT_VERSION == 5
        assert {q: reopened.rank(q, scope=B) for q in QUESTIONS} == expected
        assert_rank_bm25(reopened, B)
    finally:
        reopened.close()


def test_per_scope_counts_are_exact_however_the_postings_are_chunked(monkeypatch) -> None:
    """Each scope's document frequencies, passages and total length, as counted by hand; the forward
    entries are sorted a chunk at a time and merged, so the chunk size must not matter."""
    from retrieval.bm25 import scope_stats

    rng = random.Random(2)
    rows = [(f"d{i}#0", rng.choice(["", "a", "b", "c"]), rng.choices(WORDS[:50], k=rng.randint(0, 12)))
            for i in range(500)]
    reference = BM25Index.build(rows).base
    for chunk in (1, 7, 100):
        monkeypatch.setattr(scope_stats, "_CHUNK_ENTRIES", chunk)
        segment = BM25Index.build(rows).base
        for name in ("scope_ptr", "scope_tids", "scope_dfs"):
            assert np.array_equal(getattr(segment, name), getattr(reference, name))
    counts = reference.scope_counts
    for s, name in enumerate(reference.scopes):
        mine = [tokens for _, scope, tokens in rows if scope == name]
        by_hand: dict[int, int] = {}
        for tokens in mine:
            for term in set(tokens):
                by_hand[reference.vocab[term]] = by_hand.get(reference.vocab[term], 0) + 1
        lo, hi = counts.ptr[s], counts.ptr[s + 1]
        assert dict(zip(counts.tids[lo:hi].tolist(), counts.dfs[lo:hi].tolist())) == by_hand
        assert counts.rows[s] == len(mine) and counts.lengths[s] == sum(map(len, mine))
