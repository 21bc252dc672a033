"""Database faults, real ones: a read-only file and folder (chmod), a full disk (SQLite's max_page_count), a
lock held by another connection, a file that is not a database. The console says one line on stderr and
exits non-zero; the bot says one ephemeral line; nothing changes; reading a read-only database works.
"""

from __future__ import annotations

from paths import ROOT as PROJECT_ROOT

import ctypes
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import bot as bot_module
from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus
from retrieval.errors import DatabaseFull, DatabaseLocked, DatabaseReadOnly, NotADatabase, RetrievalError
from retrieval.store import Store, database_failure

from discord_standin import CHANNEL_ID
from test_bot import GUILD_ID, MANAGE_GUILD, OTHER_USER_ID, add_document, ask, corpus_dir, env, make_bot  # noqa: F401

ROOT = PROJECT_ROOT
QUESTION = "when did Cuba recognize South Korea?"
# Linux capabilities that let root ignore file permissions; dropped from a child's bounding set, a root
# child is held to the permission bits like anyone (prctl PR_CAPBSET_DROP = 24).
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER, _PR_CAPBSET_DROP = 1, 2, 3, 24

# The real console entry, with the busy timeout shortened and, for "full", the database capped at its
# current size (SQLite's max_page_count: the next page it needs fails with SQLITE_FULL, as a full disk does).
_CLI = """
import sys
import retrieval.store as store
import retrieval.store.connection  # noqa: E402

retrieval.store.connection.BUSY_TIMEOUT_SECONDS = 0.2
if {full!r}:
    opened = store.Store.__init__
    def full_disk(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        pages = self.db.execute("pragma page_count").fetchone()[0]
        self.db.execute(f"pragma max_page_count = {{pages}}")
    store.Store.__init__ = full_disk
from retrieval.cli import main
main()
"""


def _held_to_permissions() -> None:
    """preexec_fn: a root child loses the capabilities that bypass permission bits (no-op for others)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(args: list[str], db: Path, *, full: bool = False, unprivileged: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETRIEVAL_DB": str(db), "RETRIEVAL_CORPUS_DIR": str(BUNDLED_CORPUS)}
    env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-c", _CLI.format(full=full), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=_held_to_permissions if unprivileged else None)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (names and contents): what must not change."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def chmod_tree(folder: Path, writable: bool) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        if writable:
            p.chmod(mode | stat.S_IWUSR)
        else:
            p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A database (and its saved index) seeded from the bundled corpus, closed: ready for another process."""
    db = tmp_path / "ro" / "corpus.db"
    Corpus(Settings(db_path=db, corpus_dir=BUNDLED_CORPUS)).close()
    return db


