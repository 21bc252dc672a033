"""Questions answered in worker processes (RETRIEVAL_ASK_WORKERS, retrieval/ask_pool.py): real spawned
processes over the same SQLite file and index folder give the same answers as the bot's own process, see
every change committed before a question, report a bad question in the same one line, and survive a
worker being killed."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import DATA, load_jsonl
from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus
from retrieval.errors import BadQuestion, BadSetting

SEED_QA = load_jsonl(DATA / "seed_qa.jsonl")


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "corpus.db", corpus_dir=BUNDLED_CORPUS)


@pytest.fixture()
def pooled(settings: Settings):
    Corpus(settings).close()  # seeded and indexed by the keeping process first, as the bot starts
    corpus = Corpus(settings.with_(ask_workers=2))
    yield corpus
    corpus.close()


def test_workers_give_the_bot_process_answers(settings: Settings, pooled: Corpus) -> None:
    here = Corpus(settings)
    try:
        questions = [qa["q"] for qa in SEED_QA] + ["What did the Cuban foreign ministry say?"]
        with ThreadPoolExecutor(4) as threads:  # several in flight, as the bot asks them
            answers = list(threads.map(pooled.ask, questions))
        assert answers == [here.answer(q) for q in questions]
        assert answers[0].found and pooled.pool is not None
    finally:
        here.close()


def test_a_change_is_in_the_next_answer_of_every_worker(pooled: Corpus) -> None:
    question = "when was the Zanzibar lighthouse built?"
    assert not pooled.ask(question).found
    pooled.add_bytes(b"The Zanzibar lighthouse was built in 1887 on the northern cape.", "lighthouse.txt",
                     scope="g1")
    with ThreadPoolExecutor(4) as threads:  # both workers answer some of these
        answers = list(threads.map(lambda _: pooled.ask(question, scope="g1"), range(8)))
    assert all(a.found and "1887" in (a.answer or "") for a in answers)
    assert not pooled.ask(question, scope="g2").found  # another server's documents stay unseen
    report = pooled.add_bytes(b"The Zanzibar lighthouse was built in 1901 on the northern cape.", "lighthouse.txt",
                              scope="g1")  # the same document, changed
    assert report.changed
    answers = [pooled.ask(question, scope="g1") for _ in range(4)]
    assert all("1901" in (a.answer or "") for a in answers)
    pooled.remove(report.changed[0], scope="g1")
    assert not any(pooled.ask(question, scope="g1").found for _ in range(4))


def test_after_a_rebuild_workers_serve_the_keepers_layout_same_ties_same_floats(pooled: Corpus) -> None:
    """A worker following the log would lay out a big change as a delta while the keeping process rebuilds:
    tied passages would come in another order. Workers take up the keeper's saved index instead."""
    text = "The Quillfeather observatory on Marrow Island was completed in 1911 by the Ostrander survey."
    pooled.ingest_records([("zz-later", "Observatory note", text)], scope="g1")
    for _ in range(4):
        pooled.ask("observatory", "g1")  # every worker has followed the first change
    fillers = [(f"filler{i:04d}", f"Filler {i}", f"Filler paragraph {i} about gardens and rivers.") for i in range(200)]
    pooled.ingest_records([("aa-early", "Observatory note", text)] + fillers, scope="g1")  # a full rebuild
    question = "When was the Quillfeather observatory on Marrow Island completed?"
    here = pooled.answer(question, "g1")
    assert [c.hit.passage_id for c in here.citations][:2] == ["aa-early#0", "zz-later#0"]
    with ThreadPoolExecutor(4) as threads:
        assert all(a == here for a in threads.map(lambda _: pooled.ask(question, "g1"), range(8)))


def test_a_bad_question_is_the_same_one_line(pooled: Corpus) -> None:
    with pytest.raises(BadQuestion) as pooled_error:
        pooled.ask("   ")
    with pytest.raises(BadQuestion) as here_error:
        pooled.answer("   ")
    assert str(pooled_error.value) == str(here_error.value) and "\n" not in str(pooled_error.value)


def test_a_killed_worker_costs_no_answer(pooled: Corpus) -> None:
    question = SEED_QA[0]["q"]
    expected = pooled.answer(question)
    assert pooled.ask(question) == expected
    for pid in list(pooled.pool._executor._processes):  # noqa: SLF001 - the test kills the real workers
        os.kill(pid, signal.SIGKILL)
    assert pooled.ask(question) == expected  # answered here while the pool starts again
    assert pooled.ask(question) == expected  # and by the new workers


def test_a_closed_pool_leaves_no_worker_and_answers_here(pooled: Corpus) -> None:
    question = SEED_QA[0]["q"]
    pool = pooled.pool
    workers = list(pool._executor._processes)  # noqa: SLF001 - the real worker processes
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    pool.close()
    assert pool.ask(question, None, 10, lambda: pooled.answer(question)) == pooled.answer(question)
    assert not pool._executor._processes  # noqa: SLF001 - no worker started again after close


def test_ask_workers_setting_is_checked() -> None:
    with pytest.raises(BadSetting, match="RETRIEVAL_ASK_WORKERS"):
        Settings(ask_workers=-1)
    with pytest.raises(BadSetting, match="bm25 engine"):
        Settings(ask_workers=2, engine="my_engine")
    with pytest.raises(BadSetting, match="database file or server"):
        Settings(ask_workers=2, db_path=Path(":memory:"))  # a worker would open its own, empty database
