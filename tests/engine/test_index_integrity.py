"""Saved index files are verified before they are trusted: a checksum per file in the header (a flipped byte
or a truncated file means a rebuild from the store, with a log line naming the file), and contents checked
before the compiled scorer reads them (ids and offsets in range), even when the checksums were recomputed
over crafted arrays. Real SQLite databases in temp dirs; the compiled kernel scores (numba), as it does for
big corpora, and rank-bm25 is the oracle."""

from __future__ import annotations

import json
import logging
import random
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus
from retrieval.bm25 import BM25Index
from retrieval.text.tokenize import tokenize

SEGMENT_FILES = ("indptr.npy", "postings.npy", "codes.npy", "pair_tf.npy", "pair_len.npy", "doc_len.npy",
                 "scope_ids.npy", "idf.npy", "scope_ptr.npy", "scope_tids.npy", "scope_dfs.npy", "passages.bin.npy",
                 "passages.off.npy", "terms.txt", "segment.json")
# Every file a saved base + delta + deletions snapshot has: (header key, file in that segment folder or None).
ALL_FILES = ([("base", f) for f in SEGMENT_FILES] + [("delta", f) for f in SEGMENT_FILES]
             + [("deleted", None)])
QUESTION = "when did Cuba recognize South Korea?"
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu", "gra", "den", "mor", "lis", "tun"]


def _words(n: int) -> list[str]:
    rng = random.Random(5)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(out)


WORDS = _words(800)
QUERIES = [QUESTION, "zumbafresh kalo", " ".join(WORDS[:3]), " ".join(WORDS[10:14]), WORDS[40], "Korea diplomatic"]


def _results(c: Corpus) -> dict:
    """What a user sees: each query's ranked (passage, score) pairs and the short answer."""
    return {"ranked": {q: c.rank(q, k=5) for q in QUERIES}, "answer": c.ask(QUESTION).short_answer}


def _assert_rank_bm25(c: Corpus) -> None:
    """The serving index's top scores are rank-bm25's over the stored passages (titles' tokens included)."""
    rows = list(c.store.iter_index_rows())
    s = c.settings
    oracle = BM25Okapi([t.split() + tokenize(title) + tokenize(heading or "") for _, _, t, title, heading in rows],
                       k1=s.k1, b=s.b, epsilon=s.epsilon)
    position = {pid: i for i, (pid, *_) in enumerate(rows)}
    for q in QUERIES:
        expected = oracle.get_scores(tokenize(q))
        ranked = c.rank(q, k=5)
        assert ranked and expected[position[ranked[0][0]]] == expected.max()
        for pid, score in ranked:
            assert score == pytest.approx(expected[position[pid]], abs=1e-9)


@pytest.fixture(scope="module")
def kernel() -> str:
    """Score every segment with the compiled kernel (normally only segments of 20,000+ rows): Settings.scorer."""
    return "compiled"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, kernel) -> tuple[Path, dict, dict]:
    """A database whose saved index has all three parts: a base, a delta (an upload) and
    deletions (a removed record); what it answers, and what a fresh build of the same store answers
    (the same scores; rows, so the order of exact ties, may differ from the incremental snapshot's)."""
    folder = tmp_path_factory.mktemp("pristine")
    settings = Settings(db_path=folder / "corpus.db", corpus_dir=BUNDLED_CORPUS, scorer=kernel)
    c = Corpus(settings)
    rng = random.Random(2)
    c.ingest_records((f"rec{i:03d}", f"Record {WORDS[i]}", " ".join(rng.choices(WORDS, k=rng.randint(5, 40))) + ".")
                     for i in range(400))
    c.add_bytes(b"Zumbafresh kalo mine, a fresh upload.", "fresh.txt")
    c.remove("rec007")
    assert c.searcher.index.stats["delta_passages"] and c.searcher.index.stats["deleted_passages"]
    _assert_rank_bm25(c)
    incremental = _results(c)
    assert incremental["answer"] == "1949"
    c.close()
    fresh_folder = tmp_path_factory.mktemp("fresh")
    shutil.copytree(folder, fresh_folder, dirs_exist_ok=True)
    shutil.rmtree(_index_dir(settings.with_(db_path=fresh_folder / "corpus.db")))
    c = Corpus(settings.with_(db_path=fresh_folder / "corpus.db"))
    fresh = _results(c)
    _assert_rank_bm25(c)
    c.close()
    return folder, incremental, fresh


