"""The benchmark (benchmarks/bench.py) still runs: a tiny corpus, a few queries, the fast engines.

No timing is asserted: only that every figure is there and that BM25Index scores exactly as rank-bm25.
"""

from __future__ import annotations

from paths import ROOT

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(ROOT))

from benchmarks import bench  # noqa: E402

# installed with the project and its test extra; tantivy and PISA are benchmark-only
ENGINES = ("bm25index", "bm25index_skipping", "rank_bm25", "bm25s")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return bench.run_benchmark([2_000], n_queries=20, engines=ENGINES, isolate=False, progress=False,
                               workdir=tmp_path_factory.mktemp("bench"), log=lambda *a: None)


def test_every_figure_is_reported(results):
    assert {"machine", "config", "ingest", "sizes"} <= results.keys()
    assert {"cpu", "cores", "ram_gb", "python", "packages"} <= results["machine"].keys()
    entry = results["sizes"]["2k"]
    assert entry["corpus"]["passages"] == 2_000
    assert entry["corpus"]["queries"] == 20
    for eng in ENGINES:
        res = entry["engines"][eng]
        assert {"build_s", "save_s", "build_total_s", "peak_rss_mb", "disk_mb"} <= res["build"].keys(), eng
        assert {"load_s", "first_query_ms", "start_s", "qps", "p50_ms", "p99_ms", "by_kind", "peak_rss_mb",
                "overlap_at_k_vs_ours"} <= res["serve"].keys(), eng
        assert len(res["serve"]["rows"]) == 20
    assert entry["engines"]["bm25index"]["serve"]["overlap_at_k_vs_ours"] == 1.0
    assert entry["engines"]["bm25index_skipping"]["serve"]["overlap_at_k_vs_ours"] == 1.0  # the same top 10


def test_scores_match_rank_bm25(results):
    parity = results["sizes"]["2k"]["parity"]
    assert parity["queries"] == 20
    assert parity["max_abs_diff_dense"] < 1e-6
    assert parity["max_abs_diff_topk"] < 1e-6
    assert parity["max_abs_diff_topk_skipping"] == 0.0


def test_tables_render(results):
    text = bench.render_tables(results, markdown=True)
    assert "| BM25Index (this) |" in text and "| rank-bm25 |" in text and "Parity" in text
    assert "this ÷" in bench.render_tables(results)


def test_synthetic_corpus_is_reproducible(tmp_path):
    """Same seed and size -> the same tokens and queries, also without the SciFact files."""
    a = bench.build_token_corpus(tmp_path / "a", 500, [], [], [], 10, seed=7, progress=False)
    b = bench.build_token_corpus(tmp_path / "b", 500, [], [], [], 10, seed=7, progress=False)
    assert a["passages"] == b["passages"] == 500 and a["tokens"] == b["tokens"]
    assert np.array_equal(np.load(tmp_path / "a" / "tokens.npy"), np.load(tmp_path / "b" / "tokens.npy"))
    ca, cb = bench.TokenCorpus(tmp_path / "a"), bench.TokenCorpus(tmp_path / "b")
    assert ca.queries() == cb.queries() and len(ca.queries()) == 10
    assert len(ca.token_lists()) == 500


def test_end_to_end_through_corpus(tmp_path):
    """--e2e: a real SQLite database via ingest_records, asks, one-document adds searchable, exact scores."""
    e2e = bench.run_e2e(600, 20, isolate=False, progress=False, workdir=tmp_path, log=lambda *a: None)
    b, s = e2e["build"], e2e["serve"]
    assert b["passages"] == 600 and b["index_build_s"] is not None and b["peak_rss_mb"] > 0
    assert {"load_s", "ask_p50_ms", "ask_p99_ms", "ask_qps", "serve_peak_rss_mb", "add_doc_median_s"} <= s.keys()
    assert len(s["add_doc_s"]) == len(s["remove_doc_s"]) == bench.E2E_ADDS
    assert s["index_after_changes"]["delta_passages"] == bench.E2E_ADDS  # the adds went to the delta
    assert s["max_abs_diff_vs_rebuild"] < 1e-6
    assert "ask p50" in bench.render_e2e(e2e, markdown=True)
    again = bench.run_e2e(600, 20, isolate=False, progress=False, workdir=tmp_path, reuse=True, log=lambda *a: None)
    assert again["serve"]["index_after_changes"]["deleted_passages"] == 2 * bench.E2E_ADDS
