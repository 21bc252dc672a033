"""Answer quality on real documents nobody here wrote, through the normal ingest and `eval-qa` path:
the public development set (../shared/eval/realdocs, 62 files, 82 questions) and our own set over other
Debian documentation (tests/data/owndocs, 14 files, 46 questions; tests/data/owndocs_SOURCES.md).

The rates are asserted at the values measured with the shipped defaults (BENCHMARKS.md, Answers on real
documents): deterministic counts, not timings, so a change that loses an answer shows here. Each set is
ingested once per session (about 10 s for the dev set).
"""

from __future__ import annotations

from paths import SHARED_EVAL

from pathlib import Path

import pytest

from conftest import DATA
from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.evaluate import run_qa

REALDOCS = SHARED_EVAL

# Measured: BENCHMARKS.md, "Answers on real documents" (counts, with the shipped defaults).
EXPECTED = {
    "realdocs": {"answer_right": 55, "answer_or_snippet_right": 57, "not_found_right": 14},
    "owndocs": {"answer_right": 21, "answer_or_snippet_right": 24, "not_found_right": 8},
}


def _corpus(tmp: Path, folder: Path) -> Corpus:
    corpus = Corpus(Settings(db_path=tmp / "qa.db", corpus_dir=tmp / "none"), seed=False)
    corpus.ingest(sorted(p for p in folder.iterdir() if p.is_file()))
    return corpus


@pytest.fixture(scope="module")
def realdocs(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    if not (REALDOCS / "realdocs").is_dir():
        pytest.skip("the shared development set is not beside this checkout")
    corpus = _corpus(tmp_path_factory.mktemp("realdocs"), REALDOCS / "realdocs")
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def owndocs(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    corpus = _corpus(tmp_path_factory.mktemp("owndocs"), DATA / "owndocs")
    yield corpus
    corpus.close()


def _check(report: dict, expected: dict[str, int]) -> None:
    got = {k: report[k] for k in expected}
    assert got == expected, ("rates moved; update BENCHMARKS.md and EXPECTED if this is an improvement",
                             got, [f for f in report["failures"]])


def test_dev_set_rates(realdocs: Corpus) -> None:
    report = run_qa(REALDOCS / "realdocs_qa.jsonl", realdocs).as_dict()
    assert report["total"] == 82 and set(report["kinds"]) == {"factoid", "paraphrase", "howto", "none"}
    _check(report, EXPECTED["realdocs"])


def test_own_documents_rates(owndocs: Corpus) -> None:
    report = run_qa(DATA / "owndocs_qa.jsonl", owndocs).as_dict()
    assert report["total"] == 46
    _check(report, EXPECTED["owndocs"])


def test_citations_show_the_section(realdocs: Corpus) -> None:
    """A cited passage knows where it sits in its document (the heading path), and the answer's passage
    comes first."""
    answer = realdocs.ask("How many virtual character consoles does the default Debian system offer?")
    first = answer.citations[0].hit
    assert answer.found and answer.short_answer == "six"
    assert "Virtual consoles" in first.heading and " \u203a " in first.heading