@pytest.fixture
def copy(pristine, tmp_path: Path, kernel: str) -> tuple[Settings, dict]:
    """A copy of the pristine database and index folder, to damage; what a fresh build answers."""
    folder, _, fresh = pristine
    shutil.copytree(folder, tmp_path / "db")
    return Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=BUNDLED_CORPUS, scorer=kernel), fresh


def _index_dir(settings: Settings) -> Path:
    return settings.db_path.with_name(settings.db_path.name + ".index")


def _path(settings: Settings, part: str, file: str | None) -> Path:
    header = BM25Index.read_header(_index_dir(settings))
    return _index_dir(settings) / header[part] / file if file else _index_dir(settings) / header[part]


def _open(settings: Settings, caplog: pytest.LogCaptureFixture) -> tuple[Corpus, list[str]]:
    """Open the corpus; the warnings it logged about the index."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="retrieval.index_keeper"):
        c = Corpus(settings)
    return c, [r.getMessage() for r in caplog.records if "index" in r.getMessage()]


def _assert_rebuilt_and_exact(settings: Settings, expected: dict, caplog, *needles: str) -> None:
    """Opening rebuilds with one warning containing the needles, answers exactly as before (and as
    rank-bm25), and the rebuilt index then loads without a rebuild."""
    c, warnings = _open(settings, caplog)
    try:
        assert len(warnings) == 1 and "rebuilding" in warnings[0], warnings
        for needle in needles:
            assert needle in warnings[0], warnings
        assert c.searcher.index.stats["delta_passages"] == 0  # a fresh build from the store
        assert _results(c) == expected
        _assert_rank_bm25(c)
    finally:
        c.close()
    c, warnings = _open(settings, caplog)
    try:
        assert warnings == [] and _results(c) == expected
    finally:
        c.close()


def _rewrite_checksums(settings: Settings) -> None:
    """Make the header vouch for whatever the files hold now (what a forger, not an accident, does)."""
    index_dir = _index_dir(settings)
    header = json.loads((index_dir / "header.json").read_text())
    for name in header["checksums"]:
        data = (index_dir / name).read_bytes()
        header["checksums"][name] = [len(data), zlib.crc32(data)]
    (index_dir / "header.json").write_text(json.dumps(header))


# ---------------------------------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------------------------------
def test_a_valid_index_loads_without_a_rebuild_and_every_file_has_a_checksum(pristine, copy, caplog, kernel):
    """The base was saved once and kept through the upload and the removal: its checksums went along."""
    settings, _ = copy
    expected = pristine[1]
    index_dir = _index_dir(settings)
    header = BM25Index.read_header(index_dir)
    on_disk = {str(p.relative_to(index_dir)) for p in index_dir.rglob("*") if p.is_file()} - {"header.json"}
    assert set(header["checksums"]) == on_disk
    assert len(on_disk) == len(ALL_FILES)
    for name, (size, crc) in header["checksums"].items():
        data = (index_dir / name).read_bytes()
        assert (size, crc) == (len(data), zlib.crc32(data))
    c, warnings = _open(settings, caplog)
    try:
        assert warnings == []
        assert c.searcher.index.stats["delta_passages"] and c.searcher.index.stats["deleted_passages"]
        assert _results(c) == expected
    finally:
        c.close()


@pytest.mark.parametrize("part,file", ALL_FILES, ids=[f"{p}-{f}" if f else p for p, f in ALL_FILES])
def test_a_flipped_byte_in_any_index_file_is_rebuilt_from_the_store(copy, caplog, kernel, part, file):
    settings, expected = copy
    path = _path(settings, part, file)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x5A  # the last byte: data, not the .npy header (a flipped header byte is refused as well)
    path.write_bytes(bytes(data))
    name = f"{path.parent.name}/{path.name}" if file else path.name
    _assert_rebuilt_and_exact(settings, expected, caplog, f"checksum mismatch in {name}")


@pytest.mark.parametrize("file", ["postings.npy", "codes.npy", "terms.txt"])
def test_a_truncated_file_is_rebuilt_from_the_store(copy, caplog, kernel, file):
    settings, expected = copy
    path = _path(settings, "base", file)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size - 4)
    _assert_rebuilt_and_exact(settings, expected, caplog, f"{path.parent.name}/{file} is {size - 4} bytes",
                              f"says {size}")


def test_a_missing_file_is_rebuilt_from_the_store(copy, caplog, kernel):
    settings, expected = copy
    path = _path(settings, "delta", "codes.npy")
    path.unlink()
    _assert_rebuilt_and_exact(settings, expected, caplog, f"{path.parent.name}/codes.npy unreadable")


def test_an_index_from_the_previous_release_is_rebuilt_cleanly(copy, caplog, kernel):
    """Format 2 had no checksums: it is not trusted, it is rebuilt (once), and the new one has them."""
    settings, expected = copy
    header_file = _index_dir(settings) / "header.json"
    header = json.loads(header_file.read_text())
    del header["checksums"]
    header_file.write_text(json.dumps({**header, "format": 2}))
    _assert_rebuilt_and_exact(settings, expected, caplog, "format 2")
    assert BM25Index.read_header(_index_dir(settings))["checksums"]


def test_a_header_that_is_not_an_object_is_rebuilt(copy, caplog, kernel):
    settings, expected = copy
    (_index_dir(settings) / "header.json").write_text("[1, 2]")
    c, _ = _open(settings, caplog)
    try:
        assert _results(c) == expected
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------------
# contents that pass their checksums, refused before the kernel reads them
# ---------------------------------------------------------------------------------------------------
def _edit(part: str, file: str, change: Callable[[np.ndarray, dict], np.ndarray]):
    """A crafted array: loaded, changed, saved again as an .npy (its checksum recomputed afterwards)."""
    def apply(settings: Settings) -> None:
        folder = _path(settings, part, None)
        arrays = {p.stem: np.load(p) for p in folder.glob("*.npy")} if folder.is_dir() else {}
        meta = json.loads((folder / "segment.json").read_text()) if folder.is_dir() else {}
        path = folder / file if folder.is_dir() else folder
        np.save(path, change(np.load(path), {**arrays, **meta}), allow_pickle=False)
    return apply


def _set(i, value):
    def change(a: np.ndarray, _: dict) -> np.ndarray:
        a = a.copy()
        a[i] = value
        return a
    return change


def _first_term_with(n: int):
    """Index into indptr of a term with at least n postings."""
    def pick(arrays: dict) -> int:
        return int(np.flatnonzero(np.diff(arrays["indptr"]) >= n)[0])
    return pick


def _duplicate_a_row(a: np.ndarray, arrays: dict) -> np.ndarray:
    """One term lists the same row twice: the kernel's touched list has one slot per row."""
    start = int(arrays["indptr"][_first_term_with(2)(arrays)])
    a = a.copy()
    a[start + 1] = a[start]
    return a


