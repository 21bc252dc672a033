"""Heavy changes as jobs in the PostgreSQL store, taken by a worker process (issue 14, item 3): the result comes
back to the process that queued it; a worker killed in the middle of a job leaves the store unchanged and the
job is done by the next worker; two workers never take the same job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import pg_server
from paths import ROOT
from retrieval import jobs
from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus
from retrieval.errors import BadSetting, RetrievalError
from test_bot import corpus_dir  # noqa: F401 - a fixture

postgres_server = pg_server.postgres_server
postgres_dsn = pg_server.postgres_dsn


def worker_process(dsn: str, tmp_path: Path, name: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "RETRIEVAL_DB": dsn, "RETRIEVAL_INDEX_DIR": str(tmp_path / f"{name}-index")}
    return subprocess.Popen([sys.executable, "-m", "retrieval", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def queueing(postgres_dsn: str, tmp_path: Path):
    corpus = Corpus(Settings(db_url=postgres_dsn, db_path=tmp_path / "bot" / "x.db", corpus_dir=BUNDLED_CORPUS,
                             jobs="worker"))
    yield corpus
    corpus.close()


def test_a_queued_upload_is_done_by_a_worker_and_its_result_comes_back(queueing: Corpus, postgres_dsn: str,
                                                                         tmp_path: Path) -> None:
    worker = worker_process(postgres_dsn, tmp_path, "w1")
    try:
        result = jobs.run(queueing, "upload", "s", {"name": "etna.txt"}, b"Mount Etna erupted in 2021.")
        assert jobs.ingest_report(result).added == ("s/etna",)
        started = time.monotonic()
        while not queueing.search("etna erupted", scope="s"):  # this process's index follows the worker's change
            assert time.monotonic() - started < 1.0
            time.sleep(0.02)
        with pytest.raises(RetrievalError, match="no text could be extracted|empty"):
            jobs.run(queueing, "upload", "s", {"name": "blank.txt"}, b"   ")
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0 and "worker stopped after 2 jobs" in out, err


def test_a_killed_worker_leaves_the_store_unchanged_and_the_job_is_retried(queueing: Corpus, postgres_dsn: str,
                                                                            tmp_path: Path) -> None:
    slow = "".join(f"Line {n} of the long log names host{n} and port {n % 9000}.\n" for n in range(250_000)).encode()
    job_id = queueing.store.submit_job("upload", "s", {"name": "long-log.txt"}, slow)
    before = (queueing.store.generation, queueing.store.counts())
    worker = worker_process(postgres_dsn, tmp_path, "doomed")
    started = time.monotonic()
    while queueing.store.job(job_id).attempts == 0:  # claimed (the attempt is counted at once): reading the file
        assert time.monotonic() - started < 20 and worker.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)
    worker.kill()
    worker.wait(10)
    assert queueing.store.job(job_id).status == "queued"  # the claim died with its worker
    assert (queueing.store.generation, queueing.store.counts()) == before  # nothing half-written
    again = worker_process(postgres_dsn, tmp_path, "next", "--once")
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    job = queueing.store.job(job_id)
    assert job.status == "done" and job.attempts == 2 and job.result["added"] == ["s/long-log"]
    assert queueing.store.counts()["documents"] == before[1]["documents"] + 1


def test_two_workers_never_take_the_same_job(queueing: Corpus) -> None:
    ids = [queueing.store.submit_job("upload", "s", {"name": f"note{n}.txt"}, f"Note {n} about basalt.".encode())
           for n in range(6)]
    taken: list[int] = []

    def take() -> None:
        while True:
            with queueing.store.claimed_job(threading.current_thread().name) as job:
                if job is None:
                    return
                taken.append(job.id)
                time.sleep(0.05)
                queueing.store.finish_job(job, {"ok": True})

    threads = [threading.Thread(target=take, name=f"w{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken) == ids and all(queueing.store.job(i).status == "done" for i in ids)


def test_jobs_need_postgresql(tmp_path: Path) -> None:
    with pytest.raises(BadSetting, match="RETRIEVAL_JOBS"):
        Settings(db_path=tmp_path / "x.db", jobs="worker")


async def test_discord_uploads_go_through_the_worker(leak_check: None, postgres_dsn: str, tmp_path: Path,
                                                     corpus_dir: Path) -> None:
    """/corpus add on a bot with RETRIEVAL_JOBS=worker: the file is queued, a worker process reads it, and the
    bot's reply says what was added; the bot's own index follows the worker's change."""
    from bot import BotSettings, CorpusBot
    from discord_standin import DiscordStandin
    from test_bot import MANAGE_GUILD, add_document, ask, guilds

    worker = worker_process(postgres_dsn, tmp_path, "discord-worker")
    try:
        async with DiscordStandin(guilds=guilds()) as standin:
            config = BotSettings(token=standin.token, moderator_role="Librarian", cooldown_questions=1000,
                                 health_file=tmp_path / "health")
            retrieval = Settings(db_url=postgres_dsn, db_path=tmp_path / "bot" / "x.db", corpus_dir=corpus_dir,
                                 jobs="worker")
            bot = CorpusBot(config, retrieval, guild_ready_timeout=0.1)
            async with standin.running(bot):
                text = await add_document(standin, "etna.txt", b"Mount Etna\n\nMount Etna erupted in March 2021.",
                                          permissions=MANAGE_GUILD)
                assert text.startswith("Added **Mount Etna**"), text
                reply = await ask(standin, "When did Mount Etna erupt?")
                assert "March 2021" in str(reply["data"]["embeds"])
                assert bot.corpus.store.job(1).status == "done"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=20)


def test_a_failure_keeps_its_kind_and_a_job_nobody_takes_is_said(queueing: Corpus, monkeypatch) -> None:
    from retrieval.errors import DatabaseReadOnly, QuotaExceeded

    assert isinstance(jobs._failure({"error": "over", "type": "QuotaExceeded"}), QuotaExceeded)
    read_only = jobs._failure({"error": "postgresql://u:***@h/db: read-only", "type": "DatabaseReadOnly"})
    assert isinstance(read_only, DatabaseReadOnly) and "postgresql" not in read_only.public
    assert type(jobs._failure({"error": "x", "type": "ValueError"})) is RetrievalError  # only named failures
    monkeypatch.setattr(jobs, "NO_WORKER_SECONDS", 0.5)
    with pytest.raises(jobs.JobWaiting, match="No worker has taken this yet"):
        jobs.run(queueing, "upload", "s", {"name": "etna.txt"}, b"Mount Etna erupted in 2021.")
