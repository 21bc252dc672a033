"""End to end through Corpus: a real SQLite database built with ingest_records (one process), then ask every
query, add and remove documents, and check the incremental index against a rebuild (a fresh process)."""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .config import TOP_K, WARMUP
from .corpus_gen import TokenCorpus
from .machine import dir_mb, peak_rss_mb, rss_mb

E2E_ADDS = 5


def _e2e_settings(db_dir: Path):
    from retrieval.config import Settings
    return Settings(db_path=db_dir / "corpus.db", corpus_dir=db_dir / "no-bundled-corpus")


def _e2e_records(corpus: TokenCorpus, block: int = 20_000) -> Iterator[tuple[str, str, str]]:
    """One record (document) per passage of the token corpus: its tokens as a sentence, no title."""
    off, toks, vocab = corpus.offsets, corpus.tokens, corpus.vocab
    for a in range(0, len(corpus), block):
        b = min(len(corpus), a + block)
        words = vocab[np.asarray(toks[off[a]:off[b]])].tolist()
        base = int(off[a])
        for i in range(a, b):
            yield f"r{i:07d}", "", " ".join(words[int(off[i]) - base:int(off[i + 1]) - base]) + "."


def phase_e2e_build(corpus_dir: Path, db_dir: Path) -> dict:
    """Ingest every passage through Corpus.ingest_records (batched transactions, one index build),
    timing the index build apart; the peak RSS shows whether ingest streams."""
    from retrieval.corpus import Corpus
    from retrieval.index_keeper import IndexKeeper

    corpus = TokenCorpus(corpus_dir)
    shutil.rmtree(db_dir, ignore_errors=True)
    c = Corpus(_e2e_settings(db_dir), seed=False)
    build = {}
    original = IndexKeeper._build_index

    def timed_build(self):
        t0 = time.perf_counter()
        out = original(self)
        build["s"] = time.perf_counter() - t0
        build["peak_rss_mb_before"] = peak_rss_mb()
        return out

    IndexKeeper._build_index = timed_build  # type: ignore[method-assign]
    rss0 = rss_mb()
    t0 = time.perf_counter()
    report = c.ingest_records(_e2e_records(corpus), batch=2_000)
    total = time.perf_counter() - t0
    IndexKeeper._build_index = original  # type: ignore[method-assign]
    n = c.searcher.index.passage_count()
    c.close()
    return {"documents": len(report.added), "passages": n, "ingest_total_s": total, "index_build_s": build.get("s"),
            "ingest_s": total - build.get("s", 0.0), "passages_per_s": n / (total - build.get("s", 0.0)),
            "rss_start_mb": rss0, "peak_rss_ingest_mb": build.get("peak_rss_mb_before"),
            "peak_rss_mb": peak_rss_mb(), "db_mb": dir_mb(db_dir / "corpus.db"),
            "index_mb": dir_mb(db_dir / "corpus.db.index")}


def phase_e2e_serve(corpus_dir: Path, db_dir: Path, k: int = TOP_K) -> dict:
    """Open (load) the corpus as the bot starts, then `ask` every query (search + answer extraction +
    rendering to a Discord embed), then add documents one at a time, timing each until searchable."""
    from cogs import embeds  # the bot's embed layout (no discord import)
    from retrieval.bm25 import BM25Index
    from retrieval.corpus import Corpus
    from retrieval.settle import settle_after_start
    from retrieval.text.tokenize import tokenize

    queries = [" ".join(q["tokens"]) for q in TokenCorpus(corpus_dir).queries()]
    gc.collect()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    c = Corpus(_e2e_settings(db_dir), seed=False)
    load_s = time.perf_counter() - t0
    settle_after_start(c)  # as bot.py does once the corpus is open
    rss_loaded = rss_mb()
    for q in queries[:WARMUP]:
        embeds.to_embed(c.ask(q, k=k))
    lat = np.zeros(len(queries))
    found = 0
    t_all = time.perf_counter()
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        answer = c.ask(q, k=k)
        embeds.to_embed(answer)
        lat[i] = time.perf_counter() - t0
        found += bool(answer.found)
    total = time.perf_counter() - t_all
    search_lat = []
    for q in queries:
        t0 = time.perf_counter()
        c.search(q, k=k)
        search_lat.append(time.perf_counter() - t0)
    serve_peak = peak_rss_mb()
    adds, removes, exact = [], [], []
    run = f"{time.time_ns() % 10**9:09d}"  # unique words and names: a re-run on the same database adds anew
    for j in range(E2E_ADDS):
        word = f"zzfresh{run}x{j}"
        text = f"{word} " + " ".join(queries[j].split()[:6]) + f". A second sentence names {word} again."
        t0 = time.perf_counter()
        c.add_bytes(text.encode(), f"fresh-{run}-{j}.txt")
        hits = c.search(word, k=1)
        adds.append(time.perf_counter() - t0)
        assert hits and hits[0].doc_id == f"fresh-{run}-{j}", hits
    n = int(c.counts()["documents"])
    step = max(1, n // (4 * E2E_ADDS)) + 1
    victims = (f"r{(int(run) + j * step) % n:07d}" for j in range(n))
    for doc_id in victims:
        if len(removes) == E2E_ADDS:
            break
        if c.document(doc_id) is None:
            continue  # removed by an earlier run
        t0 = time.perf_counter()
        c.remove(doc_id)
        removes.append(time.perf_counter() - t0)
    after_changes = c.keeper.retriever  # the BM25 engine's snapshot (BM25Index)
    # Exactness after the changes: the incremental snapshot against a full rebuild of the same store.
    rebuilt = c.keeper.fresh_index()
    pos = {rebuilt.passage_ids[r]: r for r in range(rebuilt.n_rows)}
    live = after_changes.live_rows()
    order = np.array([pos[after_changes.passage_ids[r]] for r in live])
    for q in queries[:50]:
        terms = tokenize(q)
        exact.append(float(np.max(np.abs(after_changes.scores(terms)[live] - rebuilt.scores(terms)[order]))))
    stats = after_changes.stats
    c.close()
    assert isinstance(rebuilt, BM25Index)
    return {"passages": len(after_changes), "load_s": load_s, "rss_start_mb": rss0, "rss_loaded_mb": rss_loaded,
            "queries": len(queries), "ask_qps": len(queries) / total, "answered": found,
            "ask_p50_ms": float(np.percentile(lat, 50) * 1e3), "ask_p99_ms": float(np.percentile(lat, 99) * 1e3),
            "ask_max_ms": float(lat.max() * 1e3),
            "search_p50_ms": float(np.percentile(search_lat, 50) * 1e3),
            "search_p99_ms": float(np.percentile(search_lat, 99) * 1e3),
            "serve_peak_rss_mb": serve_peak, "add_doc_s": adds, "add_doc_median_s": float(np.median(adds)),
            "add_doc_max_s": max(adds), "remove_doc_s": removes, "remove_doc_max_s": max(removes),
            "index_after_changes": stats, "max_abs_diff_vs_rebuild": max(exact) if exact else None}