CRAFTED = {
    "row id past the end": (_edit("base", "postings.npy", lambda a, m: _set(-1, m["passages"])(a, m)),
                            "row id is out of range"),
    "negative row id": (_edit("delta", "postings.npy", _set(0, -1)), "row id is out of range"),
    "a row twice in one term": (_edit("base", "postings.npy", _duplicate_a_row), "not strictly ascending"),
    "term offsets going back": (_edit("base", "indptr.npy", lambda a, m: _set(1, a[2] + 1)(a, m)), "indptr"),
    "term offsets past the postings": (_edit("base", "indptr.npy", lambda a, m: _set(-1, a[-1] + 1)(a, m)), "indptr"),
    "negative passage length": (_edit("delta", "doc_len.npy", _set(0, -5)), "passage lengths"),
    "scope id past the end": (_edit("base", "scope_ids.npy", lambda a, m: _set(0, len(m["scopes"]))(a, m)), "scope id"),
    "NaN IDF": (_edit("base", "idf.npy", _set(0, np.nan)), "IDF"),
    "pair code past the table": (_edit("base", "codes.npy", lambda a, m: _set(0, 65_535)(a, m)), "pair code"),
    "float pair codes": (_edit("delta", "codes.npy", lambda a, m: a.astype(np.float32)), "uint16 or uint32"),
    "zero tf in the pair table": (_edit("base", "pair_tf.npy", _set(0, 0)), "pair table"),
    "negative length in the pair table": (_edit("delta", "pair_len.npy", _set(-1, -1)), "pair table"),
    "float row ids": (_edit("base", "postings.npy", lambda a, m: a.astype(np.float64)), "not a 1-d int32 array"),
    "2-d row ids": (_edit("base", "postings.npy", lambda a, m: a.reshape(1, -1)), "not a 1-d int32 array"),
    "big-endian row ids": (_edit("base", "postings.npy", lambda a, m: a.astype(">i4")), "not a 1-d int32 array"),
    "passage id offsets past the blob": (_edit("base", "passages.off.npy", lambda a, m: _set(-1, a[-1] + 3)(a, m)),
                                         "passage id offsets"),
    "deleted row past the base": (_edit("deleted", "", lambda a, m: _set(0, 10**9)(a, m)), "deleted row"),
    "negative deleted row": (_edit("deleted", "", _set(0, -1)), "deleted row"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_contents_with_valid_checksums_are_refused(copy, caplog, kernel, case):
    settings, expected = copy
    craft, message = CRAFTED[case]
    craft(settings)
    _rewrite_checksums(settings)
    with pytest.raises(ValueError, match=message):
        BM25Index.load(_index_dir(settings))
    _assert_rebuilt_and_exact(settings, expected, caplog, message)


@pytest.mark.parametrize("field,value,message", [
    ("base", "../pristine", "outside the index folder"),
    ("delta", "/etc", "outside the index folder"),
    ("passages", 10**6, "the header says 1000000"),
    ("k1", "1.2", "not numbers"),
    ("checksums", {}, "no checksum in the header"),
])
def test_a_crafted_header_is_refused(copy, caplog, kernel, field, value, message):
    settings, expected = copy
    header_file = _index_dir(settings) / "header.json"
    header_file.write_text(json.dumps({**json.loads(header_file.read_text()), field: value}))
    with pytest.raises(ValueError, match=message):
        BM25Index.load(_index_dir(settings))
    c, _ = _open(settings, caplog)  # rebuilt (a k1 that differs from the settings' is stale anyway)
    try:
        assert _results(c) == expected
    finally:
        c.close()


def test_a_fresh_build_passes_its_own_checks():
    rng = random.Random(1)
    index = BM25Index.build((f"d{i // 3}#{i % 3}", f"s{i % 4}", rng.choices(WORDS, k=rng.randint(0, 30)))
                            for i in range(3000))
    changed = index.with_changes(remove_docs=["d5", "d700"], add=[("new#0", "s1", ["zumbafresh", WORDS[0]])])
    for segment in (index.base, changed.delta):
        segment.check()


def test_parameters_that_allow_negative_contributions_are_scored_without_the_kernel():
    """b outside [0, 1] can make a positive-IDF term's contribution negative; the kernel takes a row whose
    score is back at 0.0 for untouched (here: -5 x idf, then +5 x idf, exactly), lists it twice and could
    write past its touched list. Such an index is scored by the numpy path: each row once, rank-bm25's score."""
    filler = [[f"f{i}x{j}" for j in range(10)] for i in range(8)] + [[f"g{j}" for j in range(15)]]
    docs = [["a", "b", "b", "b", "c"], *filler]
    assert sum(map(len, docs)) / len(docs) == 10  # row 0's norm is 1.5 x (1 - 4 + 4 x 5 / 10) = -1.5 exactly
    index = BM25Index.build(((f"p{i}", "", d) for i, d in enumerate(docs)), k1=1.5, b=4.0, backend="compiled")
    expected = BM25Okapi(docs, k1=1.5, b=4.0).get_scores(["a", "b", "c"])
    assert index.top(["a", "b", "c"], 10) == [(0, pytest.approx(expected[0], abs=1e-12))]


def test_a_loaded_base_is_used_again_only_while_the_header_names_it(tmp_path: Path) -> None:
    """An ask worker takes up the keeper's saved index after each change: the base it already has (checked
    when loaded) is used again, and only the delta's files are read; a new base is loaded and checked."""
    rows = [(f"d{i}#0", "", [f"w{i % 7}", f"v{i % 3}", "common"]) for i in range(60)]
    folder = tmp_path / "index"
    first = BM25Index.build(rows)
    first.save(folder)
    loaded = BM25Index.load(folder)
    changed = first.with_changes(add=[("new#0", "", ["w1", "fresh"])])
    changed.save(folder)  # the same base, a delta beside it
    again = BM25Index.load(folder, loaded_base=loaded.base)
    assert again.base is loaded.base and again.delta is not None
    assert [(h.row, h.score) for h in again.top(["fresh", "w1"], 5)] == [(h.row, h.score)
                                                                         for h in changed.top(["fresh", "w1"], 5)]
    BM25Index.build(rows[:30]).save(folder)  # a new base
    rebuilt = BM25Index.load(folder, loaded_base=loaded.base)
    assert rebuilt.base is not loaded.base and len(rebuilt) == 30


def test_each_big_array_is_released_once_checked(tmp_path: Path) -> None:
    """Loading checks every posting; each big array is handed back (its pages dropped) as soon as its own
    checks are done, so the load's peak memory is about one array, not the whole index (BENCHMARKS.md)."""
    index = BM25Index.build([(f"d{i}#0", "", [f"w{i % 7}", "common"]) for i in range(50)])
    seg = index.base
    released: list[int] = []
    seg.check(release=lambda array: released.append(id(array)))
    for name in ("postings", "codes"):
        assert id(getattr(seg, name)) in released, name