@pytest.fixture
def read_only(tmp_path: Path):
    """Make a folder read-only for the test (restored after); skip where permissions are not enforced
    (root whose capabilities cannot be dropped)."""
    made: list[Path] = []

    def make(folder: Path) -> Path:
        chmod_tree(folder, writable=False)
        made.append(folder)
        probe = subprocess.run([sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
                               capture_output=True, preexec_fn=_held_to_permissions)
        if probe.returncode == 0:
            (folder / "probe").unlink()
            pytest.skip("file permissions are not enforced here (root)")
        return folder

    yield make
    for folder in made:
        chmod_tree(folder, writable=True)


@pytest.fixture
def big_doc(tmp_path: Path) -> Path:
    path = tmp_path / "glaciers.txt"
    path.write_text("Glaciers of Norway\n\n" + "The Jostedal glacier covers 474 square kilometres. " * 3000,
                    encoding="utf-8")
    return path


# -- read-only ---------------------------------------------------------------------------------------
def test_ask_answers_from_a_read_only_database_and_folder(seeded, read_only, docs_dir) -> None:
    folder = seeded.parent
    before = snapshot(folder)
    read_only(folder)

    answered = run(["ask", "--json", QUESTION], seeded, unprivileged=True)
    assert answered.returncode == 0, answered.stderr
    assert '"answer": "1949"' in answered.stdout and "Traceback" not in answered.stderr
    listed = run(["list"], seeded, unprivileged=True)
    assert listed.returncode == 0 and "South Korea" in listed.stdout, listed.stderr

    assert_one_line_error(run(["ingest", str(docs_dir)], seeded, unprivileged=True), "read-only", str(seeded))
    bundled = "South Korea and Cuba establish diplomatic relations"
    assert_one_line_error(run(["remove", bundled], seeded, unprivileged=True), "read-only")
    assert snapshot(folder) == before  # no WAL, no shared memory, no index file written


def test_a_read_only_folder_without_a_database_is_one_line(tmp_path, read_only) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    read_only(folder)
    assert_one_line_error(run(["ask", QUESTION], folder / "corpus.db", unprivileged=True), "read-only")
    assert not any(folder.iterdir())


def test_a_store_that_cannot_write_reads_and_refuses_changes(seeded, docs_dir, monkeypatch) -> None:
    """The same read-only path in-process, where the test runs as anyone: Store opens `mode=ro`,
    creates nothing, answers, and refuses every change with DatabaseReadOnly."""
    before = snapshot(seeded.parent)
    monkeypatch.setattr(Store, "_writable", lambda self: False)
    corpus = Corpus(Settings(db_path=seeded, corpus_dir=BUNDLED_CORPUS))
    try:
        assert corpus.store.read_only
        assert corpus.ask(QUESTION).answer == "1949"
        with pytest.raises(DatabaseReadOnly, match="read-only"):
            corpus.ingest([docs_dir])
        with pytest.raises(DatabaseReadOnly):
            corpus.store.add_feedback("1", "2", "q", "a", [], 1)
        assert len(corpus.documents()) == 2
    finally:
        corpus.close()
    after = snapshot(seeded.parent)  # a writable folder may get SQLite's empty -wal/-shm beside a mode=ro reader
    assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == before


def test_a_read_only_database_without_tables_says_so(tmp_path, monkeypatch) -> None:
    path = tmp_path / "blank.db"
    sqlite3.connect(path).close()  # an empty SQLite file
    monkeypatch.setattr(Store, "_writable", lambda self: False)
    with pytest.raises(DatabaseReadOnly, match="lacks this version's tables"):
        Store(path)


# -- full disk -----------------------------------------------------------------------------------------
def test_a_full_disk_is_one_line_and_changes_nothing(seeded, big_doc) -> None:
    before = snapshot(seeded.parent)
    assert_one_line_error(run(["ingest", str(big_doc)], seeded, full=True), "disk is full", str(seeded))
    assert snapshot(seeded.parent) == before
    assert run(["ask", "--json", QUESTION], seeded, full=True).returncode == 0  # reading needs no room


def test_a_full_disk_in_process_rolls_back_and_keeps_answering(corpus, big_doc) -> None:
    pages = corpus.store.db.execute("pragma page_count").fetchone()[0]
    corpus.store.db.execute(f"pragma max_page_count = {pages}")
    counts = corpus.store.counts()
    with pytest.raises(DatabaseFull) as caught:
        corpus.ingest([big_doc])
    assert isinstance(caught.value, RetrievalError) and "\n" not in str(caught.value)
    assert corpus.store.counts() == counts
    assert corpus.ask(QUESTION).answer == "1949"


# -- locked --------------------------------------------------------------------------------------------
def test_a_locked_database_is_one_line_and_reads_go_on(seeded, docs_dir) -> None:
    holder = sqlite3.connect(seeded, isolation_level=None)
    try:
        holder.execute("begin immediate")  # another program in the middle of a change
        assert_one_line_error(run(["ingest", str(docs_dir)], seeded), "locked", str(seeded))
        answered = run(["ask", "--json", QUESTION], seeded)  # WAL: readers do not wait for the writer
        assert answered.returncode == 0 and '"answer": "1949"' in answered.stdout, answered.stderr
    finally:
        holder.execute("rollback")
        holder.close()
    assert "volcano" not in run(["list", "--json"], seeded).stdout


# -- not a database ------------------------------------------------------------------------------------
def test_a_file_that_is_not_a_database_is_one_line(tmp_path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    for args in (["ask", QUESTION], ["list"], ["ingest", str(BUNDLED_CORPUS)]):
        assert_one_line_error(run(args, path), "not a corpus database", str(path))
    assert path.read_bytes() == b"these are my notes, not a database\n" * 200
    with pytest.raises(NotADatabase):
        Corpus(Settings(db_path=path, corpus_dir=BUNDLED_CORPUS))


def test_the_bot_does_not_start_on_a_broken_database(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database " * 100)
    monkeypatch.setenv("DISCORD_TOKEN", "token-that-is-never-sent")
    monkeypatch.setenv("RETRIEVAL_DB", str(path))
    monkeypatch.setattr(bot_module.discord.utils, "setup_logging", lambda **_: None)
    monkeypatch.setattr(bot_module.signal, "signal", lambda *_: None)
    monkeypatch.setattr(bot_module.CorpusBot, "run", lambda *_a, **_k: pytest.fail("connected to Discord"))
    assert bot_module.main([]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a corpus database" in err and "Traceback" not in err


def test_sqlite_errors_are_named() -> None:
    def failure(code: int, message: str) -> sqlite3.Error:
        exc = sqlite3.OperationalError(message)
        exc.sqlite_errorcode = code
        return exc

    assert isinstance(database_failure(failure(1544, "attempt to write a readonly database"), "x"), DatabaseReadOnly)
    assert isinstance(database_failure(failure(13, "database or disk is full"), "x"), DatabaseFull)
    assert isinstance(database_failure(failure(5, "database is locked"), "x"), DatabaseLocked)
    assert isinstance(database_failure(sqlite3.DatabaseError("file is not a database"), "x"), NotADatabase)
    other = database_failure(sqlite3.OperationalError("disk I/O error"), "/d/c.db")
    assert isinstance(other, RetrievalError) and isinstance(other, sqlite3.OperationalError)
    assert str(other).startswith("/d/c.db: ")


# -- the bot -------------------------------------------------------------------------------------------
async def test_the_bot_says_one_private_line_when_the_disk_is_full(env) -> None:
    standin, bot = env
    store = bot.corpus.store
    store.db.execute(f"pragma max_page_count = {store.db.execute('pragma page_count').fetchone()[0]}")
    before = store.counts()
    text = await add_document(standin, "glaciers.txt", b"Glaciers of Norway\n\n" + b"The Jostedal glacier. " * 5000,
                              permissions=MANAGE_GUILD)
    assert text == DatabaseFull.public
    assert str(bot.corpus.settings.db_path) not in text  # the operator's paths stay in the log
    assert store.counts() == before


async def test_the_bot_says_one_private_line_when_the_database_is_locked(env) -> None:
    standin, bot = env
    await ask(standin, QUESTION)
    answer = standin.last_bot_message(CHANNEL_ID)
    bot.corpus.store.db.execute("pragma busy_timeout = 100")
    holder = sqlite3.connect(bot.corpus.settings.db_path, isolation_level=None)
    try:
        holder.execute("begin immediate")
        vote = await standin.interact(standin.make_component_interaction("qa:down", answer, user_id=OTHER_USER_ID))
    finally:
        holder.execute("rollback")
        holder.close()
    data = vote.json["data"]
    assert data["flags"] & (1 << 6) and data["content"] == DatabaseLocked.public, data
    assert bot.corpus.store.feedback(str(GUILD_ID)) == []



def test_closing_the_store_waits_for_reads_on_other_threads(tmp_path) -> None:
    """Closing a connection another thread is reading on crashed the whole process (a segfault in CI when the
    bot stopped during a settings read); a close now waits for the calls in flight and refuses new ones."""
    import threading

    from retrieval.errors import DatabaseFailure
    from retrieval.store import Store

    from retrieval.models import Document

    for n in range(20):
        store = Store(tmp_path / f"race{n}.db")
        docs = [Document(id=f"d{i}", title=f"T{i}", source="s", content_hash="h", added_at="", updated_at="",
                         text="x" * 2000, scope="s") for i in range(3000)]
        store.apply((d, [], []) for d in docs)  # reads that take a while: a close lands in the middle of one
        started, refused = threading.Barrier(5), []

        def read() -> None:
            started.wait()
            try:
                while True:
                    store.server_settings("s")
                    store.documents()
            except DatabaseFailure:
                refused.append(True)  # after the close: one named failure, not a crash

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        started.wait()
        store.close()
        for thread in threads:
            thread.join(10)
        assert refused == [True] * 4
