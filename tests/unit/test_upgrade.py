"""A database made by the previous release (passages without a heading column, no heading in the index
header, documents hashed before the extraction changed) opens, answers, and re-reads its files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.text.tokenize import TOKENIZER_VERSION, tokenize

TEXT = "Mount Etna\n\nMount Etna is an active volcano on the east coast of Sicily. It erupted in 2021."


def _old_database(path: Path, source: Path) -> None:
    """The schema and rows the release before section headings wrote (352c5f8)."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        create table meta (key text primary key, value text);
        create table documents (id text primary key, scope text, title text, source text, path text,
                                content_hash text, added_at text, updated_at text, text text);
        create table passages (id text primary key, doc_id text references documents(id), ordinal integer,
                               text text, start integer, "end" integer, tokens text);
        create table feedback (id integer primary key, scope text, user_id text, question text, answer text,
                               passage_ids text, vote integer, created_at text, message_id text);
    """)
    conn.execute("insert into meta values ('schema_version', '1'), ('generation', '1'), ('tokenizer', ?)",
                 [TOKENIZER_VERSION])
    conn.execute("insert into documents values ('etna', '', 'Mount Etna', 'etna.txt', ?, 'old-hash', "
                 "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', ?)", [str(source.resolve()), TEXT])
    conn.execute("insert into passages values ('etna#0', 'etna', 0, ?, 0, ?, ?)",
                 [TEXT, len(TEXT), " ".join(tokenize(TEXT))])
    conn.commit()
    conn.close()


def test_an_old_database_opens_answers_and_rereads_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    source = folder / "etna.txt"
    source.write_text(TEXT, encoding="utf-8")
    db = tmp_path / "old.db"
    _old_database(db, source)
    corpus = Corpus(Settings(db_path=db, corpus_dir=folder))
    try:
        assert "heading" in corpus.store.db["passages"].columns_dict
        answer = corpus.ask("When did Mount Etna erupt?")
        assert answer.found and answer.short_answer == "2021" and answer.citations[0].hit.heading == ""
        report = corpus.ingest([source])  # the stored hash predates this extraction: the file is read again
        assert report.changed == ("etna",)
        assert corpus.ask("When did Mount Etna erupt?").short_answer == "2021"
    finally:
        corpus.close()


def test_the_schema_is_migrated_once_and_recorded(tmp_path: Path) -> None:
    """Migrations (retrieval/schema.py, sqlite-utils' Migrations): an old database gets the steps it lacks,
    recorded in _sqlite_migrations; opening it again applies nothing and writes nothing."""
    from retrieval.store.schema import MIGRATIONS
    from retrieval.store import Store

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "etna.txt").write_text(TEXT, encoding="utf-8")
    db = tmp_path / "old.db"
    _old_database(db, folder / "etna.txt")
    store = Store(db)
    applied = [m.name for m in MIGRATIONS.applied(store.db)]
    assert applied == [m.name for m in MIGRATIONS._migrations] and "replies" in store.db.table_names()
    assert "heading" in store.db["passages"].columns_dict
    store.remember_reply("42", "s", "when did Etna erupt?", "2021", ["etna#0"])
    store.close()
    again = Store(db, read_only=True)  # nothing pending: a read-only open is enough
    assert again.reply("42") == {"question": "when did Etna erupt?", "scope": "s", "answer": "2021",
                                 "passage_ids": ["etna#0"]}
    again.close()
