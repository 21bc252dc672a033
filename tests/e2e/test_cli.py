"""The console as a user runs it: a real process, real exit codes, never a traceback."""

from __future__ import annotations

from paths import ROOT as PROJECT_ROOT

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = PROJECT_ROOT


def run(args: list[str], db: Path, stdin: str | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETRIEVAL_DB": str(db), **(extra_env or {})}
    env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "retrieval", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli") / "corpus.db"


def test_ask_json_interface(db):
    result = run(["ask", "when did Cuba recognize South Korea?", "--json"], db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "found", "confidence", "answer", "citations"}
    assert data["confidence"] == "answered"
    assert data["found"] is True and data["answer"] == "1949"
    first = data["citations"][0]
    assert {"n", "doc_id", "title", "source", "passage_id", "snippet", "score"} <= set(first)
    assert first["n"] == 1 and "Although Cuba officially recognized South Korea in 1949" in first["snippet"]
    assert isinstance(first["score"], float)


def test_ask_imports_only_what_it_needs(db):
    """A question on a small corpus never needs numba (big segments only), scipy, bm25s (its stopwords are
    copied), tqdm (ingest), ir_measures (eval), rich for --json, the web client (aiohttp, robots and sitemap
    parsers) nor PostgreSQL's driver: each costs tens of ms of every start (aiohttp alone cost 130 ms)."""
    run(["ask", "--json", "seed the database first"], db)
    result = run(["ask", "--json", "when did Cuba recognize South Korea?"], db, extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "retrieval.cli" in imported
    heavy = {"numba", "llvmlite", "scipy", "bm25s", "tqdm", "ir_measures", "rich", "aiohttp", "protego",
             "defusedxml", "psycopg"}
    assert not {name.split(".")[0] for name in imported} & heavy


def test_ask_not_found_json(db):
    data = json.loads(run(["ask", "--json", "What is the capital of Australia?"], db).stdout)
    assert data["found"] is False and data["answer"] is None


def test_ask_plain_when_piped(db):
    result = run(["ask", "Which foreign minister made the first official visit to Cuba in 2016?"], db)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Yun Byung-se"
    assert any(line.startswith("[1] ") and "passage" in line for line in lines)
    assert "\x1b[" not in result.stdout  # no terminal colours in a pipe


def test_control_characters_from_stdin_are_dropped(db):
    result = run(["ask", "-", "--json"], db, stdin="when did\x00 Cuba\x1b[2J recognize South Korea?\n")
    assert result.returncode == 0 and json.loads(result.stdout)["answer"] == "1949"


def test_ask_reads_stdin(db):
    result = run(["ask", "-", "--json"], db, stdin="When were bilateral exchanges severed?\n")
    assert json.loads(result.stdout)["answer"] == "1959"


@pytest.mark.parametrize("question,message", [
    ("", "empty"),
    ("   \t  ", "empty"),
    ("\x01\x02\x7f", "empty"),
    ("?!.,;", "no words"),
    ("the of and is", "no words"),
    ("x" * 100_000, "too long"),
])
def test_bad_questions_one_line_and_exit_code(db, question, message):
    result = run(["ask", question], db)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("question", ["Куба Корея?", "\"Cuba\" AND (Korea OR -Syria) NOT *", "キューバ", "🇨🇺 🇰🇷 ??", "Cuba\u200b\u202e Korea"])
def test_odd_questions_answer_or_say_not_found(db, question):
    result = run(["ask", "--json", question], db)
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        assert isinstance(json.loads(result.stdout)["found"], bool)


def test_ingest_list_show_remove_refresh_cycle(db, tmp_path):
    doc = tmp_path / "okapi.md"
    doc.write_text("# Okapi facts\n\nThe okapi lives in the Ituri rainforest of Congo.", encoding="utf-8")
    result = run(["ingest", str(doc)], db)
    assert result.returncode == 0 and "1 added" in result.stdout
    listed = json.loads(run(["list", "--json"], db).stdout)
    assert {"okapi", "000_0723a380b6bcd37f", "003_9bd7183b528d8d21"} <= {d["id"] for d in listed}
    answer = json.loads(run(["ask", "--json", "Where does the okapi live?"], db).stdout)
    assert answer["found"] and "Ituri" in answer["answer"]
    shown = run(["show", answer["citations"][0]["passage_id"]], db)
    assert shown.returncode == 0 and "Okapi facts" in shown.stdout and ">>>" in shown.stdout
    stats = json.loads(run(["stats", "--json"], db).stdout)
    assert stats["documents"] == 3
    removed = run(["remove", "Okapi facts"], db)
    assert removed.returncode == 0 and "okapi" in removed.stdout
    assert run(["remove", "okapi"], db).returncode == 2
    assert "0 added, 0 changed, 0 removed" in run(["refresh"], db).stdout


@pytest.mark.parametrize("content,needle", [(b"", "empty"), (b"\x00\xff\x00binary", "binary")])
def test_bad_file_message_names_the_file(db, tmp_path, content, needle):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run(["ingest", str(bad)], db)
    assert result.returncode == 2 and "bad.txt" in result.stderr and needle in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_and_folder(db, tmp_path):
    assert "no such file" in run(["ingest", str(tmp_path / "nope.pdf")], db).stderr
    assert run(["refresh", str(tmp_path / "nowhere")], db).returncode == 2


def test_default_database_created_from_bundled_corpus(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": ""}
    result = subprocess.run([sys.executable, "-m", "retrieval", "ask", "when did Cuba recognize South Korea?"],
                            cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k != "RETRIEVAL_DB"}, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("1949")
    assert (tmp_path / ".local" / "share" / "corpus-qa" / "corpus.db").is_file()


def test_chat_reads_questions_until_empty_line(db):
    result = run(["chat"], db, stdin="when did Cuba recognize South Korea?\nthe of\n\n")
    assert result.returncode == 0
    assert "1949" in result.stdout and "no words" in result.stderr


def test_feedback_lists_votes_newest_first(tmp_path) -> None:
    from retrieval.config import Settings
    from retrieval.corpus import Corpus
    from retrieval.community import VOTE_DOWN, VOTE_UP, record_feedback

    db = tmp_path / "fb.db"
    c = Corpus(Settings(db_path=db))
    record_feedback(c, "42", 1, "when did Cuba recognize South Korea?", "1949", ["d#1"], VOTE_UP)
    record_feedback(c, "7", 2, "capital of Australia", "", [], VOTE_DOWN)
    c.close()
    result = run(["feedback", "--json"], db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["question"] for r in rows] == ["capital of Australia", "when did Cuba recognize South Korea?"]
    only = json.loads(run(["feedback", "--server", "42", "--json"], db).stdout)
    assert [r["vote"] for r in only] == [1]


def test_a_closed_pipe_ends_quietly(db):
    """`... | head -1`: the reader has what it wanted; no error line, exit 0 (like other tools)."""
    run(["stats"], db)  # seeded
    for args in (["list"], ["ask", "lighthouses"]):
        script = (f"{sys.executable} -m retrieval {' '.join(args)} | head -c 1 > /dev/null; "
                  "exit ${PIPESTATUS[0]}")
        result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "RETRIEVAL_DB": str(db), "COLUMNS": "80"})
        assert result.stderr == "" and result.returncode == 0, (args, result.stderr)
