"""The measured-quality path: the SciFact slice scored through the real ingest and search, a tiny BEIR
folder whose figures are worked out by hand, and the `--json` interface of `eval` and `eval-qa`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA
from retrieval.cli import cli
from retrieval.config import Settings
from retrieval.evaluate import run_beir

SLICE = DATA / "scifact_slice"  # built by benchmarks/make_scifact_slice.py
# Measured with the shipped defaults when they were chosen (BENCHMARKS.md): nDCG@10 0.8156, R@100 0.96.
SLICE_MIN_NDCG = 0.814
SLICE_MIN_RECALL = 0.959


def _beir(folder: Path, docs: dict[str, str], queries: dict[str, str], qrels: list[tuple[str, str, int]]) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n" for i, t in docs.items()), encoding="utf-8")
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in queries.items()), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in qrels), encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Five one-line documents; each query's ranking is plain from which words the documents share with it."""
    docs = {"a": "Zebra stripes.", "b": "Penguin feathers.", "c": "Volcano lava.", "d": "Glacier ice.",
            "e": "Desert sand."}
    queries = {
        "1": "zebra",                     # a first, relevant: perfect
        "2": "penguin feathers and lava",  # b (two terms) before c (one); only c is relevant: rank 2
        "3": "glacier",                   # d first; e is relevant too but shares no word: half recalled
        "4": "the of and",                # no searchable words: an empty ranking, all zeros
        "5": "unjudged query",            # not in the qrels: not scored
    }
    qrels = [("1", "a", 1), ("2", "c", 1), ("3", "d", 1), ("3", "e", 1), ("4", "a", 1)]
    return _beir(tmp_path / "tiny", docs, queries, qrels)


def test_measures_match_hand_computed_values(tiny: Path, tmp_path: Path) -> None:
    result = run_beir(tiny, Settings(db_path=tmp_path / "unused.db"), show_progress=False, workdir=tmp_path)
    ndcg = [1.0, 1 / math.log2(3), 1 / (1 + 1 / math.log2(3)), 0.0]  # DCG / ideal DCG, per query
    recall = [1.0, 1.0, 0.5, 0.0]
    rr = [1.0, 0.5, 1.0, 0.0]
    assert result["ndcg@10"] == pytest.approx(sum(ndcg) / 4, abs=1e-4)
    assert result["recall@100"] == pytest.approx(sum(recall) / 4, abs=1e-4)
    assert result["mrr@10"] == pytest.approx(sum(rr) / 4, abs=1e-4)
    assert (result["queries"], result["documents"], result["passages"]) == (4, 5, 5)


def test_a_document_scores_once_as_its_best_passage(tmp_path: Path) -> None:
    """Three passages of one document match; it still takes a single place in the ranking."""
    fillers = {f"f{i}": f"{animal} {part}." for i, (animal, part) in
               enumerate(zip("Lion Eagle Shark Camel Otter Moose".split(), "mane wings fins hump fur antlers".split()))}
    docs = {"z": "Zebra note one. Zebra note two. Zebra note three.", "y": "Zebra.", **fillers}
    folder = _beir(tmp_path / "multi", docs, {"1": "zebra note"}, [("1", "y", 1)])
    result = run_beir(folder, Settings(db_path=tmp_path / "unused.db", passage_words=3,
                                       passage_overlap_sentences=0), show_progress=False, workdir=tmp_path)
    assert result["passages"] == 3 + 1 + 6
    assert result["mrr@10"] == pytest.approx(0.5)  # z (both terms) first, y second: not fourth, after z's passages
    whole = run_beir(folder, Settings(db_path=tmp_path / "unused.db"), whole_documents=True, show_progress=False,
                     workdir=tmp_path)
    assert whole["passages"] == 8 and whole["whole_documents"] is True


def test_scifact_slice_quality_holds_with_the_shipped_defaults(tmp_path: Path) -> None:
    result = run_beir(SLICE, Settings(db_path=tmp_path / "unused.db"), show_progress=False, workdir=tmp_path)
    assert (result["queries"], result["documents"]) == (50, 352)
    assert result["ndcg@10"] >= SLICE_MIN_NDCG, result
    assert result["recall@100"] >= SLICE_MIN_RECALL, result


def test_eval_json_interface(tiny: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "eval", str(tiny), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"ndcg@10", "recall@100", "mrr@10", "queries", "documents", "passages", "qps"} <= set(data)
    assert all(isinstance(data[k], float) for k in ("ndcg@10", "recall@100", "mrr@10", "qps"))
    assert all(isinstance(data[k], int) for k in ("queries", "documents", "passages"))


def test_eval_of_a_folder_without_qrels_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "eval", str(tmp_path / "empty"), "--json"])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_eval_qa_json_interface(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "eval-qa", str(DATA / "seed_qa.jsonl"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"total", "answer_right", "snippet_right", "top3_right", "not_found_right", "failures"} <= set(data)
    assert data["total"] == 8 and data["answer_right"] == 7 and data["not_found_right"] == 1
    assert data["failures"] == []
